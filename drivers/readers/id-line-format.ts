/**
 * Parses one line from a 125 kHz ID-card reader on a serial line into a normalised id.
 * A pure function on strings: it never throws, and every rejection carries a short reason
 * for the log. The line is taken as latin1 (one char per byte), so a byte the reader did
 * not mean to send shows up as a non-printable char instead of vanishing into UTF-8.
 *
 * Every format first strips surrounding whitespace and control chars (the `\r` left by a
 * `\r\n` reader on an `\n` delimiter, the STX/ETX framing of RDM6300-style modules) and
 * then rejects an empty line, a line over 64 chars, or any char outside printable ASCII.
 *
 * Accepted wire forms, and what they become:
 *
 * - `decimal`: 1–20 digits, kept exactly as given (leading zeros are part of the number
 *   printed on the card): `0012345678` → `0012345678`.
 * - `hex`: 1–32 hex digits, either case, no `0x` and no spaces: `0a1b2c3d4e` → `0A1B2C3D4E`.
 * - `em4100`: 10 hex digits (version byte + 32-bit id), or 12 with a trailing checksum that
 *   must equal the XOR of the 5 data bytes (EM4100 readers such as the RDM6300 send it):
 *   `0F00A1B2C3` or `0F00A1B2C3DF` → `0F00A1B2C3`.
 * - `wiegand26` (HID H10301: even parity, 8-bit facility, 16-bit card, odd parity),
 *   normalised to `FFF-CCCCC` zero-padded:
 *   - the frame as 26 chars of `0`/`1`, first bit first, both parity bits verified;
 *   - the frame as 7 hex digits (the 26 bits right-aligned, so the first digit is 0–3),
 *     both parity bits verified;
 *   - `FFF,CCCCC` in decimal, exactly 3 + 5 digits (facility ≤ 255, card ≤ 65535), with
 *     `,`, `:` or `-` between them (so the normalised form reads back as itself).
 *   Fixed widths only: a line that lost a char must not become another card's number,
 *   which is why unpadded decimals and a 6-hex "no parity" form are refused.
 * - `regex`: the site's pattern, with a named group `id`; the captured id is kept as
 *   captured and must be 1–64 chars of `[0-9A-Za-z_-]` (what a card id may hold). The
 *   pattern is applied as given: anchor it (`^…$`) so that a partial line cannot match.
 *
 * Known limits: `decimal` and `hex` take any length, so a truncated line is a different
 * number; a site whose readers always send a fixed width should use `regex` with that
 * width (e.g. `^(?<id>\d{10})$`). `em4100` takes both widths, so a 12-digit line that lost
 * exactly its first two digits passes as a 10-digit one.
 */
/** How an ID reader writes a card number on its line. */
export type IdLineFormat = "decimal" | "hex" | "em4100" | "wiegand26" | "regex";

export type IdLineResult = { ok: true; id: string } | { ok: false; reason: string };

/** Longest id line after stripping; longer is garbage or two lines run together. */
export const MAX_ID_LINE_CHARS = 64;

/** Lines this long are refused before any scanning (the stream caps lines anyway). */
const MAX_RAW_CHARS = 1024;

const DECIMAL = /^[0-9]{1,20}$/;
const HEX = /^[0-9A-Fa-f]{1,32}$/;
const HEX_10_OR_12 = /^(?:[0-9A-Fa-f]{10}|[0-9A-Fa-f]{12})$/;
const BITS_26 = /^[01]{26}$/;
const HEX_7 = /^[0-9A-Fa-f]{7}$/;
const FACILITY_CARD = /^([0-9]{3})[,:-]([0-9]{5})$/;
const CARD_ID_CHARS = /^[0-9A-Za-z_-]{1,64}$/;

export function parseIdLine(line: string, format: IdLineFormat, pattern?: RegExp): IdLineResult {
  try {
    const checked = checkLine(line);
    if (!checked.ok) return checked;
    return parseFormat(checked.id, format, pattern);
  } catch (err) {
    // Nothing above should throw; a user regex is the one outside our control.
    return fail(`parser error: ${err instanceof Error ? err.message : String(err)}`);
  }
}

