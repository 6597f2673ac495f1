/**
 * One card identity: every reader turns what it read into the one form
 * of rules/card.ts, `<technology>:<id>`, by these rules and no others.
 *
 * - A chip UID (PC/SC `FF CA`, or a 13.56 MHz keyboard wedge with `technology: ic`) is
 *   `ic:` + the UID bytes in upper-case hex, first byte (UID0, the manufacturer byte of a
 *   7- or 10-byte UID) first: `ic:04A1B2C3D4E5F6`. Only 4, 7 and 10 bytes are UIDs
 *   (ISO 14443-3 cascade levels). A 4-byte UID starting 0x08 is a *random* UID (phones,
 *   ID documents): it changes on every tap, so it is refused rather than made into a card.
 * - An ISO 14443-4 card that answers SELECT of the configured AID: `ic:` + the answer's
 *   data in hex (1-32 bytes) — a phone wallet's card number is there, its UID is random.
 * - A member number read from a MIFARE Classic block: `<memberNumber.technology>:<number>`.
 *   With `technology: id` the chip card maps to the same id an ID-card reader or a wedge
 *   typing the printed number gives (`id:0012345678`): one member, one card id, whichever
 *   reader read it. With `ic` the number must be hex digits (bcd and hex always are).
 * - A number typed by a keyboard wedge: `id:` + the parsed number (./id-line-format.ts),
 *   or with `technology: ic` the UID it stands for (hex, or decimal → big-endian bytes
 *   padded to 4, 7 or 10; `uidByteOrder: lsbFirst` reverses them, as many "10-digit"
 *   readers type the 4-byte UID little-endian) → the same `ic:` id as a PC/SC read.
 *
 * Nothing here guesses: whatever cannot be mapped exactly is refused with a reason.
 */
import { type CardId, isCardId } from "../../rules/card.js";
import type { IdLineFormat } from "./id-line-format.js";

export type IdentityResult = { ok: true; id: CardId } | { ok: false; reason: string };

const UID_LENGTHS = [4, 7, 10];
const MAX_APP_ID_BYTES = 32;
const HEX = /^[0-9A-F]+$/;

export function uidCardId(uid: Buffer): IdentityResult {
  if (!UID_LENGTHS.includes(uid.length)) return fail(`a UID has 4, 7 or 10 bytes, this one ${uid.length}`);
  if (uid.length === 4 && uid[0] === 0x08) return fail("random UID (a phone or an ID document), not a card identity");
  return made("ic", uid.toString("hex").toUpperCase());
}

export function appCardId(data: Buffer): IdentityResult {
  if (data.length === 0) return fail("the application answered SELECT without an id");
  if (data.length > MAX_APP_ID_BYTES) return fail(`the application's id is ${data.length} bytes, over 32`);
  return made("ic", data.toString("hex").toUpperCase());
}

export function memberNumberCardId(number: string, technology: "id" | "ic"): IdentityResult {
  if (technology === "ic" && !HEX.test(number.toUpperCase())) {
    return fail("member number has characters other than hex digits, so it cannot be an ic: id");
  }
  return made(technology, technology === "ic" ? number.toUpperCase() : number);
}

/** A wedge's parsed number as a card id (see the header). */
export function wedgeCardId(
  parsed: string,
  technology: "id" | "ic",
  format: IdLineFormat,
  byteOrder: "msbFirst" | "lsbFirst",
): IdentityResult {
  if (technology === "id") return made("id", parsed);
  let bytes: Buffer;
  if (format === "hex") {
    if (parsed.length % 2 !== 0) return fail("an odd number of hex digits is not a whole UID");
    bytes = Buffer.from(parsed, "hex");
  } else if (format === "decimal") {
    const padded = decimalUidBytes(parsed);
    if (!padded) return fail("decimal number too large for a 10-byte UID");
    bytes = padded;
  } else {
    return fail(`format ${format} cannot carry a chip UID`);
  }
  return uidCardId(byteOrder === "lsbFirst" ? Buffer.from(bytes).reverse() : bytes);
}

/** The number as big-endian bytes, zero-padded to the smallest UID length that holds it. */
export function decimalUidBytes(decimal: string): Buffer | undefined {
  if (!/^[0-9]{1,25}$/.test(decimal)) return undefined;
  let hex = BigInt(decimal).toString(16);
  const bytes = UID_LENGTHS.find((n) => hex.length <= n * 2);
  if (bytes === undefined) return undefined;
  hex = hex.padStart(bytes * 2, "0");
  return Buffer.from(hex, "hex");
}

function made(tech: "ic" | "id", raw: string): IdentityResult {
  const id = `${tech}:${raw}`;
  return isCardId(id) ? { ok: true, id } : fail(`"${tech}:…" (${raw.length} chars) is not a valid card id`);
}

function fail(reason: string): IdentityResult {
  return { ok: false, reason };
}
