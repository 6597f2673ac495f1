import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { Ajv } from "ajv";
import t, { type Test } from "tap";
import { checkDevicePaths, loadConfig, parseConfigText } from "../../config/load-config.js";
import type { ConfigProblem } from "../../config/problems.js";
import { configJsonSchema } from "../../config/schema.js";
import { CardtermError } from "../../protocol/errors.js";

const KEY_HEX = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
const FILE = "config.yaml";

/** A valid config whose line N is lines[N-1]; tests append or replace lines to break it. */
function yaml(...lines: string[]): string {
  return `${lines.join("\n")}\n`;
}
const TERMINAL = ["terminal:", "  id: T001", `  key: { hex: "${KEY_HEX}" }`, "  dataDir: /var/lib/cardterm"];
const SERVER = ["server:", "  mqttUrl: mqtt://127.0.0.1:1883"];

/** Load `text`, expect it refused with `code`, and hand back the error and its problems. */
function refused(
  tt: Test,
  text: string,
  code = "CT_CONFIG_INVALID",
  opts: Parameters<typeof parseConfigText>[2] = {},
): { err: CardtermError; problems: ConfigProblem[] } {
  try {
    parseConfigText(text, FILE, { env: {}, ...opts });
  } catch (err) {
    tt.type(err, CardtermError);
    const e = err as CardtermError;
    tt.equal(e.code, code, e.message);
    return { err: e, problems: e.details?.problems as ConfigProblem[] };
  }
  tt.fail("the config was accepted");
  throw new Error("unreachable");
}

function only(tt: Test, problems: ConfigProblem[], path: string): ConfigProblem {
  const found = problems.filter((p) => p.path === path);
  tt.equal(found.length, 1, `one problem at ${path}, got ${JSON.stringify(problems)}`);
  return found[0]!;
}

t.test("a typo in a key is refused at its line, with the nearest valid key offered", async (t) => {
  const text = yaml(...TERMINAL, "server:", "  brokr: mqtt://127.0.0.1:1883", "tapTimout: 30s");
  const { err, problems } = refused(t, text);
  const brokr = only(t, problems, "server.brokr");
  t.match(brokr, { file: FILE, line: 6, column: 3, message: "unknown key", suggestion: '"mqttUrl"' });
  t.match(err.message, 'config.yaml:6:3  server.brokr — unknown key; did you mean "mqttUrl"?');
  t.match(only(t, problems, "tapTimout"), { line: 7, column: 1, suggestion: '"tapTimeout"' });
  // The broker key is then missing too: reported at the line of `server:`.
  t.match(only(t, problems, "server.mqttUrl"), { line: 5, message: 'missing required key "mqttUrl"' });
});

t.test("an unknown key with nothing close lists the keys allowed there", async (t) => {
  const { problems } = refused(t, yaml(...TERMINAL, ...SERVER, "api:", "  zzz: 1"));
  const p = only(t, problems, "api.zzz");
  t.equal(p.suggestion, undefined);
  t.equal(p.message, "unknown key; the keys allowed here are host, port, token, idleTimeout");
  t.equal(p.line, 8);
});

t.test("a wrong type is named, and a quoted number is not coerced", async (t) => {
  const text = yaml(
    ...TERMINAL,
    ...SERVER,
    "readers:",
    "  - id: front",
    "    type: serial-id",
    "    path: /dev/serial/by-id/usb-x",
    '    baudRate: "9600x"',
    "  - id: back",
    "    type: serial-id",
    "    path: /dev/serial/by-id/usb-y",
    '    baudRate: "9600"',
  );
  const { err, problems } = refused(t, text);
  t.match(only(t, problems, "readers[0].baudRate"), {
    line: 11,
    column: 15,
    message: 'expected an integer, got the string "9600x"',
  });
  t.equal(only(t, problems, "readers[0].baudRate").suggestion, undefined);
  t.match(only(t, problems, "readers[1].baudRate"), {
    line: 15,
    message: 'expected an integer, got the string "9600"',
    suggestion: "9600",
  });
  t.match(err.message, 'config.yaml:11:15  readers[0].baudRate — expected an integer, got the string "9600x"');
});

