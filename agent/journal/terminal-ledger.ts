/**
 * The terminal's ledger: the journal (outbox) and the card cache, on the box.
 *
 * - `commit` seals an entry into the chain and makes it durable before it resolves —
 *   one line appended to journal.log and fdatasync'ed (journal-log.ts): nothing is
 *   approved, shown or printed before that (DESIGN §5), and the cost does not grow with
 *   the pending entries or the cards known.
 * - `acknowledge` folds entries the server has applied into the card overlay and moves
 *   the acknowledged point in journal.json in one atomic write (after archiving them): a
 *   crash before it re-sends entries the server skips as duplicates, and never loses one.
 * - The card cache is cards.json plus a small overlay inside journal.json, flushed into
 *   cards.json in batches outside the write lock.
 * - The exposure and balance figures the offline rules need are derived from the
 *   pending entries, never kept as separate counters that could drift.
 *
 * Not thread-safe by itself: the decider serialises check + commit under one lock.
 */
import { Low } from "lowdb";
import { CardtermError, isCardtermError } from "../../protocol/errors.js";
import { type EntryBody, type JournalEntry, sealEntry } from "../../protocol/journal-entry.js";
import type { CardId, CardSnapshot } from "../../rules/card.js";
import type { Minor } from "../../rules/money.js";
import { beforeCheck, NO_PIN_ATTEMPTS, type PinAttempts, type PinGate } from "../../rules/pin.js";
import type { PinRules } from "../../rules/policy.js";
import { AccountLocks } from "../sale/account-locks.js";
import { SerialLock } from "../sale/serial-lock.js";
import { type DurableFs, nodeDurableFs } from "../store/durable-file.js";
import { DurableJsonAdapter } from "../store/durable-json-adapter.js";
import { AccountCards, cardToCache, foldAcknowledged, freshestOf } from "./account-cards.js";
import { cardCacheBytes, journalHeadJson } from "./cached-json.js";
import { type Exposure, knownBalanceOf, offlineExposureOf } from "./card-fold.js";
import type { JournalArchive } from "./journal-archive.js";
import { JournalLog } from "./journal-log.js";
import {
  type CachedCard,
  type CardCacheDoc,
  emptyJournal,
  type JournalDoc,
  type JournalHead,
} from "./journal-state.js";
import { journalPaths, loadJournal, type Repair, type SalvagedJournal } from "./load-journal.js";
import type { JournalGap } from "./salvage-journal.js";
import { headMac, sealCard } from "./seals.js";
import { broken, type Integrity, verifyCards } from "./verify-journal.js";

/**
 * Cards remembered or moved since the last flush live in the journal head (small,
 * written on every ack and refresh anyway); they go to cards.json in one write once this
 * many have gathered, so neither a commit nor an ack rewrites the whole card cache.
 */
