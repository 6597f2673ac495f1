/**
 * A contactless card emulated in TypeScript behind vpcd's virtual readers
 * (docs/architecture.md#testing-against-real-components): vpcd is a TCP server inside pcscd,
 * and connecting to it *is* putting a card on the reader; closing the socket takes it away. So
 * this helper connects only to insert a card — never to probe a port.
 *
 * Wire format both ways: a 2-byte big-endian length, then the payload. A 1-byte payload
 * from vpcd is a control code (00 off, 01 on, 02 reset, 04 send ATR) and only 04 is
 * answered; anything longer is a command APDU and gets exactly one response (an empty one
 * would read as removal, none at all hangs vpcd).
 *
 * The card answers what nfc-pcsc and the driver send an ACR122U-style reader (PC/SC part 3
 * pseudo-APDUs): FF CA (UID), FF 82 (load key), FF 86 (authenticate with MIFARE key A 0x60 /
 * B 0x61, checked per sector), FF B0 (read block), FF D6 (write block), and 00 A4 04 00
 * (SELECT by AID) for ISO 14443-4 cards. `pullAwayOn` closes the socket instead of
 * answering a chosen APDU: the card leaves the field in the middle of a read.
 */
import { execFileSync } from "node:child_process";
import net from "node:net";

/** MIFARE Classic 1K: byte 5 is 0x4F, so nfc-pcsc takes it as ISO 14443-3. */
export const ATR_MIFARE_CLASSIC_1K = Buffer.from("3B8F8001804F0CA000000306030001000000006A", "hex");
/** A contactless ISO 14443-4 card (PC/SC part 3 form, no historical bytes of note). */
export const ATR_ISO_14443_4 = Buffer.from("3B8180018080", "hex");
/** The factory transport key of MIFARE Classic sectors. */
export const DEFAULT_MIFARE_KEY = "FFFFFFFFFFFF";

export const VPCD_READER_NAMES = ["Virtual PCD 00 00", "Virtual PCD 00 01"] as const;
const VPCD_PORTS = [35963, 35964] as const;

export interface SectorSpec {
  keyA?: string;
  keyB?: string;
  /** Data blocks by index within the sector (0-2), 16 bytes each; others read as zeros. */
  blocks?: Record<number, Buffer | string>;
}

export interface CardSpec {
  /** The UID as hex: 4, 7 or 10 bytes. */
  uid: string;
  atr?: Buffer;
  /** MIFARE Classic sectors by number; an absent sector has the default keys and zeros. */
  sectors?: Record<number, SectorSpec>;
  /** ISO 14443-4 applications: AID hex → the data the SELECT answers with. */
  apps?: Record<string, Buffer | string>;
  /** Close the socket instead of answering the first APDU this matches. */
  pullAwayOn?: (apdu: Buffer) => boolean;
}

export interface VirtualCard {
  /** Every command APDU received, in order. */
  readonly apdus: Buffer[];
  /** Resolves once the socket is closed (by `remove`, a pull-away, or vpcd going away). */
  readonly removed: Promise<void>;
  /** Take the card off the reader; safe to call twice. */
  remove(): Promise<void>;
}

const SW_OK = Buffer.from([0x90, 0x00]);
const SW_AUTH_FAILED = Buffer.from([0x63, 0x00]);
const SW_NOT_FOUND = Buffer.from([0x6a, 0x82]);
const SW_WRONG_P1P2 = Buffer.from([0x6a, 0x86]);
const SW_SECURITY = Buffer.from([0x69, 0x82]);
const SW_INS_UNKNOWN = Buffer.from([0x6d, 0x00]);

let quickackHost: string | undefined;

/**
 * 127.0.0.2 with a quick-ACK route when it exists or can be added (root), else 127.0.0.1.
 * Debian's vpcd writes each frame as two segments, so without quick ACK every APDU waits ~40 ms
 * for a delayed ACK (docs/architecture.md#testing-against-real-components). The route is
 * additive and left in place.
 */
