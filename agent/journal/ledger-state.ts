/**
 * What the parts of the till's ledger share: the one in-memory document (journal-state.ts),
 * journal.json that holds its small part on disk, the lock every write takes, and whether
 * the files can still be trusted. The journal and acks (terminal-ledger.ts), the card cache
 * (card-cache.ts), the PIN counters (pin-counters.ts) and the contact time (contact-time.ts)
 * each change their own part of the document and write the head through here, so an ack
 * never races a commit, a card refresh or a PIN attempt.
 */
import { Low } from "lowdb";
import { SerialLock } from "../../lib/serial-lock.js";
import { CardtermError, isCardtermError } from "../../protocol/errors.js";
import type { DurableFs } from "../store/durable-file.js";
import { DurableJsonAdapter } from "../store/durable-json-adapter.js";
import { journalHeadJson } from "./cached-json.js";
import { emptyJournal, type JournalDoc, type JournalHead } from "./journal-state.js";
import { headMac } from "./seals.js";
import { broken, type Integrity } from "./verify-journal.js";

export class LedgerState {
  /**
   * Replaced on every change but the contact time (contact-time.ts), so an array read from
   * it (the pending entries) stays as it was when read.
   */
  doc: JournalDoc;
  integrity: Integrity = { ok: true };
  /** Newest entry a slot or the head attests on disk (journal-log.ts). */
  attestedSeq = 0;
  private readonly head: Low<JournalHead>;
  private readonly writes = new SerialLock();
  private waiting = 0;

  constructor(
    terminalId: string,
    private readonly key: Buffer,
    headPath: string,
    fs: DurableFs,
    /** Throws when the journal was opened read-only (no file is written then). */
    private readonly assertWritable: () => void,
  ) {
    this.doc = emptyJournal(terminalId);
    this.head = new Low(new DurableJsonAdapter<JournalHead>(headPath, fs, journalHeadJson), this.headDoc());
  }

  /** Writers waiting for the lock (an idle attestation gives way to them). */
  get waitingWriters(): number {
    return this.waiting;
  }

  /** Run under the write lock, counting who waits. */
  locked<T>(fn: () => Promise<T>): Promise<T> {
    this.waiting += 1;
    return this.writes.run(() => {
      this.waiting -= 1;
      return fn();
    });
  }

  assertUsable(): void {
    if (!this.integrity.ok) {
      throw new CardtermError(
        "CT_JOURNAL_CORRUPT",
        `${this.integrity.problem}; approvals are refused until it is repaired`,
      );
    }
  }

  /** journal.json as it stands now: it attests every committed entry, all durable by now. */
  private headDoc(): JournalHead {
    const d = this.doc;
    const body = {
      format: 2 as const,
      terminalId: d.terminalId,
      ackedSeq: d.ackedSeq,
      ackedHash: d.ackedHash,
      attestedSeq: d.nextSeq - 1,
      attestedHash: d.headHash,
      lastContactAt: d.lastContactAt,
      cardOverlay: d.cardOverlay,
      ...(d.pinAttempts ? { pinAttempts: d.pinAttempts } : {}),
    };
    return { ...body, headMac: headMac(body, this.key) };
  }

  async writeHead(): Promise<void> {
    this.head.data = this.headDoc();
    await this.head.write();
    this.attestedSeq = Math.max(this.attestedSeq, this.doc.nextSeq - 1);
  }

  /**
   * Write journal.json; on failure, put back `before` in memory and on disk.
   *
   * A failure can come after the rename (EIO on the directory fsync): the new head may
   * then be on disk although the caller is told it failed. So the old head is written
   * back; if even that fails, the state on disk is uncertain and the ledger fails closed
   * until the agent restarts.
   */
  async writeHeadOrRestore(before: JournalDoc): Promise<void> {
    this.assertWritable();
    try {
      await this.writeHead();
    } catch (err) {
      this.doc = before;
      if (!isCardtermError(err) || err.details?.renamed !== true) throw err; // the old file is intact
      try {
        await this.writeHead();
      } catch {
        this.failUncertain();
      }
      throw err;
    }
  }

  failUncertain(): void {
    this.integrity = broken(
      "write-uncertain",
      "the journal could not be written and its state on disk is uncertain (disk full or failing); restart the agent once the disk is fixed",
    );
  }
}