t.test("a number where text is expected suggests the quoted source text", async (t) => {
  const text = yaml(
    "terminal:",
    "  id: T001",
    `  key: { hex: "${KEY_HEX}" }`,
    "  dataDir: /d",
    "  operatorId: 001",
    ...SERVER,
  );
  const p = only(t, refused(t, text).problems, "terminal.operatorId");
  t.match(p, { line: 5, message: "expected a string, got the number 001", suggestion: '"001"' });
});

t.test("bad enums list the allowed values and offer the nearest", async (t) => {
  const text = yaml(
    ...TERMINAL,
    ...SERVER,
    "readers:",
    "  - { id: a, type: serial, path: /dev/x }",
    "printer: { type: network, host: p, paperWidth: 60 }",
    "offline: { enabled: yes }",
  );
  const { problems } = refused(t, text);
  t.match(only(t, problems, "readers[0].type"), {
    line: 8,
    message: 'the string "serial" is not a known type; use "simulated", "serial-id", "pcsc" or "keyboard-wedge"',
    suggestion: '"serial-id"',
  });
  t.match(only(t, problems, "printer.paperWidth"), {
    line: 9,
    message: "the number 60 is not allowed here; use 58 or 80",
  });
  t.match(only(t, problems, "offline.enabled"), {
    line: 10,
    message: 'expected true or false, got the string "yes"',
    suggestion: "true",
  });
});

t.test("bad amounts are refused: too many places, negative, not a number, float notation", async (t) => {
  const text = yaml(
    ...TERMINAL,
    ...SERVER,
    "offline:",
    '  perTransaction: "300.001"',
    '  perCard: "-5"',
    '  terminalTotal: "abc"',
  );
  const { err, problems } = refused(t, text);
  t.match(only(t, problems, "offline.perTransaction"), {
    line: 8,
    column: 19,
    message: '"300.001" has more than two decimal places; amounts are in yuan and fen',
  });
  t.match(only(t, problems, "offline.perCard"), { line: 9, message: '"-5" is negative; amounts must be 0 or more' });
  t.match(only(t, problems, "offline.terminalTotal"), {
    line: 10,
    message: '"abc" is not an amount; expected a decimal with at most two places, like "300.00"',
  });
  t.match(err.message, /config\.yaml:8:19 +offline\.perTransaction — "300\.001"/);

  const numbers = refused(t, yaml(...TERMINAL, ...SERVER, "offline:", "  perTransaction: -5", "  perCard: 1e3"));
  t.match(only(t, numbers.problems, "offline.perTransaction"), {
    message: "-5 is negative; amounts must be 0 or more",
  });
  t.match(only(t, numbers.problems, "offline.perCard"), { message: /^1e3 is not an amount/ });
  // As floats these would read 0.1 and 1000; their source text says otherwise.
  const hidden = refused(t, yaml(...TERMINAL, ...SERVER, "offline:", "  perCard: 0.1000000000000000001")).problems;
  t.match(only(t, hidden, "offline.perCard"), { message: /^0\.1000000000000000001 has more than two decimal places/ });
  const unquoted = refused(t, yaml(...TERMINAL, ...SERVER, "offline:", "  perTransaction: 300.001"));
  t.match(only(t, unquoted.problems, "offline.perTransaction"), { message: /^300\.001 has more than two decimal/ });
});

t.test("amounts written as YAML numbers are read from their source text, never through a float", async (t) => {
  const text = yaml(
    ...TERMINAL,
    ...SERVER,
    "offline:",
    "  perTransaction: 0.10",
    "  perCard: 300",
    '  terminalTotal: "0.1"',
  );
  const config = parseConfigText(text, FILE, { env: {} });
  t.equal(config.offline.perTransactionMinor, 10);
  t.equal(config.offline.perCardMinor, 30_000);
  t.equal(config.offline.terminalMinor, 10);
  const exact = parseConfigText(yaml(...TERMINAL, ...SERVER, "offline:", "  perCard: 1234.57"), FILE, { env: {} });
  t.equal(exact.offline.perCardMinor, 123_457);
});