export function emulatorHost(): string {
  if (quickackHost !== undefined) return quickackHost;
  quickackHost = "127.0.0.1";
  try {
    const shown = execFileSync("ip", ["route", "show", "table", "local", "127.0.0.2/32"], { encoding: "utf8" });
    if (!shown.includes("quickack")) {
      execFileSync("ip", [
        ...["route", "add", "local", "127.0.0.2/32", "dev", "lo", "table", "local", "proto", "kernel"],
        ...["scope", "host", "src", "127.0.0.1", "quickack", "1"],
      ]);
    }
    quickackHost = "127.0.0.2";
  } catch {
    // no iproute2 or no permission: plain loopback works, only slower
  }
  return quickackHost;
}

/** Put a card on vpcd reader 0 ("Virtual PCD 00 00") or 1 ("… 00 01"). */
export async function insertCard(reader: 0 | 1, spec: CardSpec, timeoutMs = 5_000): Promise<VirtualCard> {
  const card = new EmulatedCard(spec);
  const socket = net.connect({ host: emulatorHost(), port: VPCD_PORTS[reader] });
  socket.setNoDelay(true);
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`vpcd reader ${reader} did not accept the card in ${timeoutMs} ms; is pcscd running?`));
    }, timeoutMs);
    socket.once("connect", () => {
      clearTimeout(timer);
      resolve();
    });
    socket.once("error", (err) => {
      clearTimeout(timer);
      reject(new Error(`vpcd reader ${reader}: ${err.message}; is pcscd running with vsmartcard-vpcd?`));
    });
  });
  return card.attach(socket);
}

class EmulatedCard {
  readonly apdus: Buffer[] = [];
  private readonly keys = new Map<number, Buffer>();
  private authSector: number | undefined;
  private readonly uid: Buffer;
  private readonly atr: Buffer;
  private readonly classic: boolean;

  constructor(private readonly spec: CardSpec) {
    this.uid = Buffer.from(spec.uid, "hex");
    if (![4, 7, 10].includes(this.uid.length)) throw new Error(`a UID has 4, 7 or 10 bytes, not ${this.uid.length}`);
    this.atr = spec.atr ?? ATR_MIFARE_CLASSIC_1K;
    this.classic = this.atr[5] === 0x4f;
  }

  attach(socket: net.Socket): VirtualCard {
    let pending = Buffer.alloc(0);
    let pulled = false;
    const removed = new Promise<void>((resolve) => socket.once("close", () => resolve()));
    socket.on("error", () => {}); // vpcd going away shows as `close`
    socket.on("data", (chunk: Buffer) => {
      pending = Buffer.concat([pending, chunk]);
      while (!pulled && pending.length >= 2) {
        const length = pending.readUInt16BE(0);
        if (pending.length < 2 + length) break;
        const payload = pending.subarray(2, 2 + length);
        pending = pending.subarray(2 + length);
        if (length > 1 && this.spec.pullAwayOn?.(payload)) {
          this.apdus.push(Buffer.from(payload));
          pulled = true;
          socket.destroy();
          return;
        }
        const reply = this.answer(payload);
        if (reply) socket.write(frame(reply));
      }
    });
    const apdus = this.apdus;
    return {
      apdus,
      removed,
      async remove() {
        socket.destroy();
        await removed;
      },
    };
  }

  /** A reply, or undefined for the control codes vpcd expects no answer to. */
  private answer(payload: Buffer): Buffer | undefined {
    if (payload.length === 1) return payload[0] === 0x04 ? this.atr : undefined;
    this.apdus.push(Buffer.from(payload));
    const [cla, ins] = payload;
    if (cla === 0x00 && ins === 0xa4) return this.select(payload);
    if (cla !== 0xff) return SW_INS_UNKNOWN;
    switch (ins) {
      case 0xca:
        return payload[2] === 0x00 ? Buffer.concat([this.uid, SW_OK]) : SW_WRONG_P1P2;
      case 0x82:
        return this.loadKey(payload);
      case 0x86:
        return this.authenticate(payload);
      case 0xb0:
        return this.readBlock(payload);
      case 0xd6:
        return this.writeBlock(payload);
      default:
        return SW_INS_UNKNOWN;
    }
  }