const OVERLAY_FLUSH_AT = 256;

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
  private doc: JournalDoc;
  private head!: Low<JournalHead>;
  private cache!: Low<CardCacheDoc>;
  private log: JournalLog | undefined;
  private integrity: Integrity = { ok: true };
  /** Every write to any of the files goes through this lock, so an ack never races a commit. */
  private readonly writes = new SerialLock();
  private waitingWriters = 0;
  private flushing: Promise<void> | undefined;
  /** Newest entry a slot or the head attests on disk (journal-log.ts). */
  private attestedSeq = 0;
  /** Entry lines in journal.log, acknowledged ones included until compaction. */
  private logLines = 0;
  private attesting: Promise<void> | undefined;
  /** Cached cards by account, built from the card cache on first use (account-cards.ts). */
  private accountIndex: AccountCards | undefined;
  /** One money decision per account at a time, for the sale and the till operations alike. */
  readonly accountLocks = new AccountLocks();
  /** The newest entry of each account acknowledged since start-up (see rememberCard). */
  private readonly ackedOnAccount = new Map<string, number>();
  /** Sequence numbers above the acknowledged point with no entry that verifies (a journal that failed). */
  private gapList: JournalGap[] = [];

  private constructor(
    private readonly terminalId: string,
    private readonly key: Buffer,
    private readonly archive: JournalArchive | undefined,
    private readonly fs: DurableFs,
    private readonly dataDir: string,
  ) {
    this.doc = emptyJournal(terminalId);
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
    const paths = journalPaths(opts.dataDir);
    ledger.head = new Low(new DurableJsonAdapter<JournalHead>(paths.head, fs, journalHeadJson), ledger.headDoc());
    ledger.cache = new Low(new DurableJsonAdapter<CardCacheDoc>(`${opts.dataDir}/cards.json`, fs, cardCacheBytes), {
      format: 1,
      cards: {},
    });
    let loaded: Awaited<ReturnType<typeof loadJournal>>;
    try {
      loaded = await loadJournal(fs, opts.dataDir, opts.terminalId, opts.key);
    } catch (err) {
      ledger.integrity = broken("log-invalid", (err as Error).message); // the files could not be read
      return ledger;
    }
    if (!("doc" in loaded)) {
      ledger.integrity = loaded.integrity;
      ledger.salvaged(loaded.salvage);
      await ledger.cache.read().catch(() => undefined); // only for looking cards up; never trusted for money
      return ledger;
    }
    // The journal verified: its entries are the outbox whatever the card cache says.
    ledger.doc = loaded.doc;
    ledger.attestedSeq = loaded.doc.nextSeq - 1;
    try {
      await ledger.cache.read();
      ledger.integrity = firstProblem([
        () => verifyCards(Object.values(ledger.doc.cardOverlay), opts.key, "journal.json"),
        () => verifyCards(Object.values(ledger.cache.data.cards), opts.key, "cards.json"),
      ]);
    } catch (err) {
      ledger.integrity = broken("card-edited", (err as Error).message);
    }
    if (!ledger.integrity.ok || opts.readOnly) return ledger;
    try {
      await ledger.repair(loaded.repair);
    } catch (err) {
      ledger.integrity = broken("write-uncertain", (err as Error).message);
    }
    return ledger;
  }

  /**
   * A journal that failed verification: what still verifies becomes the outbox, so the
   * uploader sends it and status and heartbeat count it (issue 13 defect 5). No file is
   * written from here on (the evidence stays as found); the server's acks move the
   * acknowledged point in memory only (acknowledgeNow).
   */
  private salvaged(s: SalvagedJournal): void {
    const last = s.entries[s.entries.length - 1];
    this.doc = {
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
    const attest = { seq: this.doc.nextSeq - 1, hash: this.doc.headHash };
    if (repair.kind === "create" || repair.kind === "migrate") {
      this.log = await JournalLog.create(this.fs, log, this.terminalId, this.key, this.doc.pending, attest);
      this.logLines = this.doc.pending.length;
      // The log first: a head without its log reads as entries deleted (load-journal.ts).
      await this.writeHead();
      return;
    }
    this.log = await JournalLog.open(this.fs, log, this.terminalId, this.key, repair.logBytes);
    this.logLines = repair.logLines;
    if (repair.kind === "truncate") await this.log.truncate(repair.logBytes);
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

  private async writeHead(): Promise<void> {
    this.head.data = this.headDoc();
    await this.head.write();
    this.attestedSeq = Math.max(this.attestedSeq, this.doc.nextSeq - 1);
  }

  /** Run under the write lock, counting who waits (an idle attestation gives way to them). */
  private locked<T>(fn: () => Promise<T>): Promise<T> {
    this.waitingWriters += 1;
    return this.writes.run(() => {
      this.waitingWriters -= 1;
      return fn();
    });
  }

  /** Whether the journal verified at start-up; approvals are refused when it did not. */
  checkIntegrity(): Integrity {
    return this.integrity;
  }

  assertUsable(): void {
    if (!this.integrity.ok) {
      throw new CardtermError(
        "CT_JOURNAL_CORRUPT",
        `${this.integrity.problem}; approvals are refused until it is repaired`,
      );
    }
  }

  /** Seal and durably write one entry. Throws CT_STORE_WRITE_FAILED and leaves no trace when the disk fails. */
  async commit(entry: NewEntry, lastContactAt?: number | null): Promise<JournalEntry> {
    this.assertUsable();
    const sealed = await this.locked(() => this.commitNow(entry, lastContactAt));
    this.attestSoon();
    return sealed;
  }

  private async commitNow(entry: NewEntry, lastContactAt?: number | null): Promise<JournalEntry> {
    this.assertUsable();
    const log = this.writableLog();
    const before = this.doc;
    const sealed = sealEntry(
      { ...entry, terminalId: this.terminalId, seq: before.nextSeq, prevHash: before.headHash },
      this.key,
    );
    // The entry before this one is durable (its commit synced): attest it in the same write.
    const previous = { seq: before.nextSeq - 1, hash: before.headHash };
    try {
      await log.append(sealed, previous.seq > this.attestedSeq ? previous : null);
    } catch (err) {
      if (isCardtermError(err) && err.details?.restored === false) this.failUncertain();
      throw err;
    }
    this.attestedSeq = Math.max(this.attestedSeq, previous.seq);
    this.logLines += 1;
    this.doc = {
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
    this.attesting = new Promise<void>((resolve) => setImmediate(resolve))
      .then(() =>
        this.waitingWriters > 0
          ? undefined
          : this.locked(async () => {
              const newest = { seq: this.doc.nextSeq - 1, hash: this.doc.headHash };
              if (!this.integrity.ok || !this.log || newest.seq <= this.attestedSeq) return;
              await this.log.attestBoth(newest, () => this.waitingWriters > 0);
              this.attestedSeq = newest.seq;
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
    return this.locked(() => this.acknowledgeNow(ackedSeq, contactAt));
  }

  private async acknowledgeNow(ackedSeq: number, contactAt: number): Promise<number> {
    if (!this.log && !this.integrity.ok) return this.acknowledgeInMemory(ackedSeq, contactAt);
    const doc = this.doc;
    const done = doc.pending.filter((e) => e.seq <= ackedSeq);
    if (done.length === 0) {
      doc.lastContactAt = contactAt;
      return 0;
    }
    // Into every card of the entry's account: the other cards' snapshots lack it too.
    const folded = foldAcknowledged(
      done,
      (id) => this.card(id),
      this.accounts(),
      (c) => sealCard(c, this.key),
    );
    const overlay = { ...doc.cardOverlay, ...folded };
    for (const e of done) {
      const account = this.accountOf(e.cardId);
      if (account !== undefined) this.ackedOnAccount.set(account, e.seq);
    }
    await this.archive?.append(done);
    const last = done[done.length - 1]!;
    // One atomic write: the trimmed entries leave the outbox as their effect enters the overlay.
    this.doc = {
      ...doc,
      ackedSeq: last.seq,
      ackedHash: last.hash,
      pending: doc.pending.filter((e) => e.seq > last.seq),
      lastContactAt: contactAt,
      cardOverlay: overlay,
    };
    await this.writeHeadOrRestore(doc);
    await this.compactIfDue();
    void this.flushCardsIfLarge();
    return done.length;
  }

  /**
   * A journal that failed at start-up is not written to (the evidence stays as found): an
   * ack only stops the uploader resending what the server holds. After a restart the
   * same entries go up again and the server counts them as duplicates.
   */
  private acknowledgeInMemory(ackedSeq: number, contactAt: number): number {
    const doc = this.doc;
    const kept = doc.pending.filter((e) => e.seq > ackedSeq);
    const trimmed = doc.pending.length - kept.length;
    const last = doc.pending[trimmed - 1];
    this.doc = {
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
    const acknowledgedLines = this.logLines - this.doc.pending.length;
    if (!this.log || acknowledgedLines === 0) return;
    if (acknowledgedLines < (this.doc.pending.length === 0 ? COMPACT_EMPTY_AT : COMPACT_AT)) return;
    try {
      await this.log.rewrite(this.doc.pending, { seq: this.doc.nextSeq - 1, hash: this.doc.headHash });
      this.logLines = this.doc.pending.length;
    } catch (err) {
      // Before the rename the old log is intact and still open; after it, which file the
      // name points at is uncertain, so appends stop until a restart reads it again.
      if (isCardtermError(err) && err.details?.renamed === true) this.failUncertain();
    }
  }

  /**
   * Remember what the server just said about a card. `appliedSeq` is the server's word on
   * which of our entries it had applied; `onlineThrough` the newest online entry it had
   * authorised (online approvals are applied at once).
   */
  async rememberCard(
    snapshot: CardSnapshot,
    seen: { appliedSeq: number; onlineThrough: number; ackedAtAsk?: number },
    at: number,
  ): Promise<void> {
    await this.locked(async () => {
      const acked = this.ackedOnAccount.get(snapshot.accountId) ?? 0;
      const next = cardToCache(this.card(snapshot.cardId), snapshot, seen, at, acked);
      if (!next) return;
      const card = sealCard(next, this.key);
      const doc = this.doc;
      this.doc = { ...doc, cardOverlay: { ...doc.cardOverlay, [snapshot.cardId]: card } };
      await this.writeHeadOrRestore(doc);
      this.accountIndex?.add(snapshot);
    });
    void this.flushCardsIfLarge();
  }

  /**
   * Write journal.json; on failure, put back `before` in memory and on disk.
   *
   * A failure can come after the rename (EIO on the directory fsync): the new head may
   * then be on disk although the caller is told it failed. So the old head is written
   * back; if even that fails, the state on disk is uncertain and the ledger fails closed
   * until the agent restarts.
   */
  private async writeHeadOrRestore(before: JournalDoc): Promise<void> {
    this.writableLog();
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

  private failUncertain(): void {
    this.integrity = broken(
      "write-uncertain",
      "the journal could not be written and its state on disk is uncertain (disk full or failing); restart the agent once the disk is fixed",
    );
  }

  /**
   * Move the overlay into cards.json once it is large. The big file is written outside
   * the write lock, so sales keep committing meanwhile; then, under the lock, the
   * journal drops the flushed cards that have not changed since. A crash in between
   * leaves a card in both places (the overlay wins, same value), never in neither.
   */
  private flushCardsIfLarge(force = false): Promise<void> {
    if (this.flushing) return force ? this.flushing.then(() => this.flushCardsIfLarge(true)) : this.flushing;
    const overlay = { ...this.doc.cardOverlay };
    const size = Object.keys(overlay).length;
    if (size === 0 || (!force && size < OVERLAY_FLUSH_AT)) return Promise.resolve();
    this.flushing = this.flushNow(overlay).finally(() => {
      this.flushing = undefined;
    });
    if (!force) this.flushing.catch(() => undefined); // retried at the next flush; the overlay still holds the cards
    return this.flushing;
  }

  private async flushNow(overlay: Record<string, CachedCard>): Promise<void> {
    // In place: the overlay takes precedence in card(), so a failed write leaves no wrong answer.
    Object.assign(this.cache.data.cards, overlay);
    await this.cache.write();
    await this.locked(async () => {
      const before = this.doc;
      const kept = Object.fromEntries(Object.entries(before.cardOverlay).filter(([id, card]) => overlay[id] !== card));
      this.doc = { ...before, cardOverlay: kept };
      await this.writeHeadOrRestore(before);
    });
  }

  /** Resolves once the idle attestation of the newest entry (if one is due) is done. */
  async settled(): Promise<void> {
    await this.attesting;
  }

  /** Let the last attestation and flush finish and close the log (at shutdown; safe twice). */
  async close(): Promise<void> {
    await this.attesting;
    await this.flushing?.catch(() => undefined);
    const log = this.log;
    this.log = undefined;
    await this.locked(async () => {
      await log?.close().catch(() => undefined);
    });
  }

  /** Write every remembered card into cards.json now (at shutdown). */
  flushCards(): Promise<void> {
    return this.flushCardsIfLarge(true);
  }

  /**
   * Step 1–2 of a PIN check (rules/pin.ts): count the attempt and make the count
   * durable before the PIN is compared, so pulling the plug mid-check cannot buy extra
   * tries. Returns whether the check may go ahead.
   */
  beginPinAttempt(cardId: CardId, now: number, rules: PinRules): Promise<PinGate> {
    return this.locked(async () => {
      const gate = beforeCheck(this.doc.pinAttempts?.[cardId] ?? NO_PIN_ATTEMPTS, now, rules);
      await this.savePinAttempts(cardId, gate.next);
      return gate;
    });
  }

  /** Step 4: record the outcome (a correct PIN resets the count). */
  endPinAttempt(cardId: CardId, next: PinAttempts): Promise<void> {
    return this.locked(() => this.savePinAttempts(cardId, next));
  }

  /** The card's PIN retry counter (for the cashier's "tries left"). */
  pinAttemptsOf(cardId: CardId): PinAttempts {
    return this.doc.pinAttempts?.[cardId] ?? NO_PIN_ATTEMPTS;
  }

  private async savePinAttempts(cardId: CardId, next: PinAttempts): Promise<void> {
    const doc = this.doc;
    const attempts = { ...doc.pinAttempts };
    if (next.failures === 0 && next.lockedUntil === null) delete attempts[cardId];
    else attempts[cardId] = next;
    this.doc = { ...doc, pinAttempts: attempts };
    await this.writeHeadOrRestore(doc);
  }

  card(cardId: CardId): CachedCard | undefined {
    return this.doc.cardOverlay[cardId] ?? this.cache.data.cards[cardId];
  }

  /** Which cached cards share which account; the first call reads the whole card cache once. */
  private accounts(): AccountCards {
    if (!this.accountIndex) {
      const index = new AccountCards();
      for (const c of Object.values(this.cache.data.cards)) index.add(c);
      for (const c of Object.values(this.doc.cardOverlay)) index.add(c);
      this.accountIndex = index;
    }
    return this.accountIndex;
  }

  /** The account a cached card is on. */
  accountOf(cardId: CardId): string | undefined {
    return this.card(cardId)?.accountId;
  }

  /** The cached cards on the account of `cardId` (itself included; none when it is not cached). */
  cardsOnAccountOf(cardId: CardId): CachedCard[] {
    const account = this.accountOf(cardId);
    if (account === undefined) return [];
    const cards = this.accounts()
      .cardsOf(account)
      .map((id) => this.card(id))
      .filter((c): c is CachedCard => c !== undefined && c.accountId === account);
    return cards;
  }

  /**
   * The snapshot of the card's account to judge stored value, points and uses by: the
   * freshest of its cards' (account-cards.ts). Undefined when the card is not cached.
   */
  accountSnapshot(cardId: CardId): CachedCard | undefined {
    return freshestOf(this.cardsOnAccountOf(cardId));
  }

  /** The balance of the card's account as this terminal knows it, from every card on it (card-fold.ts). */
  knownBalance(cardId: CardId): Minor | undefined {
    const snapshot = this.accountSnapshot(cardId);
    if (!snapshot) return undefined;
    return knownBalanceOf(snapshot, this.doc.pending, (id) => this.accountOf(id) === snapshot.accountId);
  }

  /** Offline debits not yet acknowledged by the server, for one card or (no argument) the terminal. */
  offlineExposure(cardId?: CardId): Exposure {
    return offlineExposureOf(this.doc.pending, cardId);
  }

  pending(): readonly JournalEntry[] {
    return this.doc.pending;
  }

  /**
   * Sequence numbers not yet acknowledged for which this journal holds no entry that
   * verifies (only after it failed at start-up); the uploader declares them so the server
   * can skip over them.
   */
  gaps(): readonly JournalGap[] {
    return this.gapList;
  }

  lastContactAt(): number | null {
    return this.doc.lastContactAt;
  }

  /**
   * Record a contact without forcing a write; it is persisted with the next ack or card
   * refresh. Lost in a power cut, it only makes the last contact look older — the
   * cautious side of the offline age rule.
   */
  noteContact(at: number): void {
    this.doc.lastContactAt = at;
  }

  summary(): { nextSeq: number; ackedSeq: number; pending: number; lastContactAt: number | null } {
    const d = this.doc;
    return { nextSeq: d.nextSeq, ackedSeq: d.ackedSeq, pending: d.pending.length, lastContactAt: d.lastContactAt };
  }
}

function firstProblem(checks: (() => Integrity)[]): Integrity {
  for (const check of checks) {
    const result = check();
    if (!result.ok) return result;
  }
  return { ok: true };
}