t.test("bad durations are refused with the canonical spelling offered", async (t) => {
  const text = yaml(
    ...TERMINAL,
    "server:",
    "  mqttUrl: mqtt://127.0.0.1:1883",
    "  authTimeout: 2",
    "offline:",
    "  maxAge: 1.5h",
    "tapTimeout: 30 s",
  );
  const { problems } = refused(t, text);
  t.match(only(t, problems, "server.authTimeout"), {
    line: 7,
    message: /got the number 2; add a unit \(ms, s, m, h or d\)/,
  });
  t.equal(only(t, problems, "server.authTimeout").suggestion, undefined);
  t.match(only(t, problems, "offline.maxAge"), {
    line: 9,
    message: /^"1\.5h" is not a duration/,
    suggestion: '"1h30m"',
  });
  t.match(only(t, problems, "tapTimeout"), { line: 10, message: /without spaces/, suggestion: '"30s"' });
  const zero = refused(t, yaml(...TERMINAL, ...SERVER, "tapTimeout: 0s")).problems;
  t.match(only(t, zero, "tapTimeout"), { message: '"0s" is too short; it must be more than 0' });
});

t.test("a missing required key is reported at its parent's line", async (t) => {
  const text = yaml("version: 1", "terminal:", "  id: T001", `  key: { hex: "${KEY_HEX}" }`, ...SERVER);
  const { err, problems } = refused(t, text);
  t.match(only(t, problems, "terminal.dataDir"), { line: 2, column: 1, message: 'missing required key "dataDir"' });
  t.match(err.message, 'config.yaml:2:1  terminal.dataDir — missing required key "dataDir"');
  const noServer = refused(t, yaml(...TERMINAL)).problems;
  t.match(only(t, noServer, "server"), { line: 1, column: 1, message: 'missing required key "server"' });
  const noHost = refused(t, yaml(...TERMINAL, ...SERVER, "printer:", "  type: network")).problems;
  t.match(only(t, noHost, "printer.host"), { line: 7, message: 'missing required key "host"' });
});

t.test("a key from a missing environment variable names the variable", async (t) => {
  const text = yaml("terminal:", "  id: T001", "  key: { env: CARDTERM_TERMINAL_KEY }", "  dataDir: /d", ...SERVER);
  const { err, problems } = refused(t, text);
  t.match(only(t, problems, "terminal.key.env"), {
    line: 3,
    column: 15,
    message: "environment variable CARDTERM_TERMINAL_KEY (the key) is not set",
  });
  t.match(err.message, "config.yaml:3:15  terminal.key.env — environment variable CARDTERM_TERMINAL_KEY");
  const ok = parseConfigText(text, FILE, { env: { CARDTERM_TERMINAL_KEY: KEY_HEX } });
  t.equal(ok.terminal.key.toString("hex"), KEY_HEX);
  const pw = yaml(...TERMINAL, ...SERVER, "  password: { env: MQTT_PW }");
  t.match(only(t, refused(t, pw).problems, "server.password.env"), {
    line: 7,
    message: "environment variable MQTT_PW (the password) is not set",
  });
});

t.test("an unreadable key file is named; a malformed key is described without echoing it", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "cardterm-cfg-"));
  const text = yaml("terminal:", "  id: T001", "  key: { file: keys/terminal.key }", "  dataDir: /d", ...SERVER);
  const missing = refused(t, text, "CT_CONFIG_INVALID", { baseDir: dir }).problems;
  t.match(only(t, missing, "terminal.key.file"), {
    line: 3,
    message: `cannot read the key file ${join(dir, "keys/terminal.key")}: no such file`,
  });
  mkdirSync(join(dir, "keys"));
  const secret = "abcdefabcdefabcdefabcdefabcdef";
  writeFileSync(join(dir, "keys/terminal.key"), `${secret}\n`);
  const { err, problems } = refused(t, text, "CT_CONFIG_INVALID", { baseDir: dir });
  t.match(only(t, problems, "terminal.key.file"), {
    message: "key file keys/terminal.key must hold 64 hexadecimal characters (a 32-byte key); it has 30",
  });
  t.notMatch(err.message, secret);
  writeFileSync(join(dir, "keys/terminal.key"), `  ${KEY_HEX.toUpperCase()}\n`);
  const config = parseConfigText(text, FILE, { env: {}, baseDir: dir });
  t.equal(config.terminal.key.toString("hex"), KEY_HEX);
  const hex = refused(t, yaml("terminal:", "  id: T1", "  key: { hex: zz }", "  dataDir: /d", ...SERVER));
  t.match(only(t, hex.problems, "terminal.key.hex"), { message: /other than 0-9 and a-f$/ });
  t.notMatch(hex.err.message, '"zz"');
});

