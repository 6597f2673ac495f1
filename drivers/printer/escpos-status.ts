/**
 * ESC/POS real-time status (`DLE EOT n`, ESC/POS reference "DLE EOT"): the query bytes,
 * a reader that picks the one-byte replies out of whatever the socket delivers, and the
 * mapping from status bits to a printer state. Pure: no sockets, no timers.
 *
 * A reply byte always has the fixed bits 0xx1xx10 (bit 1 and bit 4 set, bits 0 and 7
 * clear). Automatic status back (ASB, 4 bytes starting 0xx1xx00), `GS r` replies
 * (bit 4 clear) and XON/XOFF do not match, so they are skipped rather than mistaken for
 * an answer.
 */
import type { PrinterState } from "./receipt-printer.js";

/** n=2: off-line cause (cover, paper-end stop, error); n=4: roll paper sensor. */
export type StatusQuery = 2 | 4;

export function statusQuery(n: StatusQuery): Buffer {
  return Buffer.from([0x10, 0x04, n]);
}

export function isStatusReply(byte: number): boolean {
  return (byte & 0x93) === 0x12;
}

/**
 * Collects reply bytes from chunks of any size: one reply per query, in order, whether
 * the replies arrive one per segment, several in one, or with other bytes between them.
 */
export class StatusReplyReader {
  private readonly replies: number[] = [];
  private skipped = 0;

  push(chunk: Uint8Array): void {
    for (const byte of chunk) {
      if (isStatusReply(byte)) this.replies.push(byte);
      else this.skipped++;
    }
  }

  /** The oldest reply not yet taken, or undefined. */
  take(): number | undefined {
    return this.replies.shift();
  }

  /** Forget replies not yet taken: a late answer to an earlier query is no answer to the next. */
  clear(): void {
    this.replies.length = 0;
  }

  /** Bytes that were not status replies (ASB, XOFF, …), for diagnostics. */
  get ignoredBytes(): number {
    return this.skipped;
  }
}

export interface StatusBytes {
  /** Reply to DLE EOT 2, or null if the printer did not answer it. */
  offlineCause: number | null;
  /** Reply to DLE EOT 4, or null if the printer did not answer it. */
  paperSensor: number | null;
}

export interface InterpretedStatus {
  state: PrinterState;
  detail: string;
}

const COVER_OPEN = 0x04; // n=2 bit 2
const PAPER_END_STOP = 0x20; // n=2 bit 5
const ERROR = 0x40; // n=2 bit 6
const NEAR_END = 0x0c; // n=4 bits 2–3
const PAPER_END = 0x60; // n=4 bits 5–6

/** The printer's state from its replies; the most severe condition wins. */
export function interpretStatus(s: StatusBytes): InterpretedStatus {
  const cause = s.offlineCause ?? 0;
  const paper = s.paperSensor ?? 0;
  if (s.offlineCause === null && s.paperSensor === null) {
    return { state: "unknown", detail: "the printer accepts connections but did not answer the status query" };
  }
  const partial = s.offlineCause === null || s.paperSensor === null ? " (partial status)" : "";
  if (cause & COVER_OPEN) return { state: "cover-open", detail: `the cover is open${partial}` };
  if (cause & PAPER_END_STOP || paper & PAPER_END) return { state: "paper-out", detail: `out of paper${partial}` };
  if (cause & ERROR) {
    return {
      state: "offline",
      detail: `the printer reports an error (e.g. cutter jam); it prints nothing until cleared`,
    };
  }
  if (paper & NEAR_END) return { state: "paper-near-end", detail: `paper roll nearly empty${partial}` };
  return { state: "ready", detail: `ready${partial}` };
}
