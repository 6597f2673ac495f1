import fc from "fast-check";
import t from "tap";
import type { IdLineFormat } from "../../config/agent-config.js";
import { parseIdLine } from "../../drivers/readers/id-line-format.js";

const FORMATS: IdLineFormat[] = ["decimal", "hex", "em4100", "wiegand26", "regex"];
const PATTERN = /^ID=(?<id>[0-9]{4,12})$/;

function ok(line: string, format: IdLineFormat, pattern?: RegExp): string {
  const result = parseIdLine(line, format, pattern);
  if (!result.ok) throw new Error(`expected ${JSON.stringify(line)} to parse as ${format}: ${result.reason}`);
  return result.id;
}

function reason(line: string, format: IdLineFormat, pattern?: RegExp): string {
  const result = parseIdLine(line, format, pattern);
  return result.ok ? `accepted as ${result.id}` : result.reason;
}

t.test("every format strips the line ending and framing and refuses empty, long or binary lines", async (t) => {
  t.equal(ok("0012345678\r", "decimal"), "0012345678");
  t.equal(ok(" \t0012345678\r\n", "decimal"), "0012345678");
  t.equal(ok("\x020F00A1B2C3DF\x03", "em4100"), "0F00A1B2C3", "RDM6300 STX/ETX framing");
  for (const format of FORMATS) {
    t.equal(reason("", format, PATTERN), "empty");
    t.equal(reason("\r\n\t  \x00", format, PATTERN), "empty");
    t.equal(reason("1".repeat(65), format, PATTERN), "oversized");
    t.equal(reason("1".repeat(5000), format, PATTERN), "oversized");
    t.equal(reason("00123\x0045678", format, PATTERN), "non-printable");
    t.equal(reason("0012345\xe978", format, PATTERN), "non-printable");
    t.equal(reason("0012\ufffd5678", format, PATTERN), "non-printable");
  }
});

t.test("decimal keeps the digits as given, leading zeros included", async (t) => {
  t.equal(ok("0012345678", "decimal"), "0012345678");
  t.equal(ok("7", "decimal"), "7");
  t.equal(ok("12345678901234567890", "decimal"), "12345678901234567890");
  t.equal(reason("123456789012345678901", "decimal"), "decimal: not 1-20 digits");
  t.equal(reason("00123 45678", "decimal"), "decimal: not 1-20 digits");
  t.equal(reason("0x1234", "decimal"), "decimal: not 1-20 digits");
  t.equal(reason("-1234", "decimal"), "decimal: not 1-20 digits");
  t.equal(reason("１２３", "decimal"), "non-printable", "full-width digits are not digits");
});

t.test("hex is upper-cased and refuses prefixes, spaces and non-hex", async (t) => {
  t.equal(ok("0a1b2c3d4e", "hex"), "0A1B2C3D4E");
  t.equal(ok("F", "hex"), "F");
  t.equal(ok("0123456789abcdefABCDEF0123456789", "hex"), "0123456789ABCDEFABCDEF0123456789");
  t.equal(reason("0123456789abcdefABCDEF01234567890", "hex"), "hex: not 1-32 hex digits");
  t.equal(reason("0x0A1B", "hex"), "hex: not 1-32 hex digits");
  t.equal(reason("0A 1B", "hex"), "hex: not 1-32 hex digits");
  t.equal(reason("0A1G", "hex"), "hex: not 1-32 hex digits");
});

t.test("em4100 takes 10 hex digits, or 12 with a verified XOR checksum", async (t) => {
  t.equal(ok("0F00A1B2C3", "em4100"), "0F00A1B2C3");
  t.equal(ok("0f00a1b2c3", "em4100"), "0F00A1B2C3");
  t.equal(ok("0F00A1B2C3DF", "em4100"), "0F00A1B2C3", "0F^00^A1^B2^C3 = DF");
  t.equal(ok("0000000000" + "00", "em4100"), "0000000000");
  t.equal(reason("0F00A1B2C3DE", "em4100"), "em4100: checksum mismatch");
  t.equal(reason("0F00A1B2C4DF", "em4100"), "em4100: checksum mismatch", "one data digit off");
  t.equal(reason("0F00A1B2C", "em4100"), "em4100: not 10 or 12 hex digits", "a partial line");
  t.equal(reason("0F00A1B2C3D", "em4100"), "em4100: not 10 or 12 hex digits");
  t.equal(reason("0F00A1B2C3DF0", "em4100"), "em4100: not 10 or 12 hex digits");
  t.equal(reason("0F00A1B2CZ", "em4100"), "em4100: not 10 or 12 hex digits");
});