function parseFormat(text: string, format: IdLineFormat, pattern: RegExp | undefined): IdLineResult {
  switch (format) {
    case "decimal":
      return DECIMAL.test(text) ? { ok: true, id: text } : fail("decimal: not 1-20 digits");
    case "hex":
      return HEX.test(text) ? { ok: true, id: text.toUpperCase() } : fail("hex: not 1-32 hex digits");
    case "em4100":
      return parseEm4100(text);
    case "wiegand26":
      return parseWiegand26(text);
    case "regex":
      return parseRegex(text, pattern);
    default:
      return fail(`unknown format ${JSON.stringify(format)}`);
  }
}

/** Strips surrounding whitespace and control chars, then refuses what no format accepts. */
function checkLine(line: string): IdLineResult {
  if (typeof line !== "string") return fail("not a string");
  if (line.length > MAX_RAW_CHARS) return fail("oversized");
  const text = stripEnds(line);
  if (text.length === 0) return fail("empty");
  if (text.length > MAX_ID_LINE_CHARS) return fail("oversized");
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x20 || c > 0x7e) return fail("non-printable");
  }
  return { ok: true, id: text };
}

function isBlank(code: number): boolean {
  return code <= 0x20 || code === 0x7f;
}

function stripEnds(line: string): string {
  let start = 0;
  let end = line.length;
  while (start < end && isBlank(line.charCodeAt(start))) start++;
  while (end > start && isBlank(line.charCodeAt(end - 1))) end--;
  return line.slice(start, end);
}

function parseEm4100(text: string): IdLineResult {
  if (!HEX_10_OR_12.test(text)) return fail("em4100: not 10 or 12 hex digits");
  const hex = text.toUpperCase();
  if (hex.length === 12) {
    let xor = 0;
    for (let i = 0; i < 10; i += 2) xor ^= Number.parseInt(hex.slice(i, i + 2), 16);
    if (xor !== Number.parseInt(hex.slice(10), 16)) return fail("em4100: checksum mismatch");
  }
  return { ok: true, id: hex.slice(0, 10) };
}

function parseWiegand26(text: string): IdLineResult {
  if (BITS_26.test(text)) return wiegandFrame(Number.parseInt(text, 2));
  if (HEX_7.test(text)) {
    const frame = Number.parseInt(text, 16);
    if (frame >= 2 ** 26) return fail("wiegand26: more than 26 bits");
    return wiegandFrame(frame);
  }
  const m = FACILITY_CARD.exec(text);
  if (m) return wiegandFields(Number(m[1]), Number(m[2]));
  return fail("wiegand26: not 26 bits, 7 hex digits or FFF,CCCCC");
}

function popcount(n: number): number {
  let count = 0;
  for (let v = n; v > 0; v >>>= 1) count += v & 1;
  return count;
}

/** Frame bit 25 (sent first) is even parity over bits 24..13; bit 0 is odd parity over 12..1. */
function wiegandFrame(frame: number): IdLineResult {
  const leading = (frame >>> 13) & 0x1fff;
  const trailing = frame & 0x1fff;
  if (popcount(leading) % 2 !== 0) return fail("wiegand26: even parity mismatch");
  if (popcount(trailing) % 2 !== 1) return fail("wiegand26: odd parity mismatch");
  return wiegandFields((frame >>> 17) & 0xff, (frame >>> 1) & 0xffff);
}

function wiegandFields(facility: number, card: number): IdLineResult {
  if (facility > 0xff) return fail("wiegand26: facility over 255");
  if (card > 0xffff) return fail("wiegand26: card over 65535");
  return { ok: true, id: `${String(facility).padStart(3, "0")}-${String(card).padStart(5, "0")}` };
}

function parseRegex(text: string, pattern: RegExp | undefined): IdLineResult {
  if (!pattern) return fail("regex: no pattern configured");
  // A global or sticky regex keeps state between calls; match with a stateless copy.
  const re =
    pattern.global || pattern.sticky ? new RegExp(pattern.source, pattern.flags.replace(/[gy]/g, "")) : pattern;
  const m = re.exec(text);
  if (!m) return fail("regex: no match");
  const id = m.groups?.["id"];
  if (id === undefined || id === "") return fail("regex: empty id group");
  if (!CARD_ID_CHARS.test(id)) return fail("regex: id has chars a card id cannot hold");
  return { ok: true, id };
}

function fail(reason: string): IdLineResult {
  return { ok: false, reason };
}
