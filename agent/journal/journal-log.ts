/**
 * journal.log — the append-only outbox (docs/architecture.md#the-journal): the cost of a commit
 * must not grow with the number of pending entries.
 *
 * Layout: a header of two attestation slots, each alone in its own 4 KiB page so a
 * torn page write can only hurt one of them, then one sealed entry per line
 * (JSON + "\n"). A commit appends its line, rewrites one slot and makes both durable
 * with a single fdatasync: the cost is one small write, whatever the backlog.
 *
 * A slot says "entries up to #seq, the last with this hash, are on disk", under the
 * terminal's MAC. It may only attest what an earlier fdatasync already made durable —
 * the disk writes pages back in any order, so a slot written with entry #n could reach
 * the platter before #n itself and turn a power cut into a false tamper alarm. A commit
 * therefore attests the entry before it (in one slot, alternating, so a torn write
 * always leaves the other readable), and once the till is idle the ledger attests the
 * newest entry in both slots, one sync each (TerminalLedger.attestSoon): then cutting
 * the newest entry and spoiling one slot to hide it still leaves the other to tell.
 *
 * Entries the server has acknowledged stay in the log until it is compacted (rewritten
 * whole, temp + rename), which happens on an ack that empties the outbox or once enough
 * acknowledged lines have gathered.
 */
import { CardtermError } from "../../protocol/errors.js";
import type { JournalEntry } from "../../protocol/journal-entry.js";
import { crashPoint } from "../faults/crash-points.js";
import { type DurableFs, type UpdatableFile, writeDurably } from "../store/durable-file.js";
import { frozenJson } from "./cached-json.js";
import { type Attestation, slotMac } from "./seals.js";

/** One page per slot. */
export const SLOT_BYTES = 4096;
export const HEADER_BYTES = 2 * SLOT_BYTES;

interface SlotRecord {
  attested: number;
  hash: string;
  mac: string;
}

function encodeSlot(a: Attestation, terminalId: string, key: Buffer): string {
  const record: SlotRecord = { attested: a.seq, hash: a.hash, mac: slotMac(terminalId, a, key) };
  const json = JSON.stringify(record);
  return `${json}${" ".repeat(SLOT_BYTES - 1 - json.length)}\n`;
}

function encodeHeader(a: Attestation, terminalId: string, key: Buffer): string {
  return encodeSlot(a, terminalId, key).repeat(2);
}

export function entryLine(entry: JournalEntry): string {
  return `${frozenJson(entry)}\n`;
}

export interface ParsedLog {
  /** The highest attestation among the slots whose MAC holds; null when neither does. */
  attested: Attestation | null;
  /** Complete lines (ended by "\n") after the header, in file order. */
  lines: string[];
  /** Bytes after the last "\n": an append the power cut short. */
  tornTail: boolean;
}

function readSlot(text: string, terminalId: string, key: Buffer): Attestation | null {
  try {
    const r = JSON.parse(text) as SlotRecord;
    const a = { seq: r.attested, hash: r.hash };
    if (!Number.isSafeInteger(a.seq) || typeof a.hash !== "string") return null;
    return slotMac(terminalId, a, key) === r.mac ? a : null;
  } catch {
    return null;
  }
}

export function parseLog(text: string, terminalId: string, key: Buffer): ParsedLog {
  const slots = [0, 1]
    .map((i) => readSlot(text.slice(i * SLOT_BYTES, (i + 1) * SLOT_BYTES).trim(), terminalId, key))
    .filter((a): a is Attestation => a !== null);
  const attested = slots.reduce<Attestation | null>((best, a) => (best && best.seq >= a.seq ? best : a), null);
  const body = text.slice(HEADER_BYTES);
  const end = body.lastIndexOf("\n");
  const lines = end < 0 ? [] : body.slice(0, end).split("\n");
  const tail = body.slice(end + 1).replace(/\0+$/, "");
  return { attested, lines, tornTail: tail.length > 0 };
}

