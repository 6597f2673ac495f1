/**
 * What a reload may change live, what reopens one device, what needs a restart
 * (agent/runtime/reload-diff.ts), and where a restart-only key is in the file.
 */
import t from "tap";
import { diffConfig } from "../../agent/runtime/reload-diff.js";
import { restartProblems, yamlPathOf } from "../../agent/runtime/reload-report.js";
import type { AgentConfig } from "../../config/agent-config.js";
import { parseConfigText } from "../../config/load-config.js";

const TEXT = `version: 1
terminal:
  id: T001
  key: { hex: "${"ab".repeat(32)}" }
  dataDir: /var/lib/cardterm
  storeName: 一号店
api:
  port: 7070
readers:
  - id: sim
    type: simulated
  - id: front
    type: serial-id
    path: /dev/ttyUSB0
printer:
  type: network
  host: 192.168.1.50
server:
  mqttUrl: mqtt://broker:1883
offline:
  perTransaction: "300.00"
`;

const load = (text: string): AgentConfig => parseConfigText(text, "/etc/cardterm/config.yaml");
const edit = (from: string, to: string) => {
  if (!TEXT.includes(from)) throw new Error(`fixture has no ${from}`);
  return load(TEXT.replace(from, to));
};
const kinds = (before: AgentConfig, after: AgentConfig) =>
  diffConfig(before, after).map((c) => `${c.path}:${c.kind}${c.device ? `:${c.device}` : ""}`);

const base = load(TEXT);

t.test("the same file loaded twice differs in nothing (keys compared by bytes)", async (t) => {
  const again = load(TEXT);
  t.not(again.terminal.key, base.terminal.key, "a new Buffer");
  t.same(diffConfig(base, again), []);
});

t.test("limits, names, operators and timeouts change live", async (t) => {
  t.same(kinds(base, edit('perTransaction: "300.00"', 'perTransaction: "50.00"')), [
    "offline.perTransactionMinor:live",
  ]);
  t.same(kinds(base, edit("storeName: 一号店", "storeName: 二号店")), ["terminal.storeName:live"]);
  t.same(kinds(base, edit("  port: 7070\n", "  port: 7070\n  idleTimeout: 5m\n")), ["api.idleTimeoutMs:live"]);
  t.same(kinds(base, edit("offline:\n", "tapTimeout: 10s\noffline:\n")), ["tapTimeoutMs:live"]);
});

t.test("a changed device reopens that device alone", async (t) => {
  t.same(kinds(base, edit("host: 192.168.1.50", "host: 192.168.1.51")), ["printer.host:device:printer:receipt"]);
  t.same(kinds(base, edit("path: /dev/ttyUSB0", "path: /dev/ttyUSB1")), ["readers[1]:device:reader:front"]);
  t.same(
    kinds(base, edit("storeName: 一号店", "storeName: 一号店\n  language: en")),
    ["terminal.language:live", "terminal.language:device:printer:receipt"],
    "the printer renders in the terminal's language: it is reopened too",
  );
});

t.test("identity, plumbing and the set of readers need a restart", async (t) => {
  t.same(kinds(base, edit("id: T001", "id: T002")), ["terminal.id:restart"]);
  t.same(kinds(base, edit(`hex: "${"ab".repeat(32)}"`, `hex: "${"cd".repeat(32)}"`)), ["terminal.key:restart"]);
  t.same(kinds(base, edit("port: 7070", "port: 7071")), ["api.port:restart"]);
  t.same(kinds(base, edit("mqtt://broker:1883", "mqtt://broker2:1883")), ["server.mqttUrl:restart"]);
  t.same(kinds(base, edit("host: 192.168.1.50", "host: 192.168.1.50\n  keepFor: 3d")), ["printer.keepForMs:restart"]);
  t.same(kinds(base, edit("  - id: sim\n    type: simulated\n", "")), ["readers:restart"], "a reader removed");
  t.same(
    kinds(base, edit("  - id: sim\n    type: simulated\n", "  - id: sim\n    type: serial-id\n    path: /dev/ttyS0\n")),
    ["readers[0]:restart"],
    "the simulated reader turned into a device",
  );
});

t.test("a restart-only change points at its key's line in the new file, values left out", async (t) => {
  const text = TEXT.replace("port: 7070", "port: 7071").replace(`"${"ab".repeat(32)}"`, `"${"cd".repeat(32)}"`);
  const changes = diffConfig(base, load(text)).filter((c) => c.kind === "restart");
  const problems = restartProblems(changes, "/etc/cardterm/config.yaml", text);
  t.match(problems, [
    { file: "/etc/cardterm/config.yaml", line: 4, path: "terminal.key" },
    { file: "/etc/cardterm/config.yaml", line: 8, path: "api.port" },
  ]);
  t.notOk(JSON.stringify(problems).includes("cd".repeat(32)), "the new key is not repeated");
  t.match(problems[0]?.message, /restart/);
});

t.test("config paths map to the keys as written", async (t) => {
  t.same(yamlPathOf("printer.keepForMs"), ["printer", "keepFor"]);
  t.same(yamlPathOf("server.tls.caFile"), ["server", "tls", "ca"]);
  t.same(yamlPathOf("readers[1]"), ["readers", 1]);
  t.same(yamlPathOf("terminal.id"), ["terminal", "id"]);
});