t.test("a reader regex must compile and name the group id", async (t) => {
  const reader = (pattern: string) =>
    yaml(
      ...TERMINAL,
      ...SERVER,
      "readers:",
      "  - id: r",
      "    type: serial-id",
      "    path: /dev/x",
      "    format: regex",
      pattern,
    );
  const broken = refused(t, reader("    pattern: '^ID=(?<id>[0-9+)$'")).problems;
  t.match(only(t, broken, "readers[0].pattern"), { line: 12, message: /^the pattern does not compile: / });
  const noGroup = refused(t, reader("    pattern: '^ID=([0-9]+)$'")).problems;
  t.match(only(t, noGroup, "readers[0].pattern"), { message: /no named group `id`/ });
  const none = refused(t, reader("")).problems;
  t.match(only(t, none, "readers[0].pattern"), { line: 8, message: 'missing required key "pattern"' });
  const ok = parseConfigText(reader("    pattern: '^ID=(?<id>\\d+)$'"), FILE, { env: {} });
  t.match(ok.readers[0], { format: "regex", pattern: "^ID=(?<id>\\d+)$" });
  const stray = yaml(...TERMINAL, ...SERVER, "readers:", "  - { id: r, type: serial-id, path: /dev/x, pattern: x }");
  t.match(only(t, refused(t, stray).problems, "readers[0].pattern"), {
    message: 'pattern is only used with format: regex (this reader\'s format is "decimal")',
  });
});

t.test("duplicate reader ids are refused, pointing at the first use", async (t) => {
  const text = yaml(
    ...TERMINAL,
    ...SERVER,
    "readers:",
    "  - { id: front, type: simulated }",
    "  - id: front",
    "    type: simulated",
  );
  const { err, problems } = refused(t, text);
  t.match(only(t, problems, "readers[1].id"), {
    line: 9,
    column: 9,
    message: 'reader id "front" is already used by readers[0] (line 8)',
  });
  t.match(err.message, "config.yaml:9:9  readers[1].id — reader id");
});

t.test("a YAML syntax error is CT_CONFIG_YAML with line and column", async (t) => {
  const text = yaml(...TERMINAL, "server:", "  mqttUrl: mqtt://x", "  mqttUrl: mqtt://y", "readers: [ { id: a", "x: 1");
  const { err, problems } = refused(t, text, "CT_CONFIG_YAML");
  t.match(problems[0], {
    file: FILE,
    line: 7,
    column: 3,
    message: 'the key "mqttUrl" appears twice in the same mapping; keep one',
  });
  t.ok(problems.length >= 2, "the unclosed list is reported as well");
  t.match(err.message, /^CT_CONFIG_YAML: configuration file config\.yaml is not valid YAML/);
  t.match(err.message, /config\.yaml:7:3 +the key/);
  const tab = refused(t, "terminal:\n\tid: T1\n", "CT_CONFIG_YAML").problems;
  t.match(tab[0], { line: 2, column: 1, message: "a tab is used to indent; YAML indents with spaces only" });
});

t.test("several problems are listed at once, in file order, one banner line each", async (t) => {
  const text = yaml(
    "terminal:",
    "  id: T 001",
    `  key: { hex: "${KEY_HEX}" }`,
    "  dataDir: /d",
    "  timeZone: Asia/Shangai",
    "server:",
    "  mqttUrl: http://broker",
    "  brokr: x",
    "offline:",
    '  perCard: "5.555"',
    "tapTimeout: 30",
  );
  const { err, problems } = refused(t, text);
  t.same(
    problems.map((p) => [p.line, p.path]),
    [
      [2, "terminal.id"],
      [5, "terminal.timeZone"],
      [7, "server.mqttUrl"],
      [8, "server.brokr"],
      [10, "offline.perCard"],
      [11, "tapTimeout"],
    ],
  );
  t.match(only(t, problems, "terminal.timeZone"), { suggestion: '"Asia/Shanghai"' });
  const lines = err.message.split("\n");
  t.equal(lines.length, 7);
  t.match(lines[0], "configuration file config.yaml has 6 problems");
  t.match(lines[1], /^ {2}config\.yaml:2:7 {4}terminal\.id — the string "T 001" is not a valid id/);
  t.match(lines[6], /^ {2}config\.yaml:11:13 {2}tapTimeout — /);
});