function storeError(path: string, err: unknown, details: Record<string, unknown> = {}): CardtermError {
  const code = (err as NodeJS.ErrnoException).code ?? "EIO";
  return new CardtermError("CT_STORE_WRITE_FAILED", `could not write ${path} durably (${code})`, {
    cause: err,
    details,
  });
}

/** The open log of a ledger that writes. Calls must be serialised by the caller (the ledger's write lock). */
export class JournalLog {
  private constructor(
    private readonly fs: DurableFs,
    readonly path: string,
    private readonly terminalId: string,
    private readonly key: Buffer,
    private file: UpdatableFile,
    /** Bytes in the file: where the next line goes. */
    private size: number,
  ) {}

  /** Write a whole new log (temp + fsync + rename + directory fsync) and open it. */
  static async create(
    fs: DurableFs,
    path: string,
    terminalId: string,
    key: Buffer,
    entries: readonly JournalEntry[],
    attested: Attestation,
  ): Promise<JournalLog> {
    const text = encodeHeader(attested, terminalId, key) + entries.map(entryLine).join("");
    await writeDurably(fs, path, text);
    return new JournalLog(fs, path, terminalId, key, await fs.openForUpdate(path), Buffer.byteLength(text));
  }

  /** Open a log that verified as it is on disk (no torn tail to cut). */
  static async open(fs: DurableFs, path: string, terminalId: string, key: Buffer, size: number): Promise<JournalLog> {
    return new JournalLog(fs, path, terminalId, key, await fs.openForUpdate(path), size);
  }

  /**
   * Append one entry (and an attestation of an earlier one) and fdatasync. On failure the
   * file is cut back to where it was and that is synced, so a commit the caller reports
   * as failed can never come back after a power cut as an approved sale. If even that
   * fails, `details.restored` is false: the state on disk is uncertain.
   */
  async append(entry: JournalEntry, attest: Attestation | null): Promise<void> {
    const line = Buffer.from(entryLine(entry), "utf8");
    const at = this.size;
    try {
      await this.file.write(line, at);
      crashPoint("journal:appended");
      if (attest) await this.writeSlot(attest);
      await this.file.datasync();
      crashPoint("journal:synced");
    } catch (err) {
      let restored = true;
      try {
        await this.file.truncate(at);
        await this.file.datasync();
      } catch {
        restored = false;
      }
      throw storeError(this.path, err, { restored });
    }
    this.size = at + line.length;
  }

  /** Attest entries already made durable by an earlier fdatasync, in both slots, one after the other. */
  async attestBoth(a: Attestation, giveWay: () => boolean = () => false): Promise<void> {
    try {
      await this.writeSlot(a);
      await this.file.datasync();
      // One synced slot already attests `a`; the second is redundancy against that slot
      // being torn later, and the next commits rewrite both in turn — so a commit waiting
      // for the lock goes first rather than wait for a second sync.
      if (giveWay()) return;
      await this.writeSlot(a, 1);
      await this.file.datasync();
    } catch (err) {
      throw storeError(this.path, err, { restored: true }); // a slot lost or torn leaves the other one
    }
  }

  /** Slot `a.seq % 2`, or the other one. */
  private writeSlot(a: Attestation, other: 0 | 1 = 0): Promise<void> {
    const slot = Buffer.from(encodeSlot(a, this.terminalId, this.key), "ascii");
    return this.file.write(slot, ((a.seq + other) % 2) * SLOT_BYTES);
  }

  /** Compaction: a new log with only `entries`, swapped in atomically. */
  async rewrite(entries: readonly JournalEntry[], attested: Attestation): Promise<void> {
    const next = await JournalLog.create(this.fs, this.path, this.terminalId, this.key, entries, attested);
    await this.file.close().catch(() => undefined);
    this.file = next.file;
    this.size = next.size;
  }

  /** Cut what an interrupted append left after the last whole line (at start-up). */
  async truncate(size: number): Promise<void> {
    try {
      await this.file.truncate(size);
      await this.file.datasync();
    } catch (err) {
      throw storeError(this.path, err);
    }
    this.size = size;
  }

  close(): Promise<void> {
    return this.file.close();
  }
}
