/**
 * The terminal's ledger on the box: the journal (outbox) and the server's acks, with the
 * card cache (card-cache.ts), the PIN counters (pin-counters.ts) and the contact time
 * (contact-time.ts) beside it, all sharing one head document and one write lock
 * (ledger-state.ts).
 *
 * - `commit` seals an entry into the chain and makes it durable before it resolves —
 *   one line appended to journal.log and fdatasync'ed (journal-log.ts): nothing is
 *   approved, shown or printed before that (docs/architecture.md#the-journal), and the
 *   cost does not grow with the pending entries or the cards known.
 * - `acknowledge` folds entries the server has applied into the card overlay and moves
 *   the acknowledged point in journal.json in one atomic write (after archiving them): a
 *   crash before it re-sends entries the server skips as duplicates, and never loses one.
 * - `saleSnapshot` hands a sale everything it is judged on, read at one moment
 *   (sale-snapshot.ts).
 *
 * Not thread-safe by itself: the decider serialises snapshot + commit under one lock.
 */
import { CardtermError, isCardtermError } from "../../protocol/errors.js";
import { type EntryBody, type JournalEntry, sealEntry } from "../../protocol/journal-entry.js";
import type { CardId, CardSnapshot } from "../../rules/card.js";
import type { Minor } from "../../rules/money.js";
import type { PinAttempts, PinGate } from "../../rules/pin.js";
import type { PinRules } from "../../rules/policy.js";
import { type DurableFs, nodeDurableFs } from "../store/durable-file.js";
import { AccountLocks } from "./account-locks.js";
import { CardCache, type SeenBy } from "./card-cache.js";
import { type Exposure, offlineExposureOf } from "./card-fold.js";
import { ContactTime } from "./contact-time.js";
import type { JournalArchive } from "./journal-archive.js";
import { JournalLog } from "./journal-log.js";
import { type CachedCard, emptyJournal } from "./journal-state.js";
import { LedgerState } from "./ledger-state.js";
import { journalPaths, loadJournal, type Repair, type SalvagedJournal } from "./load-journal.js";
import { PinCounters } from "./pin-counters.js";
import { type LedgerSnapshot, saleSnapshotOf } from "./sale-snapshot.js";
import type { JournalGap } from "./salvage-journal.js";
import { broken, type Integrity, verifyCards } from "./verify-journal.js";

/** Acknowledged lines the log may carry, while entries are still pending, before an ack compacts it. */
const COMPACT_AT = 1024;
/**
 * With the outbox empty a rewrite is only the header, but it is still a whole durable file
 * (write, fsync, rename, directory fsync). An online till empties its outbox after every
 * sale, so compacting each time cost ~2–3 ms of the next sale's wait; 64 lines first.
 */
export const COMPACT_EMPTY_AT = 64;

export type NewEntry = Omit<EntryBody, "terminalId" | "seq" | "prevHash">;

export class TerminalLedger {
  private readonly state: LedgerState;
  /** The card cache: cards.json and the overlay in the head (card-cache.ts). */
  readonly cards: CardCache;
  /** The offline PIN retry counters (pin-counters.ts). */
  readonly pins: PinCounters;
  /** When the server was last heard from (contact-time.ts). */
  readonly contact: ContactTime;
  /** One money decision per account at a time, for the sale and the till operations alike. */
  readonly accountLocks = new AccountLocks();
  private log: JournalLog | undefined;
  /** Entry lines in journal.log, acknowledged ones included until compaction. */
  private logLines = 0;
  private attesting: Promise<void> | undefined;
  /** Sequence numbers above the acknowledged point with no entry that verifies (a journal that failed). */
  private gapList: JournalGap[] = [];

  private constructor(
    private readonly terminalId: string,
    private readonly key: Buffer,
    private readonly archive: JournalArchive | undefined,
    private readonly fs: DurableFs,
    private readonly dataDir: string,
  ) {
    this.state = new LedgerState(terminalId, key, journalPaths(dataDir).head, fs, () => this.writableLog());
    this.cards = new CardCache(this.state, key, dataDir, fs);
    this.pins = new PinCounters(this.state);
    this.contact = new ContactTime(this.state);
  }

