/**
 * The member number many chains write into a MIFARE Classic block, read with the PC/SC
 * part 3 pseudo-APDUs an ACR122U-class reader understands: load the key into the
 * reader's volatile slot 0 (`FF 82`), authenticate the block (`FF 86`, key A 0x60 or
 * B 0x61), read 16 bytes (`FF B0`). The key is loaded before every read instead of
 * trusting the slot: another program, or a replugged reader, may have changed it.
 *
 * Decoding is a pure function of the block (`decodeMemberNumber`), tested on bytes.
 */

/** Where and how a MIFARE Classic card holds the member number. */
export interface MemberNumberBlock {
  /** Sector 0-39 and data block within it. */
  sector: number;
  block: number;
  keyType: "A" | "B";
  /** The 6-byte sector key. */
  key: Buffer;
  encoding: "ascii" | "bcd" | "hex";
  /** Bytes of the block that hold the number, from its start (1-16). */
  length: number;
  /** The technology the number is filed under. */
  technology: "id" | "ic";
}

export type Transmit = (apdu: Buffer, maxResponse: number) => Promise<Buffer>;

export type MemberNumberResult = { ok: true; number: string } | { ok: false; reason: string };

const KEY_TYPES = { A: 0x60, B: 0x61 } as const;
const KEY_SLOT = 0x00;
const MAX_NUMBER_CHARS = 64;

/** The absolute block number: sectors 0-31 have 4 blocks, sectors 32-39 (4K cards) have 16. */
export function absoluteBlock(sector: number, block: number): number {
  return sector < 32 ? sector * 4 + block : 128 + (sector - 32) * 16 + block;
}

/** Reads and decodes the member number. Rejects only when the card cannot be talked to. */
export async function readMemberNumber(transmit: Transmit, config: MemberNumberBlock): Promise<MemberNumberResult> {
  const block = absoluteBlock(config.sector, config.block);
  const load = await transmit(Buffer.concat([Buffer.from([0xff, 0x82, 0x00, KEY_SLOT, 0x06]), config.key]), 2);
  if (!isOk(load)) return fail(`the reader refused to load the key (SW ${sw(load)})`);
  const auth = await transmit(
    Buffer.from([0xff, 0x86, 0x00, 0x00, 0x05, 0x01, 0x00, block, KEY_TYPES[config.keyType], KEY_SLOT]),
    2,
  );
  if (!isOk(auth)) {
    return fail(
      `authentication with key ${config.keyType} of sector ${config.sector} failed (SW ${sw(auth)}): wrong key, or not a MIFARE Classic card`,
    );
  }
  const read = await transmit(Buffer.from([0xff, 0xb0, 0x00, block, 0x10]), 18);
  if (!isOk(read) || read.length !== 18) return fail(`reading block ${block} failed (SW ${sw(read)})`);
  return decodeMemberNumber(read.subarray(0, 16), config.encoding, config.length);
}

/** The member number in the first `length` bytes of a 16-byte block. */
export function decodeMemberNumber(
  block: Buffer,
  encoding: MemberNumberBlock["encoding"],
  length: number,
): MemberNumberResult {
  const bytes = block.subarray(0, Math.max(1, Math.min(16, length)));
  if (bytes.every((b) => b === 0x00) || bytes.every((b) => b === 0xff)) return fail("the block is blank");
  switch (encoding) {
    case "ascii":
      return decodeAscii(bytes);
    case "bcd":
      return decodeBcd(bytes);
    case "hex":
      return { ok: true, number: bytes.toString("hex").toUpperCase() };
    default:
      return fail(`unknown encoding ${String(encoding)}`);
  }
}

/** Printable text, padded at the end with NUL, 0xFF or spaces; the chars a card id may hold. */
function decodeAscii(bytes: Buffer): MemberNumberResult {
  let end = bytes.length;
  while (end > 0 && (bytes[end - 1] === 0x00 || bytes[end - 1] === 0xff || bytes[end - 1] === 0x20)) end--;
  const text = bytes.subarray(0, end).toString("latin1");
  if (text.length === 0) return fail("the block holds no text");
  if (!/^[0-9A-Za-z_-]+$/.test(text)) return fail("the block's text has characters a card id cannot hold");
  if (text.length > MAX_NUMBER_CHARS) return fail("the member number is too long");
  return { ok: true, number: text };
}

/** Packed decimal digits, high nibble first, ended by F padding to the end of the field. */
function decodeBcd(bytes: Buffer): MemberNumberResult {
  const nibbles = bytes.toString("hex").toUpperCase();
  const pad = nibbles.indexOf("F");
  const digits = pad === -1 ? nibbles : nibbles.slice(0, pad);
  if (pad !== -1 && !/^F*$/.test(nibbles.slice(pad))) return fail("BCD digits after the F padding");
  if (digits.length === 0) return fail("no BCD digits before the padding");
  if (!/^[0-9]+$/.test(digits)) return fail("a BCD nibble is not a digit");
  return { ok: true, number: digits };
}

function isOk(response: Buffer): boolean {
  return response.length >= 2 && response[response.length - 2] === 0x90 && response[response.length - 1] === 0x00;
}

function sw(response: Buffer): string {
  return response.length >= 2 ? response.subarray(-2).toString("hex").toUpperCase() : "none";
}

function fail(reason: string): MemberNumberResult {
  return { ok: false, reason };
}