// Facility 12, card 34567 (0x8707): even parity 1, data, odd parity 1.
const W26_BITS = "10000110010000111000001111";
const W26_HEX = "2190E0F";

t.test("wiegand26 checks both parity bits and normalises to FFF-CCCCC", async (t) => {
  t.equal(ok(W26_BITS, "wiegand26"), "012-34567");
  t.equal(ok(W26_HEX, "wiegand26"), "012-34567");
  t.equal(ok(W26_HEX.toLowerCase(), "wiegand26"), "012-34567");
  t.equal(ok("012,34567", "wiegand26"), "012-34567");
  t.equal(ok("012:34567", "wiegand26"), "012-34567");
  t.equal(ok("012-34567", "wiegand26"), "012-34567", "the normalised form reads back as itself");
  t.equal(ok("255,65535", "wiegand26"), "255-65535");
  t.equal(ok("000,00000", "wiegand26"), "000-00000");
  t.equal(ok("00000000000000000000000001", "wiegand26"), "000-00000", "all-zero data: even 0, odd 1");

  t.equal(reason("0" + W26_BITS.slice(1), "wiegand26"), "wiegand26: even parity mismatch");
  t.equal(reason(W26_BITS.slice(0, 25) + "0", "wiegand26"), "wiegand26: odd parity mismatch");
  const flipped = W26_BITS.slice(0, 20) + (W26_BITS[20] === "1" ? "0" : "1") + W26_BITS.slice(21);
  t.equal(reason(flipped, "wiegand26"), "wiegand26: odd parity mismatch", "one card bit flipped");
  t.equal(reason("2190E0E", "wiegand26"), "wiegand26: odd parity mismatch");
  t.equal(reason("4000001", "wiegand26"), "wiegand26: more than 26 bits");
  t.equal(reason(W26_BITS.slice(1), "wiegand26"), "wiegand26: not 26 bits, 7 hex digits or FFF,CCCCC");
  t.equal(reason("256,00001", "wiegand26"), "wiegand26: facility over 255");
  t.equal(reason("012,65536", "wiegand26"), "wiegand26: card over 65535");
  t.equal(reason("12,34567", "wiegand26"), "wiegand26: not 26 bits, 7 hex digits or FFF,CCCCC", "unpadded");
  t.equal(reason("012,3456", "wiegand26"), "wiegand26: not 26 bits, 7 hex digits or FFF,CCCCC", "a lost digit");
  t.equal(reason("190E0F", "wiegand26"), "wiegand26: not 26 bits, 7 hex digits or FFF,CCCCC", "6 hex");
});

t.test("regex takes the named group id and refuses what a card id cannot hold", async (t) => {
  t.equal(ok("ID=0012345678\r", "regex", PATTERN), "0012345678");
  t.equal(ok("card 12-AB_x end", "regex", /^card (?<id>\S+) end$/), "12-AB_x");
  t.equal(ok("ID=1234", "regex", /^ID=(?<id>\d+)$/g), "1234", "a global regex keeps no state");
  t.equal(ok("ID=1234", "regex", /^ID=(?<id>\d+)$/g), "1234");
  t.equal(reason("ID=123", "regex", PATTERN), "regex: no match");
  t.equal(reason("XID=0012345678", "regex", PATTERN), "regex: no match");
  t.equal(reason("ID=", "regex", /^ID=(?<id>\d*)$/), "regex: empty id group");
  t.equal(reason("ID=12", "regex", /^ID=(\d+)$/), "regex: empty id group");
  t.equal(reason("card 12.34 end", "regex", /^card (?<id>\S+) end$/), "regex: id has chars a card id cannot hold");
  t.equal(reason("ID=1234", "regex"), "regex: no pattern configured");
});

