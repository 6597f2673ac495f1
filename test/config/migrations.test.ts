import { chmodSync, mkdtempSync, readFileSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import t, { type Test } from "tap";
import { type Document, isMap, isScalar, parseDocument } from "yaml";
import { configCommand } from "../../agent/cli/config-command.js";
import { parseConfigText } from "../../config/load-config.js";
import { CONFIG_MIGRATIONS, CONFIG_VERSION, type ConfigMigration } from "../../config/migrations/index.js";
import { migrateConfigFile } from "../../config/migrations/migrate-file.js";
import { assertChain, latestVersion, migrateDocument, readVersion } from "../../config/migrations/migration.js";
import type { ConfigProblem } from "../../config/problems.js";
import { CardtermError } from "../../protocol/errors.js";

const KEY_HEX = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";

/** Rename a key where it stands: its value node (and so its source position) and comments kept. */
function renameKey(doc: Document, parent: string[], from: string, to: string): void {
  const map = parent.length === 0 ? doc.contents : doc.getIn(parent, true);
  if (!isMap(map)) return;
  const pair = map.items.find((p) => isScalar(p.key) && p.key.value === from);
  if (pair && isScalar(pair.key)) pair.key.value = to;
}

/**
 * A made-up history for the tests (the real format has had one version so far): version 1
 * called the broker `server.broker`, version 2 called the offline age `offline.maxOfflineAge`.
 */
const STEPS: ConfigMigration[] = [
  {
    from: 1,
    to: 2,
    summary: "server.broker is now server.mqttUrl",
    apply: (d) => renameKey(d, ["server"], "broker", "mqttUrl"),
  },
  {
    from: 2,
    to: 3,
    summary: "offline.maxOfflineAge is now offline.maxAge",
    apply: (d) => renameKey(d, ["offline"], "maxOfflineAge", "maxAge"),
  },
];

const V1 = [
  "# the till at the front door",
  "version: 1 # format",
  "terminal:",
  "  id: T001",
  `  key: { hex: "${KEY_HEX}" }`,
  "  dataDir: /var/lib/cardterm",
  "server:",
  "  # the chain's broker",
  "  broker: mqtts://mqtt.example.com:8883",
  "offline:",
  "  maxOfflineAge: 12h",
  "",
].join("\n");

t.test("the real chain runs 1→2→… without gaps and ends at the version the agent writes", async (t) => {
  t.doesNotThrow(() => assertChain(CONFIG_MIGRATIONS));
  t.equal(latestVersion(CONFIG_MIGRATIONS), CONFIG_VERSION);
  t.doesNotThrow(() => assertChain(STEPS));
  t.throws(() => assertChain([STEPS[1]!]), /goes 2→3; expected 1→2/);
});

t.test("version: absent is 1; a quoted, fractional or zero version is refused", async (t) => {
  t.same(readVersion(parseDocument("terminal: {}\n")), { ok: true, version: 1, explicit: false });
  t.same(readVersion(parseDocument("version: 2\n")), { ok: true, version: 2, explicit: true });
  for (const bad of ['"1"', "1.5", "0", "[1]"]) t.equal(readVersion(parseDocument(`version: ${bad}\n`)).ok, false, bad);
});

t.test("migrating a document is pure, stepwise from the file's version, and keeps comments", async (t) => {
  const doc = parseDocument(V1);
  const before = doc.toString();
  const m = migrateDocument(doc, 1, STEPS);
  t.equal(doc.toString(), before, "the original document is untouched");
  t.same([m.from, m.to, m.applied.map((s) => s.to)], [1, 3, [2, 3]]);
  const out = m.doc.toString();
  t.match(out, /^# the till at the front door\nversion: 3 # format\n/);
  t.match(out, /# the chain's broker\n {2}mqttUrl: mqtts:/);
  t.match(out, /maxAge: 12h/);
  t.notMatch(out, /broker:|maxOfflineAge/);
  const from2 = migrateDocument(parseDocument("server:\n  broker: x\noffline:\n  maxOfflineAge: 1h\n"), 2, STEPS);
  t.same(
    from2.applied.map((s) => s.from),
    [2],
    "a version 2 file skips the 1→2 step",
  );
  t.match(from2.doc.toString(), /^version: 3\nserver:\n {2}broker: x/, "version added on top when absent");
});

t.test("an older file loads, converted in memory, with a warning that says to run migrate", async (t) => {
  const warnings: string[] = [];
  const config = parseConfigText(V1, "old.yaml", { migrations: STEPS, onWarning: (w) => warnings.push(w) });
  t.equal(config.server.mqttUrl, "mqtts://mqtt.example.com:8883");
  t.equal(config.offline.maxOfflineAgeMs, 12 * 3_600_000);
  t.equal(warnings.length, 1);
  t.match(warnings[0], /old\.yaml is config format version 1; it was converted to version 3 in memory/);
  t.match(warnings[0], /cardterm config migrate old\.yaml/);
  const current = V1.replace("version: 1", "version: 3")
    .replace("broker:", "mqttUrl:")
    .replace("maxOfflineAge", "maxAge");
  parseConfigText(current, "new.yaml", { migrations: STEPS, onWarning: () => t.fail("no warning for a current file") });
});

t.test("problems in a converted file point at the lines the technician wrote", async (t) => {
  const text = V1.replace("broker: mqtts://mqtt.example.com:8883", "broker: 8883").replace("12h", "12 hours");
  const err = refused(t, () => parseConfigText(text, "old.yaml", { migrations: STEPS, onWarning: () => {} }));
  const problems = err.details?.problems as ConfigProblem[];
  t.match(problems, [
    { path: "server.mqttUrl", line: 9, column: 11, message: /expected a string, got the number 8883/ },
    { path: "offline.maxAge", line: 11, column: 18 },
  ]);
});

t.test("a file newer than the agent is refused whole, naming the file, line and key", async (t) => {
  const text = `terminal:\n  id: T001\nversion: ${CONFIG_VERSION + 1}\nbrandNewSection: {}\n`;
  const err = refused(t, () => parseConfigText(text, "future.yaml", { env: {} }));
  t.equal(err.code, "CT_CONFIG_VERSION");
  t.match(
    err.message,
    `future.yaml:3:10  version — this file is config format version ${CONFIG_VERSION + 1}, but this agent reads versions up to ${CONFIG_VERSION}`,
  );
  t.equal((err.details?.problems as ConfigProblem[]).length, 1, "its new keys are not reported as typos");
  const bad = refused(t, () => parseConfigText('version: "1"\nterminal: {}\n', "q.yaml", { env: {} }));
  t.equal(bad.code, "CT_CONFIG_INVALID");
  t.match(
    bad.message,
    "q.yaml:1:10  version — expected the config format version, a whole number such as 1 (no quotes)",
  );
});

t.test(
  "config migrate keeps the original as FILE.bak-v1 (same mode) and rewrites the file in the new format",
  async (t) => {
    const dir = mkdtempSync(join(tmpdir(), "cardterm-migrate-"));
    const file = join(dir, "config.yaml");
    writeFileSync(file, V1);
    chmodSync(file, 0o640);
    const lines: string[] = [];
    const io = { out: (s: string) => lines.push(s), err: (s: string) => lines.push(s), steps: STEPS };
    t.equal(await configCommand(["migrate", file], io), 0);
    t.equal(readFileSync(`${file}.bak-v1`, "utf8"), V1, "the backup is the original, byte for byte");
    t.equal(statSync(`${file}.bak-v1`).mode & 0o777, 0o640, "the backup is as private as the original");
    t.equal(statSync(file).mode & 0o777, 0o640);
    t.match(readFileSync(file, "utf8"), /^# the till at the front door\nversion: 3 # format\n/);
    t.match(lines.join("\n"), /version 1 → 3 .*kept as .*config\.yaml\.bak-v1/);
    t.equal(
      parseConfigText(readFileSync(file, "utf8"), file, { migrations: STEPS, onWarning: () => t.fail() }).terminal.id,
      "T001",
    );
    lines.length = 0;
    t.equal(await configCommand(["migrate", file], io), 0);
    t.match(lines.join("\n"), /already config format version 3; nothing to do/);
  },
);

t.test(
  "a second backup gets a timestamp; a dry run writes nothing; a symlinked config is rewritten at its target",
  async (t) => {
    const dir = mkdtempSync(join(tmpdir(), "cardterm-migrate-"));
    const real = join(dir, "real.yaml");
    const link = join(dir, "config.yaml");
    writeFileSync(real, V1);
    writeFileSync(`${real}.bak-v1`, "an older backup\n");
    symlinkSync(real, link);
    const dry = await migrateConfigFile(link, { steps: STEPS, dryRun: true });
    t.equal(dry.backup, undefined);
    t.equal(readFileSync(real, "utf8"), V1, "a dry run changes nothing");
    const r = await migrateConfigFile(link, { steps: STEPS, now: () => new Date("2025-03-04T05:06:07Z") });
    t.equal(r.backup, `${real}.bak-v1-20250304T050607`);
    t.equal(readFileSync(`${real}.bak-v1`, "utf8"), "an older backup\n", "an existing backup is never overwritten");
    t.equal(readFileSync(r.backup!, "utf8"), V1);
    t.ok(
      statSync(link).isFile() && readFileSync(link, "utf8").startsWith("# the till"),
      "the link still points at the file",
    );
  },
);

t.test("config migrate refuses a file newer than the agent and leaves it alone", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "cardterm-migrate-"));
  const file = join(dir, "config.yaml");
  writeFileSync(file, "version: 9\n");
  const err = await migrateConfigFile(file, { steps: STEPS }).catch((e: unknown) => e);
  t.type(err, CardtermError);
  t.equal((err as CardtermError).code, "CT_CONFIG_VERSION");
  t.equal(readFileSync(file, "utf8"), "version: 9\n");
});

function refused(t: Test, fn: () => unknown): CardtermError {
  try {
    fn();
  } catch (err) {
    t.type(err, CardtermError);
    return err as CardtermError;
  }
  t.fail("accepted");
  throw new Error("unreachable");
}
