/**
 * Drains the journal to the server: pending entries go up in batches at QoS 1, and are
 * trimmed only when the server's application ack says they are applied — never on the
 * broker's PUBACK (Mosquitto drops queued QoS 1 messages past its limit; TESTBED).
 *
 * Up to `window` batches are in flight, each continuing where the one before ended: the
 * server applies one terminal's batches in order, so a backlog drains at the ingest's
 * pace rather than one round trip per batch. If the server's ack stops moving for
 * `ackTimeoutMs`, or the link reconnects, everything above the last ack is sent again;
 * the server skips what it already has (duplicates) and holds what lies past a gap.
 *
 * Acks that arrive while one is being written are folded into one write of the highest:
 * a long backlog is trimmed in a few journal writes, not one per batch.
 */
import type { Timer, Timers } from "../../lib/timers.js";
import { decodeMessage, type JournalBatch, MAX_BATCH_GAPS } from "../../protocol/messages.js";
import { topics } from "../../protocol/topics.js";
import type { TerminalLedger } from "../journal/terminal-ledger.js";
import type { Logger } from "../logger.js";
import type { MqttLink } from "./mqtt-link.js";

/** What the uploader needs of the terminal's ledger (TerminalLedger; benchmarks pass a stand-in). */
export type UploadSource = Pick<TerminalLedger, "pending" | "acknowledge" | "summary"> &
  Partial<Pick<TerminalLedger, "gaps">>;

export interface UploaderOptions {
  terminalId: string;
  batchSize: number;
  ackTimeoutMs: number;
  /** Batches sent ahead of the server's ack. Default 8 (bench/ingest-drain.ts: 4 → 8 is +15% on a backlog). */
  window?: number;
  now: () => number;
  timers: Timers;
  log: Logger;
}

export class JournalUploader {
  /** The last seq of each batch in flight, ascending. */
  private inFlight: number[] = [];
  /** Fires when the ack has not moved for ackTimeoutMs while batches are in flight. */
  private stallTimer: Timer | undefined;
  /** Picks up entries committed without a kick (and acts as a slow retry). */
  private readonly poll: Timer;
  private ackTarget = 0;
  private acking = false;
  private lastSyncAt: number | null = null;
  private closed = false;
  private rejected: { seq: number; reason: string }[] = [];

  constructor(
    private readonly link: MqttLink,
    private readonly ledger: UploadSource,
    private readonly opts: UploaderOptions,
  ) {
    link.on("connected", () => {
      this.resetInFlight();
      this.kick();
    });
    link.on("disconnected", () => this.resetInFlight());
    link.on("message", (topic, payload) => {
      if (topic === topics.ack(opts.terminalId)) void this.onAck(payload);
    });
    this.poll = opts.timers.setInterval(() => this.kick(), opts.ackTimeoutMs).unref();
  }

  /** Send batches until the window is full or nothing is left. Called after every commit. */
  kick(): void {
    if (this.closed || !this.link.isConnected()) return;
    const pending = this.ledger.pending();
    const window = this.opts.window ?? 8;
    while (this.inFlight.length < window) {
      const entries = this.nextBatch(pending);
      if (entries.length === 0) return;
      const upTo = entries[entries.length - 1]!.seq;
      this.inFlight.push(upTo);
      this.armStallTimer(false);
      const batch: JournalBatch = { v: 1, terminalId: this.opts.terminalId, entries, ...this.gapsBefore(upTo) };
      this.link.publish(topics.journal(this.opts.terminalId), JSON.stringify(batch)).catch((err: Error) => {
        this.opts.log.warn({ err: err.message }, "journal batch not sent");
      });
    }
  }