t.test("the technician's annotated example loads with the right minor units and milliseconds", async (t) => {
  const file = "config/examples/serial-id-network-printer.yaml";
  const readFile = (p: string) => (p === "/etc/cardterm/terminal.key" ? `${KEY_HEX}\n` : readFileSync(p));
  const config = await loadConfig(file, { env: { CARDTERM_MQTT_PASSWORD: "s3cret" }, readFile });
  t.equal(config.source, file);
  t.equal(config.terminal.key.toString("hex"), KEY_HEX);
  t.match(config.terminal, { id: "T001", storeId: "S001", storeName: "示例门店", operatorId: "001" });
  t.same(config.readers, [
    {
      id: "front",
      type: "serial-id",
      path: "/dev/serial/by-id/usb-FTDI_FT232R_USB_UART_A10K1234-if00-port0",
      baudRate: 9600,
      dataBits: 8,
      parity: "none",
      stopBits: 1,
      delimiter: "\r\n",
      format: "decimal",
      debounceMs: 1500,
    },
  ]);
  t.same(config.printer, { type: "network", host: "192.168.1.50", port: 9100, paperWidth: 80, timeoutMs: 3000 });
  t.same(config.server, {
    mqttUrl: "mqtts://mqtt.example.com:8883",
    username: "T001",
    password: "s3cret",
    authTimeoutMs: 2000,
    uploadBatchSize: 100,
  });
  t.same(config.offline, {
    enabled: true,
    perTransactionMinor: 30_000,
    perCardMinor: 50_000,
    perCardCount: 5,
    terminalMinor: 300_000,
    terminalCount: 300,
    maxOfflineAgeMs: 86_400_000,
    allowUnknownCards: false,
  });
  t.equal(config.tapTimeoutMs, 30_000);
});

t.test("the demo config is the demo's: T001, its operators, paths in the repository's var/demo", async (t) => {
  const repo = resolve(import.meta.dirname, "../..");
  const read: string[] = [];
  const config = await loadConfig(join(repo, "config/examples/demo.yaml"), {
    env: {},
    readFile: (p) => {
      read.push(p);
      return p.endsWith("terminal.key") ? KEY_HEX : readFileSync(p);
    },
  });
  t.equal(config.terminal.id, "T001", "the id the demo's head office registers");
  t.equal(
    config.terminal.dataDir,
    join(repo, "var/demo/agent"),
    "relative to the file: doctor sees the demo's journal",
  );
  t.ok(read.includes(join(repo, "var/demo/terminal.key")), "the key the demo makes");
  t.same(config.printer, { type: "preview", previewDir: join(repo, "var/demo/receipts"), paperWidth: 80 });
  t.same(config.readers, [{ id: "sim", type: "simulated" }]);
  t.equal(config.server.mqttUrl, "mqtt://127.0.0.1:1883");
  t.same(
    config.operators.map((o) => [o.id, o.role]),
    [
      ["001", "cashier"],
      ["900", "supervisor"],
    ],
  );
  t.equal(config.terminal.key.toString("hex"), KEY_HEX);
});