  static async open(opts: {
    dataDir: string;
    terminalId: string;
    key: Buffer;
    fs?: DurableFs;
    /** Where acknowledged entries go; none = they are only trimmed (tests of the ledger alone). */
    archive?: JournalArchive;
    /** Read and verify only: no repair, no write (the journal commands, beside a running agent). */
    readOnly?: boolean;
  }): Promise<TerminalLedger> {
    const fs = opts.fs ?? nodeDurableFs;
    const ledger = new TerminalLedger(opts.terminalId, opts.key, opts.archive, fs, opts.dataDir);
    const { state } = ledger;
    let loaded: Awaited<ReturnType<typeof loadJournal>>;
    try {
      loaded = await loadJournal(fs, opts.dataDir, opts.terminalId, opts.key);
    } catch (err) {
      state.integrity = broken("log-invalid", (err as Error).message); // the files could not be read
      return ledger;
    }
    if (!("doc" in loaded)) {
      state.integrity = loaded.integrity;
      ledger.salvaged(loaded.salvage);
      await ledger.cards.read().catch(() => undefined); // only for looking cards up; never trusted for money
      return ledger;
    }
    // The journal verified: its entries are the outbox whatever the card cache says.
    state.doc = loaded.doc;
    state.attestedSeq = loaded.doc.nextSeq - 1;
    try {
      await ledger.cards.read();
      state.integrity = firstProblem([
        () => verifyCards(Object.values(state.doc.cardOverlay), opts.key, "journal.json"),
        () => verifyCards(ledger.cards.stored(), opts.key, "cards.json"),
      ]);
    } catch (err) {
      state.integrity = broken("card-edited", (err as Error).message);
    }
    if (!state.integrity.ok || opts.readOnly) return ledger;
    try {
      await ledger.repair(loaded.repair);
    } catch (err) {
      state.integrity = broken("write-uncertain", (err as Error).message);
    }
    return ledger;
  }

  /**
   * A journal that failed verification: what still verifies becomes the outbox, so the
   * uploader sends it and status and heartbeat count it. No file is written from here on
   * (the evidence stays as found); the server's acks move the acknowledged point in
   * memory only (acknowledgeInMemory).
   */
  private salvaged(s: SalvagedJournal): void {
    const last = s.entries[s.entries.length - 1];
    this.state.doc = {
      ...emptyJournal(this.terminalId),
      ackedSeq: s.ackedSeq,
      ackedHash: s.ackedHash,
      nextSeq: Math.max(last?.seq ?? 0, s.gaps[s.gaps.length - 1]?.seq ?? 0, s.ackedSeq) + 1,
      pending: s.entries,
    };
    this.gapList = s.gaps;
  }

  /** Make the files ready for appends: what a power cut or an older version left is put right first. */
  private async repair(repair: Repair): Promise<void> {
    const { log } = journalPaths(this.dataDir);
    const doc = this.state.doc;
    const attest = { seq: doc.nextSeq - 1, hash: doc.headHash };
    if (repair.kind === "create" || repair.kind === "migrate") {
      this.log = await JournalLog.create(this.fs, log, this.terminalId, this.key, doc.pending, attest);
      this.logLines = doc.pending.length;
      // The log first: a head without its log reads as entries deleted (load-journal.ts).
      await this.state.writeHead();
      return;
    }
    this.log = await JournalLog.open(this.fs, log, this.terminalId, this.key, repair.logBytes);
    this.logLines = repair.logLines;
    if (repair.kind === "truncate") await this.log.truncate(repair.logBytes);
  }

  /** Whether the journal verified at start-up; approvals are refused when it did not. */
  checkIntegrity(): Integrity {
    return this.state.integrity;
  }

  assertUsable(): void {
    this.state.assertUsable();
  }

  /** Seal and durably write one entry. Throws CT_STORE_WRITE_FAILED and leaves no trace when the disk fails. */
  async commit(entry: NewEntry, lastContactAt?: number | null): Promise<JournalEntry> {
    this.assertUsable();
    const sealed = await this.state.locked(() => this.commitNow(entry, lastContactAt));
    this.attestSoon();
    return sealed;
  }

