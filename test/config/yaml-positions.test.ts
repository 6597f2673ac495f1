/**
 * Field defects in the config banner: YAML syntax errors point at the
 * line where the technician's slip is — the opening quote or bracket that is never
 * closed — not at the line after it (or the end of the file); an amount with three
 * decimals comes with the value to write instead.
 */
import t from "tap";
import { type ConfigProblem, parseConfigText } from "../../config/load-config.js";
import { isCardtermError } from "../../protocol/errors.js";
import { parseMoney } from "../../rules/money.js";

const HEAD = `version: 1\nterminal:\n  id: T001\n  dataDir: /tmp/x\n  key: { hex: "${"ab".repeat(32)}" }\n`;

function problemsOf(text: string): { code: string; problems: ConfigProblem[] } {
  try {
    parseConfigText(text, "till.yaml");
  } catch (err) {
    if (!isCardtermError(err)) throw err;
    return { code: err.code, problems: (err.details?.problems ?? []) as ConfigProblem[] };
  }
  return { code: "accepted", problems: [] };
}

t.test("an unclosed quote is reported on the line where it opens", async (t) => {
  const text = `${HEAD}  storeName: "徐汇店\nserver:\n  mqttUrl: mqtt://127.0.0.1:1883\napi:\n  port: 8080\n`;
  const { code, problems } = problemsOf(text);
  t.equal(code, "CT_CONFIG_YAML");
  t.match(problems, [{ line: 6, column: 14, message: /quote .*never closed/ }]);
  const single = problemsOf(`${HEAD}  storeName: 'it''s\nserver:\n  mqttUrl: mqtt://a\n`);
  t.match(single.problems, [{ line: 6, column: 14 }], "single quotes, with a doubled one inside");
});

t.test("an unclosed { or [ is reported on its own line, not the next", async (t) => {
  const map = problemsOf(`${HEAD}api: { port: 8080\nserver:\n  mqttUrl: mqtt://a\n`);
  t.equal(map.code, "CT_CONFIG_YAML");
  t.match(map.problems, [{ line: 6, column: 6, message: /"\{" .*not closed/ }]);
  const seq = problemsOf(
    `${HEAD}  storeName: x\nprinter:\n  type: preview\n  header: [a, b\nserver:\n  mqttUrl: mqtt://a\n`,
  );
  t.match(seq.problems, [{ line: 9, column: 11, message: /"\[" .*not closed/ }]);
});

t.test("slips yaml already placed right stay where they are", async (t) => {
  const colon = problemsOf(`${HEAD}  storeName x\nserver:\n  mqttUrl: mqtt://a\n`);
  t.match(colon.problems, [{ line: 6 }]);
  const tab = problemsOf(`${HEAD}\tstoreName: x\n`);
  t.match(tab.problems, [{ line: 6, message: /tab/ }]);
});

t.test("an amount with three decimals gets the value to write", async (t) => {
  const at = (v: string) =>
    problemsOf(`${HEAD}server:\n  mqttUrl: mqtt://a\noffline:\n  perTransaction: ${v}\n`).problems.find(
      (p) => p.path === "offline.perTransaction",
    );
  t.match(at("12.345"), { line: 9, message: /more than two decimal places/, suggestion: '"12.35"' });
  t.match(at("300.000"), { suggestion: '"300.00"' });
  t.match(at('"0.999"'), { suggestion: '"1.00"' });
  t.match(at("12.344"), { suggestion: '"12.34"' });
  t.match(at("12.5"), undefined, "two places or fewer is fine");
});

t.test("the API and the back office say the same value to write (parseMoney)", async (t) => {
  t.throws(() => parseMoney("12.345", "amount"), { code: "CT_AMOUNT_INVALID", message: /write "12\.35"/ });
  t.throws(() => parseMoney("12.3.4"), { message: /^(?!.*write)/ }, "no guess for a malformed amount");
});
