/**
 * Each class of config mistake a technician makes is reported with the
 * file, the line and the key, and all of them at once (one pass of fixes, not one per
 * restart). Run through `cardterm config check` as a technician would, on real files.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import t from "tap";
import { configCommand } from "../../agent/cli/config-command.js";
import { CONFIG_VERSION } from "../../config/migrations/index.js";
import { CardtermError } from "../../protocol/errors.js";

const KEY_HEX = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";

/** Line N of the file is LINES[N-1]; the comment says which class of mistake it holds. */
const LINES = [
  "version: 1",
  "terminal:",
  "  id: T001",
  "  key: { file: /etc/cardterm/no-such-terminal.key }", // 4: missing secret file
  "  dataDir: /var/lib/cardterm",
  "  operatorId: 001", // 6: wrong type (a number where text belongs)
  "readers:",
  "  - id: front",
  "    type: serial-id",
  "    path: /dev/serial/by-id/usb-cardterm-test-absent-if00", // 10: missing device path
  "    baudRate: 9600",
  "    debounce: 1.5s", // 12: bad duration
  "server:",
  "  mqttUrl: mqtt://127.0.0.1:1883",
  "  password: { env: CARDTERM_TEST_MQTT_PASSWORD }", // 15: missing secret env var
  "  authTimout: 2s", // 16: typo
  "offline:",
  '  perTransaction: "300.001"', // 18: bad amount
];

async function check(text: string, ...flags: string[]) {
  const dir = mkdtempSync(join(tmpdir(), "cardterm-errors-"));
  const file = join(dir, "config.yaml");
  writeFileSync(file, text);
  const out: string[] = [];
  const code = await configCommand(["check", file, ...flags], {
    out: (s) => out.push(s),
    err: (s) => out.push(s),
    env: {},
  });
  return { code, file, text: out.join("\n") };
}

t.test("every class of mistake is reported at once, each with file:line, key and what is expected", async (t) => {
  const r = await check(`${LINES.join("\n")}\n`);
  t.equal(r.code, 2, "the agent would not start");
  const expected: [line: number, key: string, what: RegExp][] = [
    [4, "terminal.key.file", /cannot read the key file \/etc\/cardterm\/no-such-terminal\.key: no such file/],
    [6, "terminal.operatorId", /expected a string, got the number 001; did you mean "001"\?/],
    [10, "readers[0].path", /does not exist; is the reader plugged in\?/],
    [12, "readers[0].debounce", /"1\.5s" is not a duration.*did you mean "1500ms"\?/],
    [15, "server.password.env", /environment variable CARDTERM_TEST_MQTT_PASSWORD \(the password\) is not set/],
    [16, "server.authTimout", /unknown key; did you mean "authTimeout"\?/],
    [18, "offline.perTransaction", /"300\.001" has more than two decimal places/],
  ];
  t.match(r.text, `has ${expected.length} problems`);
  for (const [line, key, what] of expected) {
    const row = r.text.split("\n").find((l) => l.startsWith(`${r.file}:${line}:`));
    t.ok(row, `line ${line} is reported`);
    t.match(row, ` ${key} — `, `line ${line} names ${key}`);
    t.match(row, what, `line ${line} says what is expected`);
  }
});

t.test("a secret's value never appears in a message", async (t) => {
  const text = ["terminal:", "  id: T001", "  key: { env: K }", "  dataDir: /d", "server:", "  mqttUrl: mqtt://h"];
  const dir = mkdtempSync(join(tmpdir(), "cardterm-errors-"));
  const file = join(dir, "c.yaml");
  writeFileSync(file, `${text.join("\n")}\n`);
  const out: string[] = [];
  const leaked = "deadbeef-not-a-key-but-a-secret";
  await configCommand(["check", file], { out: (s) => out.push(s), err: (s) => out.push(s), env: { K: leaked } });
  t.match(
    out.join("\n"),
    `${file}:3:15  terminal.key.env — environment variable K must hold 64 hexadecimal characters`,
  );
  t.notMatch(out.join("\n"), leaked);
});

t.test("a version newer than the agent is refused naming file, line and key", async (t) => {
  const text = LINES.join("\n").replace("version: 1", `version: ${CONFIG_VERSION + 1}`);
  const err = await check(text).catch((e: unknown) => e);
  t.type(err, CardtermError);
  t.equal((err as CardtermError).code, "CT_CONFIG_VERSION");
  t.match((err as CardtermError).message, /config\.yaml:1:10 {2}version — this file is config format version 2/);
});

t.test("a missing device path alone is not an invalid file; off the till it is not looked for", async (t) => {
  const valid = [
    "terminal:",
    "  id: T001",
    `  key: { hex: "${KEY_HEX}" }`,
    "  dataDir: /var/lib/cardterm",
    "printer:",
    "  type: usb",
    "  path: /dev/usb/lp-cardterm-test-absent",
    "server:",
    "  mqttUrl: mqtt://127.0.0.1:1883",
    "  password: { file: /etc/cardterm/absent.password }",
  ];
  const here = await check(`${valid.join("\n")}\n`.replace(/ {2}password.*\n/, ""));
  t.equal(here.code, 1);
  t.match(here.text, /the config is valid, but devices are missing on this box/);
  t.match(here.text, /config\.yaml:7:9 {2}printer\.path — \/dev\/usb\/lp-cardterm-test-absent does not exist/);
  const elsewhere = await check(`${valid.join("\n")}\n`, "--elsewhere");
  t.equal(elsewhere.code, 0, elsewhere.text);
  t.match(elsewhere.text, /OK — terminal T001, 1 reader, printer usb \(secrets, files and devices not checked/);
});