  private async commitNow(entry: NewEntry, lastContactAt?: number | null): Promise<JournalEntry> {
    const { state } = this;
    state.assertUsable();
    const log = this.writableLog();
    const before = state.doc;
    const sealed = sealEntry(
      { ...entry, terminalId: this.terminalId, seq: before.nextSeq, prevHash: before.headHash },
      this.key,
    );
    // The entry before this one is durable (its commit synced): attest it in the same write.
    const previous = { seq: before.nextSeq - 1, hash: before.headHash };
    try {
      await log.append(sealed, previous.seq > state.attestedSeq ? previous : null);
    } catch (err) {
      if (isCardtermError(err) && err.details?.restored === false) state.failUncertain();
      throw err;
    }
    state.attestedSeq = Math.max(state.attestedSeq, previous.seq);
    this.logLines += 1;
    state.doc = {
      ...before,
      nextSeq: before.nextSeq + 1,
      headHash: sealed.hash,
      pending: [...before.pending, sealed],
      lastContactAt: lastContactAt === undefined ? before.lastContactAt : lastContactAt,
    };
    return sealed;
  }

  private writableLog(): JournalLog {
    if (!this.log) throw new CardtermError("CT_JOURNAL_CORRUPT", "the journal was opened read-only");
    return this.log;
  }

  /**
   * Attest the newest entry once no writer is waiting, so cutting it off the log is
   * caught at the next start (journal-log.ts). Under load each commit attests the one
   * before it instead; this only costs a sync when the till is idle.
   */
  private attestSoon(): void {
    if (this.attesting) return;
    const { state } = this;
    this.attesting = new Promise<void>((resolve) => setImmediate(resolve))
      .then(() =>
        state.waitingWriters > 0
          ? undefined
          : state.locked(async () => {
              const newest = { seq: state.doc.nextSeq - 1, hash: state.doc.headHash };
              if (!state.integrity.ok || !this.log || newest.seq <= state.attestedSeq) return;
              await this.log.attestBoth(newest, () => state.waitingWriters > 0);
              state.attestedSeq = newest.seq;
            }),
      )
      .catch(() => undefined) // the next commit or ack attests it instead
      .finally(() => {
        this.attesting = undefined;
      });
  }

  /**
   * The server has applied every entry up to `ackedSeq`: archive them, fold them into the
   * card overlay and move the acknowledged point. Returns how many entries were trimmed.
   */
  acknowledge(ackedSeq: number, contactAt: number): Promise<number> {
    return this.state.locked(() => this.acknowledgeNow(ackedSeq, contactAt));
  }

  private async acknowledgeNow(ackedSeq: number, contactAt: number): Promise<number> {
    const { state } = this;
    if (!this.log && !state.integrity.ok) return this.acknowledgeInMemory(ackedSeq, contactAt);
    const doc = state.doc;
    const done = doc.pending.filter((e) => e.seq <= ackedSeq);
    if (done.length === 0) {
      doc.lastContactAt = contactAt;
      return 0;
    }
    const overlay = { ...doc.cardOverlay, ...this.cards.foldAcknowledged(done) };
    await this.archive?.append(done);
    const last = done[done.length - 1]!;
    // One atomic write: the trimmed entries leave the outbox as their effect enters the overlay.
    state.doc = {
      ...doc,
      ackedSeq: last.seq,
      ackedHash: last.hash,
      pending: doc.pending.filter((e) => e.seq > last.seq),
      lastContactAt: contactAt,
      cardOverlay: overlay,
    };
    await state.writeHeadOrRestore(doc);
    await this.compactIfDue();
    void this.cards.flushIfLarge();
    return done.length;
  }

  /**
   * A journal that failed at start-up is not written to (the evidence stays as found): an
   * ack only stops the uploader resending what the server holds. After a restart the
   * same entries go up again and the server counts them as duplicates.
   */
  private acknowledgeInMemory(ackedSeq: number, contactAt: number): number {
    const doc = this.state.doc;
    const kept = doc.pending.filter((e) => e.seq > ackedSeq);
    const trimmed = doc.pending.length - kept.length;
    const last = doc.pending[trimmed - 1];
    this.state.doc = {
      ...doc,
      // The ack may cover gaps past the last entry trimmed: the server recorded them.
      ackedSeq: Math.max(doc.ackedSeq, ackedSeq),
      ackedHash: last?.hash ?? doc.ackedHash,
      pending: kept,
      lastContactAt: contactAt,
    };
    this.gapList = this.gapList.filter((g) => g.seq > ackedSeq);
    return trimmed;
  }