  /**
   * The entries after the last one in flight. Pending entries are in sequence order, and
   * contiguous unless the journal failed verification (then the gaps are declared).
   */
  private nextBatch(pending: readonly { seq: number }[]): JournalBatch["entries"] {
    const first = pending[0];
    if (!first) return [];
    const after = this.inFlight[this.inFlight.length - 1] ?? first.seq - 1;
    let start = Math.min(pending.length, Math.max(0, after + 1 - first.seq));
    while (start > 0 && (pending[start - 1]?.seq ?? 0) > after) start--; // fewer entries than seqs: gaps
    while (start < pending.length && pending[start]!.seq <= after) start++;
    return pending.slice(start, start + this.opts.batchSize) as JournalBatch["entries"];
  }

  /** The sequence numbers below `upTo` the journal cannot send (it failed verification there): the server skips over them. */
  private gapsBefore(upTo: number): Pick<JournalBatch, "gaps"> {
    const gaps = (this.ledger.gaps?.() ?? [])
      .filter((g) => g.seq < upTo)
      .slice(0, MAX_BATCH_GAPS)
      .map((g) => ({ seq: g.seq, reason: g.reason.slice(0, 500) }));
    return gaps.length > 0 ? { gaps } : {};
  }

  private async onAck(payload: Buffer): Promise<void> {
    const decoded = decodeMessage("journalAck", payload);
    if (!decoded.ok) {
      this.opts.log.warn({ reason: decoded.reason }, "CT_MESSAGE_INVALID: journal ack dropped");
      return;
    }
    const ack = decoded.value;
    if (ack.rejected.length > 0) {
      this.rejected = ack.rejected;
      this.opts.log.error({ rejected: ack.rejected }, "the server rejected journal entries");
    }
    this.ackTarget = Math.max(this.ackTarget, ack.ackedSeq);
    if (this.acking) return; // the write in progress picks the new target up
    this.acking = true;
    try {
      await this.applyAcks();
    } finally {
      this.acking = false;
    }
    this.kick();
  }

  /** Writes the highest ack received until no newer one came in meanwhile. */
  private async applyAcks(): Promise<void> {
    for (;;) {
      const target = this.ackTarget;
      const before = this.ledger.summary().ackedSeq;
      let trimmed: number;
      try {
        trimmed = await this.ledger.acknowledge(target, this.opts.now());
      } catch (err) {
        // The entries stay pending and are sent again; the server skips them as duplicates.
        this.opts.log.error({ err: (err as Error).message }, "could not record the server's ack");
        return;
      }
      this.lastSyncAt = this.opts.now();
      if (trimmed > 0) this.opts.log.info({ ackedSeq: target, trimmed }, "journal entries acknowledged");
      const acked = this.ledger.summary().ackedSeq;
      this.inFlight = this.inFlight.filter((upTo) => upTo > acked);
      if (acked > before) this.armStallTimer(true);
      if (this.ackTarget === target) return;
    }
  }

  /** (Re)starts the stall timer: on progress, or when the first batch goes out. */
  private armStallTimer(progress: boolean): void {
    if (this.inFlight.length === 0) {
      this.opts.timers.clearTimeout(this.stallTimer);
      this.stallTimer = undefined;
      return;
    }
    if (this.stallTimer && !progress) return;
    this.opts.timers.clearTimeout(this.stallTimer);
    this.stallTimer = this.opts.timers.setTimeout(() => {
      this.stallTimer = undefined;
      const acked = this.ledger.summary().ackedSeq;
      this.opts.log.warn({ ackedSeq: acked, inFlight: this.inFlight.length }, "no ack from the server; resending");
      this.inFlight = [];
      this.kick();
    }, this.opts.ackTimeoutMs);
  }

  private resetInFlight(): void {
    this.opts.timers.clearTimeout(this.stallTimer);
    this.stallTimer = undefined;
    this.inFlight = [];
  }

  status(): { pending: number; lastSyncAt: string | null; rejected: { seq: number; reason: string }[] } {
    return {
      pending: this.ledger.pending().length,
      lastSyncAt: this.lastSyncAt === null ? null : new Date(this.lastSyncAt).toISOString(),
      rejected: this.rejected,
    };
  }

  close(): void {
    this.closed = true;
    this.opts.timers.clearInterval(this.poll);
    this.resetInFlight();
  }
}
