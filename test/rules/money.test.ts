import fc from "fast-check";
import t from "tap";
import { formatMoney, formatYuan, MAX_MINOR, mulDivFloor, mulDivHalfUp, parseMoney } from "../../rules/money.js";

const INVALID = { code: "CT_AMOUNT_INVALID" };

/** The fen a plain decimal text means, by BigInt arithmetic on its digits. */
function exactFen(text: string): bigint {
  const [whole = "", frac = ""] = text.split(".");
  return BigInt(whole) * 100n + BigInt(frac.padEnd(2, "0"));
}

t.test("decimal strings of up to two places parse to exact fen", async (t) => {
  const cases: [string, number][] = [
    ["0", 0],
    ["0.0", 0],
    ["0.00", 0],
    ["0.01", 1],
    ["0.1", 10],
    ["0.10", 10],
    ["12", 1200],
    ["12.3", 1230],
    ["12.34", 1234],
    ["0300", 30000],
    ["100000000", MAX_MINOR],
    ["100000000.00", MAX_MINOR],
    ["000000000000100000000.00", MAX_MINOR],
  ];
  for (const [text, fen] of cases) t.equal(parseMoney(text), fen, JSON.stringify(text));
});

t.test("float traps, signs, whitespace, foreign digits and stray points are refused", async (t) => {
  const refused = [
    "1e3",
    "1E3",
    "0x10",
    "0b1",
    "Infinity",
    "NaN",
    " 12 ",
    "12 ",
    " 12",
    "\t12",
    "12\n",
    "1 000",
    "1,000",
    "1_000",
    "١٢",
    "１２",
    "۱۲",
    "12.",
    ".5",
    "+5",
    "-0",
    "-1",
    "−1",
    "1.234",
    "0.001",
    "12.3.4",
    "",
    ".",
    "¥12",
    "12元",
  ];
  for (const text of refused) t.throws(() => parseMoney(text), INVALID, JSON.stringify(text));
});

t.test("amounts above 100 million yuan are refused however they are written", async (t) => {
  for (const text of ["100000000.01", "100000001", "999999999", "1000000000", "99999999999.99", "9".repeat(400)]) {
    t.throws(() => parseMoney(text), INVALID, text.slice(0, 20));
  }
  t.throws(() => parseMoney("100000000.01"), { message: /above the largest amount 100000000\.00/ });
});

t.test("a number (not a string) is never accepted, even a whole one", async (t) => {
  for (const value of [12, 0.1, 12.5, Number.NaN]) {
    t.throws(() => parseMoney(value as unknown as string), INVALID, String(value));
  }
});

t.test("property: parseMoney(formatMoney(x)) === x for every amount 0..MAX_MINOR", async (t) => {
  const amounts = fc.oneof(
    fc.integer({ min: 0, max: MAX_MINOR }),
    fc.constantFrom(0, 1, 9, 10, 99, 100, 101, MAX_MINOR - 1, MAX_MINOR),
  );
  fc.assert(fc.property(amounts, (x) => parseMoney(formatMoney(x)) === x));
  t.pass("round trip holds");
});

t.test("property: no float is accepted — a float leaks in only as its exact decimal text", async (t) => {
  fc.assert(
    fc.property(fc.double({ noNaN: false }), (d) => {
      let parsed: number | undefined;
      try {
        parsed = parseMoney(d as unknown as string);
      } catch {
        // refused: as it must be
      }
      return parsed === undefined;
    }),
  );
  // String(float) is accepted only when it is already a plain decimal of ≤ 2 places, and
  // then it means exactly that decimal (checked against BigInt arithmetic on the text).
  fc.assert(
    fc.property(fc.double(), (d) => {
      const text = String(d);
      const plain = /^[0-9]+(\.[0-9]{1,2})?$/.test(text);
      let parsed: number | undefined;
      try {
        parsed = parseMoney(text);
      } catch {
        return !plain || exactFen(text) > BigInt(MAX_MINOR);
      }
      return plain && BigInt(parsed) === exactFen(text);
    }),
  );
  t.pass("floats refused");
});

t.test("property: any text either parses to a value that formats back to it, or is refused", async (t) => {
  const chars = fc.constantFrom(..."0123456789.-+e x,".split(""));
  fc.assert(
    fc.property(fc.string({ unit: chars, maxLength: 14 }), (text) => {
      let parsed: number;
      try {
        parsed = parseMoney(text);
      } catch (err) {
        return (err as { code?: string }).code === "CT_AMOUNT_INVALID";
      }
      const canonical = formatMoney(parsed);
      const [w = "", f = ""] = text.split(".");
      return (
        Number.isSafeInteger(parsed) &&
        parsed >= 0 &&
        parsed <= MAX_MINOR &&
        canonical === `${w.replace(/^0+(?=[0-9])/, "")}.${f.padEnd(2, "0")}`
      );
    }),
  );
  t.pass("parse is exact or refuses");
});

t.test("formatMoney and formatYuan write two places, negatives with a leading minus", async (t) => {
  t.equal(formatMoney(0), "0.00");
  t.equal(formatMoney(5), "0.05");
  t.equal(formatMoney(12345), "123.45");
  t.equal(formatMoney(-5), "-0.05");
  t.equal(formatYuan(12345), "¥123.45");
  t.equal(formatYuan(-250), "-¥2.50");
  t.throws(() => formatMoney(1.5), INVALID);
});

t.test("the rounding rule: half-up for money, floor for points, exact via BigInt", async (t) => {
  t.equal(mulDivHalfUp(105, 1, 2), 53);
  t.equal(mulDivHalfUp(104, 1, 2), 52);
  t.equal(mulDivHalfUp(5, 1200, 10_000), 1); // 0.6 → 1
  t.equal(mulDivHalfUp(1, 1200, 10_000), 0); // 0.12 → 0
  t.equal(mulDivFloor(3999, 1, 2000), 1);
  t.equal(mulDivHalfUp(MAX_MINOR, 9_999, 10_000), 9_999_000_000);
  t.throws(() => mulDivHalfUp(-1, 1, 2), RangeError);
  t.throws(() => mulDivHalfUp(1, -1, 2), RangeError);
  t.throws(() => mulDivHalfUp(1, 1, 0), RangeError);
  t.throws(() => mulDivFloor(1.5, 1, 2), RangeError);
  fc.assert(
    fc.property(
      fc.integer({ min: 0, max: MAX_MINOR }),
      fc.integer({ min: 0, max: 1_000_000 }),
      fc.integer({ min: 1, max: 1_000_000 }),
      (a, n, d) => {
        const p = BigInt(a) * BigInt(n);
        const D = BigInt(d);
        const floor = p / D;
        const up = 2n * (p % D) >= D ? floor + 1n : floor; // a remainder of half or more rounds up
        if (up > BigInt(Number.MAX_SAFE_INTEGER)) {
          t.throws(() => mulDivHalfUp(a, n, d), RangeError, "a result beyond 2^53 is refused, not rounded");
          return true;
        }
        return BigInt(mulDivFloor(a, n, d)) === floor && BigInt(mulDivHalfUp(a, n, d)) === up;
      },
    ),
  );
});