  /** Rewrite journal.log without its acknowledged lines, once they pile up (fewer needed when nothing is pending). */
  private async compactIfDue(): Promise<void> {
    const doc = this.state.doc;
    const acknowledgedLines = this.logLines - doc.pending.length;
    if (!this.log || acknowledgedLines === 0) return;
    if (acknowledgedLines < (doc.pending.length === 0 ? COMPACT_EMPTY_AT : COMPACT_AT)) return;
    try {
      await this.log.rewrite(doc.pending, { seq: doc.nextSeq - 1, hash: doc.headHash });
      this.logLines = doc.pending.length;
    } catch (err) {
      // Before the rename the old log is intact and still open; after it, which file the
      // name points at is uncertain, so appends stop until a restart reads it again.
      if (isCardtermError(err) && err.details?.renamed === true) this.state.failUncertain();
    }
  }

  /** What a sale is judged on, read at one moment (sale-snapshot.ts). */
  saleSnapshot(cardId: CardId): LedgerSnapshot {
    return saleSnapshotOf(cardId, this.cards, this.state.doc);
  }

  /** Resolves once the idle attestation of the newest entry (if one is due) is done. */
  async settled(): Promise<void> {
    await this.attesting;
  }

  /** Let the last attestation and flush finish and close the log (at shutdown; safe twice). */
  async close(): Promise<void> {
    await this.attesting;
    await this.cards.idle();
    const log = this.log;
    this.log = undefined;
    await this.state.locked(async () => {
      await log?.close().catch(() => undefined);
    });
  }

  pending(): readonly JournalEntry[] {
    return this.state.doc.pending;
  }

  /**
   * Sequence numbers not yet acknowledged for which this journal holds no entry that
   * verifies (only after it failed at start-up); the uploader declares them so the server
   * can skip over them.
   */
  gaps(): readonly JournalGap[] {
    return this.gapList;
  }

  summary(): { nextSeq: number; ackedSeq: number; pending: number; lastContactAt: number | null } {
    const d = this.state.doc;
    return { nextSeq: d.nextSeq, ackedSeq: d.ackedSeq, pending: d.pending.length, lastContactAt: d.lastContactAt };
  }

  /** Offline debits not yet acknowledged by the server, for one card or (no argument) the terminal. */
  offlineExposure(cardId?: CardId): Exposure {
    return offlineExposureOf(this.state.doc.pending, cardId);
  }

  // The parts' own words, for the callers that hold the ledger (the till, the API, tests).

  card(cardId: CardId): CachedCard | undefined {
    return this.cards.card(cardId);
  }

  accountOf(cardId: CardId): string | undefined {
    return this.cards.accountOf(cardId);
  }

  cardsOnAccountOf(cardId: CardId): CachedCard[] {
    return this.cards.cardsOnAccountOf(cardId);
  }

  accountSnapshot(cardId: CardId): CachedCard | undefined {
    return this.cards.accountSnapshot(cardId);
  }

  knownBalance(cardId: CardId): Minor | undefined {
    return this.cards.knownBalance(cardId);
  }

  rememberCard(snapshot: CardSnapshot, seen: SeenBy, at: number): Promise<void> {
    return this.cards.remember(snapshot, seen, at);
  }

  /** Write every remembered card into cards.json now (at shutdown). */
  flushCards(): Promise<void> {
    return this.cards.flushIfLarge(true);
  }

  beginPinAttempt(cardId: CardId, now: number, rules: PinRules): Promise<PinGate> {
    return this.pins.begin(cardId, now, rules);
  }

  endPinAttempt(cardId: CardId, next: PinAttempts): Promise<void> {
    return this.pins.end(cardId, next);
  }

  pinAttemptsOf(cardId: CardId): PinAttempts {
    return this.pins.of(cardId);
  }

  lastContactAt(): number | null {
    return this.contact.lastContactAt();
  }

  noteContact(at: number): void {
    this.contact.note(at);
  }
}

function firstProblem(checks: (() => Integrity)[]): Integrity {
  for (const check of checks) {
    const result = check();
    if (!result.ok) return result;
  }
  return { ok: true };
}