  private select(apdu: Buffer): Buffer {
    const lc = apdu[4] ?? 0;
    const aid = apdu
      .subarray(5, 5 + lc)
      .toString("hex")
      .toUpperCase();
    const entry = Object.entries(this.spec.apps ?? {}).find(([k]) => k.toUpperCase() === aid);
    if (!entry) return SW_NOT_FOUND;
    const data = typeof entry[1] === "string" ? Buffer.from(entry[1], "hex") : entry[1];
    return Buffer.concat([data, SW_OK]);
  }

  private loadKey(apdu: Buffer): Buffer {
    const slot = apdu[3] ?? 0;
    if (apdu[4] !== 6 || apdu.length < 11 || slot > 1) return SW_WRONG_P1P2;
    this.keys.set(slot, Buffer.from(apdu.subarray(5, 11)));
    return SW_OK;
  }

  private authenticate(apdu: Buffer): Buffer {
    // FF 86 00 00 05 | 01 00 block keyType keySlot
    const block = apdu[7] ?? 0;
    const keyType = apdu[8];
    const key = this.keys.get(apdu[9] ?? 0);
    const sector = this.sectorSpec(sectorOf(block));
    const expected = keyType === 0x60 ? sector.keyA : keyType === 0x61 ? sector.keyB : undefined;
    this.authSector = undefined; // a failed authentication drops the previous one, as on a real card
    if (!this.classic || !key || expected === undefined) return SW_AUTH_FAILED;
    if (!key.equals(Buffer.from(expected, "hex"))) return SW_AUTH_FAILED;
    this.authSector = sectorOf(block);
    return SW_OK;
  }

  private readBlock(apdu: Buffer): Buffer {
    const block = ((apdu[2] ?? 0) << 8) | (apdu[3] ?? 0);
    const length = apdu[4] ?? 16;
    if (this.classic && this.authSector !== sectorOf(block)) return SW_SECURITY;
    return Buffer.concat([this.blockData(block).subarray(0, length), SW_OK]);
  }

  private writeBlock(apdu: Buffer): Buffer {
    const block = apdu[3] ?? 0;
    if (this.classic && this.authSector !== sectorOf(block)) return SW_SECURITY;
    const data = Buffer.alloc(16);
    apdu.subarray(5, 5 + (apdu[4] ?? 0)).copy(data);
    const spec = (this.spec.sectors ??= {});
    const sector = (spec[sectorOf(block)] ??= {});
    (sector.blocks ??= {})[indexInSector(block)] = data;
    return SW_OK;
  }

  private sectorSpec(sector: number): Required<Pick<SectorSpec, "keyA" | "keyB">> & SectorSpec {
    const spec = this.spec.sectors?.[sector] ?? {};
    return { keyA: DEFAULT_MIFARE_KEY, keyB: DEFAULT_MIFARE_KEY, ...spec };
  }

  private blockData(block: number): Buffer {
    const raw = this.spec.sectors?.[sectorOf(block)]?.blocks?.[indexInSector(block)];
    const data = Buffer.alloc(16);
    if (raw !== undefined) (typeof raw === "string" ? Buffer.from(raw, "hex") : raw).copy(data);
    return data;
  }
}

/** MIFARE Classic 4K: sectors 0-31 have 4 blocks, 32-39 have 16. */
function sectorOf(block: number): number {
  return block < 128 ? Math.floor(block / 4) : 32 + Math.floor((block - 128) / 16);
}

function indexInSector(block: number): number {
  return block < 128 ? block % 4 : (block - 128) % 16;
}

function frame(payload: Buffer): Buffer {
  const head = Buffer.alloc(2);
  head.writeUInt16BE(payload.length);
  return Buffer.concat([head, payload]);
}