t.test("parseIdLine never throws, even on odd input", async (t) => {
  t.equal(reason("123", "nonsense" as IdLineFormat), 'unknown format "nonsense"');
  t.equal(reason(undefined as unknown as string, "decimal"), "not a string");
  t.equal(
    reason("1234", "regex", {
      exec: () => {
        throw new Error("boom");
      },
    } as unknown as RegExp),
    "parser error: boom",
  );
});

// ---- an independent oracle, written differently from the parser, for the fuzz ----

// biome-ignore lint/suspicious/noControlCharactersInRegex: stripping control chars is the point
const CONTROL_ENDS = /^[\x00-\x20\x7f]+|[\x00-\x20\x7f]+$/g;
const HEX_DIGITS = "0123456789abcdefABCDEF";

function allIn(s: string, alphabet: string): boolean {
  return [...s].every((c) => alphabet.includes(c));
}

function countOnes(bits: string): number {
  return bits.split("").filter((b) => b === "1").length;
}

function wiegandFromBits(bits: string): string | null {
  if (countOnes(bits.slice(0, 13)) % 2 !== 0 || countOnes(bits.slice(13)) % 2 !== 1) return null;
  return `${String(Number.parseInt(bits.slice(1, 9), 2)).padStart(3, "0")}-${String(Number.parseInt(bits.slice(9, 25), 2)).padStart(5, "0")}`;
}

function oracleWiegand(s: string): string | null {
  if (s.length === 26 && allIn(s, "01")) return wiegandFromBits(s);
  if (s.length === 7 && allIn(s, HEX_DIGITS)) {
    const bits = BigInt(`0x${s}`).toString(2).padStart(28, "0");
    return bits.startsWith("00") ? wiegandFromBits(bits.slice(2)) : null;
  }
  if (s.length === 9 && ",:-".includes(s[3] ?? "x")) {
    const [f, c] = [s.slice(0, 3), s.slice(4)];
    if (!allIn(f + c, "0123456789") || Number(f) > 255 || Number(c) > 65535) return null;
    return `${f}-${c}`;
  }
  return null;
}

function oracleEm4100(s: string): string | null {
  if ((s.length !== 10 && s.length !== 12) || !allIn(s, HEX_DIGITS)) return null;
  const bytes = Buffer.from(s, "hex");
  if (s.length === 12 && (bytes[0]! ^ bytes[1]! ^ bytes[2]! ^ bytes[3]! ^ bytes[4]!) !== bytes[5]) return null;
  return s.slice(0, 10).toUpperCase();
}

function oracle(line: string, format: IdLineFormat): string | null {
  if (line.length > 1024) return null;
  const s = line.replace(CONTROL_ENDS, "");
  if (s.length === 0 || s.length > 64 || [...s].some((c) => c < " " || c > "~")) return null;
  switch (format) {
    case "decimal":
      return s.length <= 20 && allIn(s, "0123456789") ? s : null;
    case "hex":
      return s.length <= 32 && allIn(s, HEX_DIGITS) ? s.toUpperCase() : null;
    case "em4100":
      return oracleEm4100(s);
    case "wiegand26":
      return oracleWiegand(s);
    default: {
      const rest = s.slice(3);
      return s.startsWith("ID=") && rest.length >= 4 && rest.length <= 12 && allIn(rest, "0123456789") ? rest : null;
    }
  }
}

// ---- generators: garbage, binary, valid lines and near-valid mutations ----

const chars = (alphabet: string, min: number, max: number) =>
  fc.string({ unit: fc.constantFrom(...alphabet), minLength: min, maxLength: max });
const hexByte = fc.integer({ min: 0, max: 255 }).map((b) => b.toString(16).padStart(2, "0"));
const mixCase = (s: string, upper: boolean[]) => [...s].map((c, i) => (upper[i] ? c.toUpperCase() : c)).join("");

