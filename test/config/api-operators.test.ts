/** The API token (a secret from env or file) and the operators of a till, in the YAML config. */
import { writeFile } from "node:fs/promises";
import t from "tap";
import { loadConfig } from "../../config/load-config.js";
import { tempDir } from "../helpers/temp-dir.js";

const BASE = [
  "version: 1",
  "terminal:",
  "  id: T001",
  `  key: { hex: "${"ab".repeat(32)}" }`,
  "  dataDir: /var/lib/cardterm",
  "server:",
  "  mqttUrl: mqtt://127.0.0.1:1883",
];

t.test("api.token comes from an environment variable, idleTimeout is a duration, operators are read", async (t) => {
  const dir = await tempDir(t);
  const file = `${dir}/cardterm.yaml`;
  await writeFile(
    file,
    [
      ...BASE,
      "api:",
      "  token: { env: CARDTERM_TEST_API_TOKEN }",
      "  idleTimeout: 5m",
      "operators:",
      '  - { id: "001", name: 王收银, role: cashier, pinHash: "scrypt$1$1$1$00$00" }',
    ].join("\n"),
  );
  process.env.CARDTERM_TEST_API_TOKEN = "secret-token-from-env";
  t.teardown(() => delete process.env.CARDTERM_TEST_API_TOKEN);
  const config = await loadConfig(file);
  t.equal(config.api.token, "secret-token-from-env");
  t.equal(config.api.idleTimeoutMs, 5 * 60_000);
  t.match(config.operators, [{ id: "001", name: "王收银", role: "cashier" }]);
});

t.test("a missing token variable and an unknown role are named with file, line and key", async (t) => {
  const dir = await tempDir(t);
  const file = `${dir}/cardterm.yaml`;
  await writeFile(
    file,
    [
      ...BASE,
      "api:",
      "  token: { env: CARDTERM_TEST_NO_SUCH_TOKEN }",
      "operators:",
      '  - { id: "002", name: Boss, role: boss, pinHash: "x" }',
    ].join("\n"),
  );
  const err = await loadConfig(file).catch((e: Error) => e);
  t.match(err, { code: "CT_CONFIG_INVALID" });
  t.match((err as Error).message, /cardterm\.yaml:9:\d+\s+api\.token/);
  t.match((err as Error).message, /CARDTERM_TEST_NO_SUCH_TOKEN/);
  t.match((err as Error).message, /cardterm\.yaml:11:\d+\s+operators\[0\]\.role/);
});

t.test("archiveDays sets how long the journal archive is kept, and is checked", async (t) => {
  const dir = await tempDir(t);
  const file = `${dir}/cardterm.yaml`;
  await writeFile(file, [...BASE, "archiveDays: 30"].join("\n"));
  t.equal((await loadConfig(file)).archiveDays, 30);
  await writeFile(file, [...BASE, "archiveDays: 0"].join("\n"));
  const err = await loadConfig(file).catch((e: Error) => e);
  t.match((err as Error).message, /cardterm\.yaml:8:\d+\s+archiveDays/);
});
