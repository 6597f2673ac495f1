/**
 * A small ZIP writer (PKWARE APPNOTE 6.3.x §4.3): local file headers, the central
 * directory and the end record, each file deflated. Enough for an .xlsx (ECMA-376 Part 2,
 * Open Packaging Conventions) and kept here so the close needs no new dependency.
 *
 * Deterministic: every entry carries the same fixed DOS time (1980-01-01 00:00), so the
 * same files give the same bytes — a rerun of the close is byte-identical. No ZIP64:
 * a day's close is far below 4 GiB and 65,535 files; larger input is refused.
 */
import * as zlib from "node:zlib";

export interface ZipFile {
  /** Path inside the archive, "/" separated, ASCII. */
  name: string;
  data: Buffer | string;
}

const LOCAL_SIG = 0x04034b50;
const CENTRAL_SIG = 0x02014b50;
const END_SIG = 0x06054b50;
/** 2.0: deflate. */
const VERSION = 20;
const DEFLATE = 8;
const DOS_TIME = 0;
/** (1980 − 1980) << 9 | 1 << 5 | 1: 1980-01-01, the earliest DOS date. */
const DOS_DATE = (1 << 5) | 1;
const MAX_32 = 0xffff_ffff;

export function zip(files: readonly ZipFile[]): Buffer {
  if (files.length > 0xffff) throw new RangeError("too many files for a ZIP without ZIP64");
  const parts: Buffer[] = [];
  const central: Buffer[] = [];
  let offset = 0;
  for (const f of files) {
    const data = typeof f.data === "string" ? Buffer.from(f.data, "utf8") : f.data;
    const packed = zlib.deflateRawSync(data, { level: 9 });
    const name = Buffer.from(f.name, "utf8");
    const info = { crc: crc32(data), size: data.length, packedSize: packed.length, name };
    if (data.length > MAX_32 || offset > MAX_32) throw new RangeError("file too large for a ZIP without ZIP64");
    const local = localHeader(info);
    central.push(centralHeader(info, offset));
    parts.push(local, packed);
    offset += local.length + packed.length;
  }
  const dir = Buffer.concat(central);
  return Buffer.concat([...parts, dir, endRecord(files.length, dir.length, offset)]);
}

interface EntryInfo {
  crc: number;
  size: number;
  packedSize: number;
  name: Buffer;
}

function localHeader(e: EntryInfo): Buffer {
  const b = Buffer.alloc(30);
  b.writeUInt32LE(LOCAL_SIG, 0);
  b.writeUInt16LE(VERSION, 4);
  b.writeUInt16LE(0, 6); // flags: sizes are known up front, no data descriptor
  b.writeUInt16LE(DEFLATE, 8);
  b.writeUInt16LE(DOS_TIME, 10);
  b.writeUInt16LE(DOS_DATE, 12);
  b.writeUInt32LE(e.crc, 14);
  b.writeUInt32LE(e.packedSize, 18);
  b.writeUInt32LE(e.size, 22);
  b.writeUInt16LE(e.name.length, 26);
  b.writeUInt16LE(0, 28); // no extra field
  return Buffer.concat([b, e.name]);
}

function centralHeader(e: EntryInfo, offset: number): Buffer {
  const b = Buffer.alloc(46);
  b.writeUInt32LE(CENTRAL_SIG, 0);
  b.writeUInt16LE(VERSION, 4); // made by: MS-DOS (0) attributes, version 2.0
  b.writeUInt16LE(VERSION, 6);
  b.writeUInt16LE(0, 8);
  b.writeUInt16LE(DEFLATE, 10);
  b.writeUInt16LE(DOS_TIME, 12);
  b.writeUInt16LE(DOS_DATE, 14);
  b.writeUInt32LE(e.crc, 16);
  b.writeUInt32LE(e.packedSize, 20);
  b.writeUInt32LE(e.size, 24);
  b.writeUInt16LE(e.name.length, 28);
  // extra, comment, disk number, internal and external attributes: all zero
  b.writeUInt32LE(offset, 42);
  return Buffer.concat([b, e.name]);
}

function endRecord(count: number, dirSize: number, dirOffset: number): Buffer {
  const b = Buffer.alloc(22);
  b.writeUInt32LE(END_SIG, 0);
  b.writeUInt16LE(count, 8); // entries on this disk (disk numbers at 4 and 6 stay 0)
  b.writeUInt16LE(count, 10);
  b.writeUInt32LE(dirSize, 12);
  b.writeUInt32LE(dirOffset, 16);
  return b;
}

type Crc32 = (data: Buffer) => number;

/** zlib.crc32 arrived in Node 20.15 / 22.2; older Node 20 gets the table below. */
const nativeCrc = (zlib as unknown as { crc32?: Crc32 }).crc32;

let table: Uint32Array | undefined;

/** CRC-32 (IEEE 802.3, reflected polynomial 0xEDB88320), as ZIP wants it. */
export function crc32Table(data: Buffer): number {
  table ??= Uint32Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  let crc = 0xffffffff;
  for (const byte of data) crc = table[(crc ^ byte) & 0xff]! ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

export function crc32(data: Buffer): number {
  return nativeCrc ? nativeCrc(data) >>> 0 : crc32Table(data);
}