const validEm4100 = fc
  .tuple(fc.array(hexByte, { minLength: 5, maxLength: 5 }), fc.boolean(), fc.array(fc.boolean(), { maxLength: 12 }))
  .map(([bytes, withSum, upper]) => {
    const sum = bytes
      .reduce((x, b) => x ^ Number.parseInt(b, 16), 0)
      .toString(16)
      .padStart(2, "0");
    return mixCase(bytes.join("") + (withSum ? sum : ""), upper);
  });

const validWiegand = fc
  .tuple(fc.integer({ min: 0, max: 255 }), fc.integer({ min: 0, max: 65535 }), fc.integer({ min: 0, max: 4 }))
  .map(([facility, card, form]) => {
    const data = facility.toString(2).padStart(8, "0") + card.toString(2).padStart(16, "0");
    const bits = `${countOnes(data.slice(0, 12)) % 2}${data}${1 - (countOnes(data.slice(12)) % 2)}`;
    if (form === 0) return bits;
    if (form === 1) return Number.parseInt(bits, 2).toString(16).padStart(7, "0");
    return `${String(facility).padStart(3, "0")}${",:-"[form - 2] ?? ","}${String(card).padStart(5, "0")}`;
  });

const validLine = fc.oneof(
  chars("0123456789", 1, 22),
  chars(HEX_DIGITS, 1, 34),
  validEm4100,
  validWiegand,
  chars("0123456789", 2, 14).map((d) => `ID=${d}`),
);

const padding = chars(" \t\r\n\x00\x02\x03\x7f", 0, 3);
const noise = fc.constantFrom(..."0123456789abcdefABCDEF01,:-=ID xX\x00\r\n\x7f\xff\u00e9");

/** A valid line broken in the ways a serial line breaks: lost, extra, changed or swapped chars. */
const mutated = fc.tuple(validLine, fc.nat(), noise, fc.integer({ min: 0, max: 5 })).map(([line, at, c, kind]) => {
  const i = line.length === 0 ? 0 : at % line.length;
  const ch = line[i] ?? "";
  switch (kind) {
    case 0:
      return line.slice(0, i) + line.slice(i + 1);
    case 1:
      return line.slice(0, i) + c + line.slice(i);
    case 2:
      return line.slice(0, i) + c + line.slice(i + 1);
    case 3:
      return line.slice(0, i) + (line[i + 1] ?? "") + ch + line.slice(i + 2);
    case 4:
      return line.slice(0, i) + (ch === "0" ? "1" : ch === "1" ? "0" : ch) + line.slice(i + 1);
    default:
      return line.slice(0, i);
  }
});

const anyLine = fc.oneof(
  { arbitrary: fc.tuple(padding, validLine, padding).map(([a, l, b]) => a + l + b), weight: 3 },
  { arbitrary: mutated, weight: 4 },
  { arbitrary: fc.string({ maxLength: 80 }), weight: 1 },
  { arbitrary: fc.string({ unit: "binary", maxLength: 40 }), weight: 1 },
  { arbitrary: fc.uint8Array({ maxLength: 80 }).map((b) => Buffer.from(b).toString("latin1")), weight: 1 },
  { arbitrary: fc.string({ unit: "grapheme-ascii", minLength: 60, maxLength: 1100 }), weight: 1 },
);

t.test("fuzz: 100k random lines never throw and are accepted only when really valid", async (t) => {
  const accepted: Record<string, number> = {};
  let lines = 0;
  fc.assert(
    fc.property(anyLine, (line) => {
      lines++;
      for (const format of FORMATS) {
        const result = parseIdLine(line, format, PATTERN);
        const expected = oracle(line, format);
        if (result.ok !== (expected !== null) || (result.ok && result.id !== expected)) {
          throw new Error(`${format} ${JSON.stringify(line)}: got ${JSON.stringify(result)}, oracle ${expected}`);
        }
        if (result.ok) accepted[format] = (accepted[format] ?? 0) + 1;
      }
    }),
    { numRuns: 100_000, seed: Number(process.env["FUZZ_SEED"] ?? 20251122) },
  );
  t.equal(lines, 100_000);
  // The generators must reach acceptance in every format, or the property proves little.
  for (const format of FORMATS) t.ok((accepted[format] ?? 0) > 2_000, `${format} accepted ${accepted[format]} lines`);
});
