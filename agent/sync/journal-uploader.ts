/**
 * Drains the journal to the server: pending entries go up in batches at QoS 1, and are
 * trimmed only when the server's application ack says they are applied — never on the
 * broker's PUBACK (Mosquitto drops queued QoS 1 messages past its limit; TESTBED).
 *
 * One batch is in flight at a time. If no ack comes within `ackTimeoutMs`, or the link
 * reconnects, everything above the last ack is sent again; the server skips duplicates.
 */
import { decodeMessage, type JournalBatch } from "../../protocol/messages.js";
import { topics } from "../../protocol/topics.js";
import type { TerminalLedger } from "../journal/terminal-ledger.js";
import type { Logger } from "../logger.js";
import type { MqttLink } from "./mqtt-link.js";

export interface UploaderOptions {
  terminalId: string;
  batchSize: number;
  ackTimeoutMs: number;
  now: () => number;
  log: Logger;
}

export class JournalUploader {
  private inFlight: { upTo: number; timer: NodeJS.Timeout } | undefined;
  private lastSyncAt: number | null = null;
  private closed = false;
  private rejected: { seq: number; reason: string }[] = [];

  constructor(
    private readonly link: MqttLink,
    private readonly ledger: TerminalLedger,
    private readonly opts: UploaderOptions,
  ) {
    link.on("connected", () => {
      this.clearInFlight();
      this.kick();
    });
    link.on("disconnected", () => this.clearInFlight());
    link.on("message", (topic, payload) => {
      if (topic === topics.ack(opts.terminalId)) void this.onAck(payload);
    });
  }

  /** Send the next batch if the link is up and nothing is in flight. Called after every commit. */
  kick(): void {
    if (this.closed || this.inFlight || !this.link.isConnected()) return;
    const entries = this.ledger.pending().slice(0, this.opts.batchSize);
    if (entries.length === 0) return;
    const upTo = entries[entries.length - 1]!.seq;
    const batch: JournalBatch = { v: 1, terminalId: this.opts.terminalId, entries: [...entries] };
    const timer = setTimeout(() => {
      this.opts.log.warn({ upTo }, "no ack from the server; the batch will be sent again");
      this.inFlight = undefined;
      this.kick();
    }, this.opts.ackTimeoutMs);
    this.inFlight = { upTo, timer };
    this.link.publish(topics.journal(this.opts.terminalId), JSON.stringify(batch)).catch((err: Error) => {
      this.opts.log.warn({ err: err.message }, "journal batch not sent");
    });
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
    let trimmed: number;
    try {
      trimmed = await this.ledger.acknowledge(ack.ackedSeq, this.opts.now());
    } catch (err) {
      // The entries stay pending and are sent again; the server skips them as duplicates.
      this.opts.log.error({ err: (err as Error).message }, "could not record the server's ack");
      return;
    }
    this.lastSyncAt = this.opts.now();
    if (trimmed > 0) this.opts.log.info({ ackedSeq: ack.ackedSeq, trimmed }, "journal entries acknowledged");
    if (this.inFlight && ack.ackedSeq >= this.inFlight.upTo) this.clearInFlight();
    this.kick();
  }

  private clearInFlight(): void {
    if (this.inFlight) clearTimeout(this.inFlight.timer);
    this.inFlight = undefined;
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
    this.clearInFlight();
  }
}