t.test("a minimal config gets every default", async (t) => {
  const config = parseConfigText(yaml(...TERMINAL, ...SERVER), "/etc/cardterm/config.yaml", { env: {} });
  const { key, ...terminal } = config.terminal;
  t.equal(key.length, 32);
  t.same(terminal, {
    id: "T001",
    storeId: "",
    storeName: "",
    dataDir: "/var/lib/cardterm",
    language: "zh-CN",
    timeZone: "Asia/Shanghai",
    operatorId: "001",
  });
  t.same(config.api, { host: "127.0.0.1", port: 7070, token: null, idleTimeoutMs: 900_000 });
  t.same(config.operators, [], "no operators: no log-in, sales under terminal.operatorId");
  t.same(config.readers, [{ id: "sim", type: "simulated" }]);
  t.same(config.printer, { type: "none" });
  t.same(config.server, { mqttUrl: "mqtt://127.0.0.1:1883", authTimeoutMs: 2000, uploadBatchSize: 100 });
  t.same(config.offline, {
    enabled: true,
    perTransactionMinor: 30_000,
    perCardMinor: 50_000,
    perCardCount: 5,
    terminalMinor: 300_000,
    terminalCount: 300,
    maxOfflineAgeMs: 86_400_000,
    allowUnknownCards: false,
  });
  t.equal(config.tapTimeoutMs, 30_000);
  t.equal(config.version, 1);
});

t.test("relative paths resolve against the config file's directory", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "cardterm-rel-"));
  writeFileSync(join(dir, "terminal.key"), KEY_HEX);
  writeFileSync(join(dir, "mqtt.pw"), "pw\n");
  const file = join(dir, "config.yaml");
  writeFileSync(
    file,
    yaml(
      "terminal: { id: T1, key: { file: terminal.key }, dataDir: ./data }",
      "server: { mqttUrl: 'mqtt://h', password: { file: mqtt.pw } }",
      "printer: { type: preview }",
    ),
  );
  const config = await loadConfig(file, { env: {} });
  t.equal(config.terminal.dataDir, join(dir, "data"));
  t.same(config.printer, { type: "preview", previewDir: join(dir, "data/receipts"), paperWidth: 80 });
  t.equal(config.server.password, "pw");
});

t.test("a config file that cannot be read is CT_CONFIG_NOT_FOUND naming it", async (t) => {
  const file = join(tmpdir(), "cardterm-no-such-dir", "config.yaml");
  await t.rejects(loadConfig(file), {
    code: "CT_CONFIG_NOT_FOUND",
    message: `CT_CONFIG_NOT_FOUND: cannot read the configuration file ${file}: no such file`,
  });
  const empty = refused(t, "").problems;
  t.match(empty[0], { line: 1, message: /the file is empty/ });
});

t.test("device paths are checked on request, not at load", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "cardterm-dev-"));
  writeFileSync(join(dir, "plain"), "");
  const text = yaml(
    ...TERMINAL,
    ...SERVER,
    "readers:",
    "  - { id: a, type: serial-id, path: /dev/serial/by-id/cardterm-test-absent }",
    "  - { id: b, type: serial-id, path: /dev/null }",
    `  - { id: c, type: serial-id, path: ${join(dir, "plain")} }`,
  );
  const config = parseConfigText(text, FILE, { env: {} });
  const problems = checkDevicePaths(config);
  t.same(
    problems.map((p) => [p.path, p.line, p.message]),
    [
      [
        "readers[0].path",
        8,
        "/dev/serial/by-id/cardterm-test-absent does not exist; is the reader plugged in? (ls -l /dev/serial/by-id/)",
      ],
      ["readers[2].path", 10, `${join(dir, "plain")} is not a serial device`],
    ],
  );
});

t.test("the schema is closed everywhere and describes every property", async (t) => {
  new Ajv({ discriminator: true, allowUnionTypes: true, strictRequired: false }).compile(configJsonSchema);
  const open: string[] = [];
  const undescribed: string[] = [];
  const walk = (node: unknown, at: string): void => {
    if (node === null || typeof node !== "object") return;
    const s = node as Record<string, unknown>;
    if (s.properties && s.additionalProperties !== false) open.push(at);
    for (const [name, prop] of Object.entries((s.properties ?? {}) as Record<string, Record<string, unknown>>)) {
      if (typeof prop.description !== "string" && !prop.$ref) undescribed.push(`${at}.${name}`);
    }
    // `if` is a condition on the data, not a shape of it.
    for (const [k, v] of Object.entries(s)) if (k !== "if") walk(v, `${at}/${k}`);
  };
  walk(configJsonSchema, "#");
  t.same(open, []);
  t.same(undescribed, []);
});
