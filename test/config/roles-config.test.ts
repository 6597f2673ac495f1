/**
 * The config's `roles:` section: loaded as written, and refused — at its file
 * and line, with the nearest valid name — when a role or a permission is misspelt, given
 * twice, or not a list. Through the real loader.
 */
import t, { type Test } from "tap";
import { parseConfigText } from "../../config/load-config.js";
import type { ConfigProblem } from "../../config/problems.js";
import { CardtermError } from "../../protocol/errors.js";

const KEY_HEX = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
const FILE = "till.yaml";
const BASE = [
  "version: 1",
  "terminal:",
  "  id: T001",
  `  key: { hex: "${KEY_HEX}" }`,
  "  dataDir: /var/lib/cardterm",
  "server:",
  "  mqttUrl: mqtt://127.0.0.1:1883",
];
const yaml = (...lines: string[]) => `${[...BASE, ...lines].join("\n")}\n`;
/** Line numbers of what the tests append: BASE has 7 lines. */
const LINE = (n: number) => BASE.length + n;

function problemsOf(tt: Test, text: string): ConfigProblem[] {
  try {
    parseConfigText(text, FILE, { env: {} });
  } catch (err) {
    tt.type(err, CardtermError);
    tt.equal((err as CardtermError).code, "CT_CONFIG_INVALID");
    return (err as CardtermError).details?.problems as ConfigProblem[];
  }
  tt.fail("the config was accepted");
  return [];
}

t.test("roles as written: each role listed narrows, roles left out are absent", async (t) => {
  const config = parseConfigText(yaml("roles:", "  cashier: [sale, balance]", "  supervisor: []"), FILE, { env: {} });
  t.same(config.roles, { cashier: ["sale", "balance"], supervisor: [] });
  const none = parseConfigText(yaml(), FILE, { env: {} });
  t.equal(none.roles, undefined, "no roles section: the chain's table as it is");
});

t.test("a misspelt permission is refused at its line with the nearest permission", async (t) => {
  const problems = problemsOf(t, yaml("roles:", "  cashier: [sale, balance]", "  supervisor:", "    - refnd"));
  t.equal(problems.length, 1, JSON.stringify(problems));
  t.match(problems[0], {
    file: FILE,
    line: LINE(4),
    path: "roles.supervisor[0]",
    suggestion: '"refund"',
    message: /"refnd" is not allowed here; use "sale", .*"cardManage"/,
  });
});

t.test("a misspelt role is an unknown key with the nearest role", async (t) => {
  const problems = problemsOf(t, yaml("roles:", "  cashiers: [sale]"));
  t.equal(problems.length, 1, JSON.stringify(problems));
  t.match(problems[0], { line: LINE(2), path: "roles.cashiers", message: "unknown key", suggestion: '"cashier"' });
});

t.test("a permission given twice, and a role that is not a list, are refused", async (t) => {
  const twice = problemsOf(t, yaml("roles:", "  cashier: [sale, sale]"));
  t.match(twice, [{ line: LINE(2), path: "roles.cashier" }]);
  const notList = problemsOf(t, yaml("roles:", "  technician: status"));
  t.match(notList, [{ line: LINE(2), path: "roles.technician", message: /expected a list/ }]);
});
