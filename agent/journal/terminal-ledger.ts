/**
 * The terminal's ledger: the journal (outbox) and the card cache, on the box.
 *
 * - `commit` seals an entry into the chain and makes it durable before it resolves:
 *   nothing is approved, shown or printed before that (DESIGN §5).
 * - `acknowledge` folds entries the server has applied into the card overlay and trims
 *   them from the journal in one atomic write (after archiving them): a crash before it
 *   re-sends entries the server skips as duplicates, and never loses one.
 * - The card cache is cards.json plus a small overlay inside journal.json, flushed into
 *   cards.json in batches: the cost of a commit does not grow with the cards known.
 * - The exposure and balance figures the offline rules need are derived from the
 *   pending entries, never kept as separate counters that could drift.
 *
 * Not thread-safe by itself: the decider serialises check + commit under one lock.
 */
import { Low } from "lowdb";
import type { CardId, CardSnapshot } from "../../protocol/card.js";
import { CardtermError, isCardtermError } from "../../protocol/errors.js";
import { balanceDelta, type EntryBody, type JournalEntry, sealEntry } from "../../protocol/journal-entry.js";
import type { Minor } from "../../protocol/money.js";
import { beforeCheck, NO_PIN_ATTEMPTS, type PinAttempts, type PinGate } from "../../protocol/pin.js";
import type { PinRules } from "../../protocol/policy.js";
import { SerialLock } from "../sale/serial-lock.js";
import type { DurableFs } from "../store/durable-file.js";
import { DurableJsonAdapter } from "../store/durable-json-adapter.js";
import { cardCacheJson, journalDocJson } from "./cached-json.js";
import type { JournalArchive } from "./journal-archive.js";
import { type CachedCard, type CardCacheDoc, emptyJournal, includes, type JournalDoc } from "./journal-state.js";
import { headMac, sealCard } from "./seals.js";
import { type Integrity, verifyCards, verifyJournal } from "./verify-journal.js";

/**
 * Cards remembered or moved since the last flush live in the journal document (small,
 * written on every commit anyway); they go to cards.json in one write once this many
 * have gathered, so neither a commit nor an ack rewrites the whole card cache.
 */
const OVERLAY_FLUSH_AT = 256;

export type NewEntry = Omit<EntryBody, "terminalId" | "seq" | "prevHash">;

export interface Exposure {
  minor: Minor;
  count: number;
}

export class TerminalLedger {
  private journal!: Low<JournalDoc>;
  private cache!: Low<CardCacheDoc>;
  private integrity: Integrity = { ok: true };
  /** Every write to either document goes through this lock, so an ack never races a commit. */
  private readonly writes = new SerialLock();
  private flushing: Promise<void> | undefined;

  private constructor(
    private readonly terminalId: string,
    private readonly key: Buffer,
    private readonly archive: JournalArchive | undefined,
  ) {}

  static async open(opts: {
    dataDir: string;
    terminalId: string;
    key: Buffer;
    fs?: DurableFs;
    /** Where acknowledged entries go; none = they are only trimmed (tests of the ledger alone). */
    archive?: JournalArchive;
  }): Promise<TerminalLedger> {
    const ledger = new TerminalLedger(opts.terminalId, opts.key, opts.archive);
    ledger.journal = new Low(
      new DurableJsonAdapter<JournalDoc>(`${opts.dataDir}/journal.json`, opts.fs, journalDocJson),
      emptyJournal(opts.terminalId),
    );
    ledger.cache = new Low(new DurableJsonAdapter<CardCacheDoc>(`${opts.dataDir}/cards.json`, opts.fs, cardCacheJson), {
      format: 1,
      cards: {},
    });
    try {
      await ledger.journal.read();
      await ledger.cache.read();
    } catch (err) {
      ledger.integrity = { ok: false, problem: (err as Error).message };
      return ledger;
    }
    const doc = ledger.journal.data;
    ledger.integrity = firstProblem([
      () =>
        doc.terminalId === opts.terminalId
          ? { ok: true }
          : { ok: false, problem: `the journal belongs to terminal ${doc.terminalId}, not ${opts.terminalId}` },
      () => verifyJournal(doc, opts.key),
      () => verifyCards(Object.values(doc.cardOverlay ?? {}), opts.key, "journal.json"),
      () => verifyCards(Object.values(ledger.cache.data.cards), opts.key, "cards.json"),
    ]);
    return ledger;
  }

  /** Every journal write seals the head first (seals.ts). */
  private writeJournal(): Promise<void> {
    this.journal.data.headMac = headMac(this.journal.data, this.key);
    return this.journal.write();
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
    return this.writes.run(() => this.commitNow(entry, lastContactAt));
  }

  private async commitNow(entry: NewEntry, lastContactAt?: number | null): Promise<JournalEntry> {
    const before = this.journal.data;
    const sealed = sealEntry(
      { ...entry, terminalId: this.terminalId, seq: before.nextSeq, prevHash: before.headHash },
      this.key,
    );
    this.journal.data = {
      ...before,
      nextSeq: before.nextSeq + 1,
      headHash: sealed.hash,
      pending: [...before.pending, sealed],
      lastContactAt: lastContactAt === undefined ? before.lastContactAt : lastContactAt,
    };
    await this.writeOrRestore(before);
    return sealed;
  }

  /**
   * The server has applied every entry up to `ackedSeq`: archive them, fold them into the
   * card overlay and trim them from the journal. Returns how many entries were trimmed.
   */
  acknowledge(ackedSeq: number, contactAt: number): Promise<number> {
    return this.writes.run(() => this.acknowledgeNow(ackedSeq, contactAt));
  }

  private async acknowledgeNow(ackedSeq: number, contactAt: number): Promise<number> {
    const doc = this.journal.data;
    const done = doc.pending.filter((e) => e.seq <= ackedSeq);
    if (done.length === 0) {
      doc.lastContactAt = contactAt;
      return 0;
    }
    const overlay = { ...doc.cardOverlay };
    for (const e of done) {
      const card = overlay[e.cardId] ?? this.cache.data.cards[e.cardId];
      if (card && !includes(card, e)) overlay[e.cardId] = sealCard(foldEntry(card, e), this.key);
    }
    await this.archive?.append(done);
    const last = done[done.length - 1]!;
    // One atomic write: the trimmed entries leave the journal as their effect enters the overlay.
    this.journal.data = {
      ...doc,
      ackedSeq: last.seq,
      ackedHash: last.hash,
      pending: doc.pending.filter((e) => e.seq > last.seq),
      lastContactAt: contactAt,
      cardOverlay: overlay,
    };
    await this.writeOrRestore(doc);
    void this.flushCardsIfLarge();
    return done.length;
  }

  /**
   * Remember what the server just said about a card. `appliedSeq` is the server's word on
   * which of our entries it had applied; `onlineThrough` the newest online entry it had
   * authorised (online approvals are applied at once).
   */
  async rememberCard(
    snapshot: CardSnapshot,
    seen: { appliedSeq: number; onlineThrough: number },
    at: number,
  ): Promise<void> {
    await this.writes.run(async () => {
      const current = this.card(snapshot.cardId);
      if (current && current.onlineThrough > seen.onlineThrough) return;
      const includedThrough = Math.max(seen.appliedSeq, current?.includedThrough ?? 0);
      const card = sealCard(
        { ...snapshot, includedThrough, onlineThrough: seen.onlineThrough, refreshedAt: at },
        this.key,
      );
      const doc = this.journal.data;
      this.journal.data = { ...doc, cardOverlay: { ...doc.cardOverlay, [snapshot.cardId]: card } };
      try {
        await this.writeJournal();
      } catch (err) {
        this.journal.data = doc;
        throw err;
      }
    });
    void this.flushCardsIfLarge();
  }

  /**
   * Write the journal document; on failure, put back `before` in memory and on disk.
   *
   * A failure can come after the rename (EIO on the directory fsync): the new document
   * may then be on disk although the caller is told it failed — a declined sale that a
   * restart would upload. So the old document is written back; if even that fails, the
   * state on disk is uncertain and the ledger fails closed until the agent restarts.
   */
  private async writeOrRestore(before: JournalDoc): Promise<void> {
    try {
      await this.writeJournal();
    } catch (err) {
      this.journal.data = before;
      if (!isCardtermError(err) || err.details?.renamed !== true) throw err; // the old file is intact
      try {
        await this.writeJournal();
      } catch {
        this.integrity = {
          ok: false,
          problem:
            "the journal could not be written and its state on disk is uncertain (disk full or failing); restart the agent once the disk is fixed",
        };
      }
      throw err;
    }
  }

  /**
   * Move the overlay into cards.json once it is large. The big file is written outside
   * the write lock, so sales keep committing meanwhile; then, under the lock, the
   * journal drops the flushed cards that have not changed since. A crash in between
   * leaves a card in both places (the overlay wins, same value), never in neither.
   */
  private flushCardsIfLarge(force = false): Promise<void> {
    if (this.flushing) return force ? this.flushing.then(() => this.flushCardsIfLarge(true)) : this.flushing;
    const overlay = { ...this.journal.data.cardOverlay };
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
    await this.writes.run(async () => {
      const current = this.journal.data.cardOverlay ?? {};
      const kept = Object.fromEntries(Object.entries(current).filter(([id, card]) => overlay[id] !== card));
      this.journal.data = { ...this.journal.data, cardOverlay: kept };
      await this.writeJournal();
    });
  }

  /** Write every remembered card into cards.json now (at shutdown). */
  flushCards(): Promise<void> {
    return this.flushCardsIfLarge(true);
  }

  /**
   * Step 1–2 of a PIN check (protocol/pin.ts): count the attempt and make the count
   * durable before the PIN is compared, so pulling the plug mid-check cannot buy extra
   * tries. Returns whether the check may go ahead.
   */
  beginPinAttempt(cardId: CardId, now: number, rules: PinRules): Promise<PinGate> {
    return this.writes.run(async () => {
      const gate = beforeCheck(this.journal.data.pinAttempts?.[cardId] ?? NO_PIN_ATTEMPTS, now, rules);
      await this.savePinAttempts(cardId, gate.next);
      return gate;
    });
  }

  /** Step 4: record the outcome (a correct PIN resets the count). */
  endPinAttempt(cardId: CardId, next: PinAttempts): Promise<void> {
    return this.writes.run(() => this.savePinAttempts(cardId, next));
  }

  /** The card's PIN retry counter (for the cashier's "tries left"). */
  pinAttemptsOf(cardId: CardId): PinAttempts {
    return this.journal.data.pinAttempts?.[cardId] ?? NO_PIN_ATTEMPTS;
  }

  private async savePinAttempts(cardId: CardId, next: PinAttempts): Promise<void> {
    const doc = this.journal.data;
    const attempts = { ...doc.pinAttempts };
    if (next.failures === 0 && next.lockedUntil === null) delete attempts[cardId];
    else attempts[cardId] = next;
    this.journal.data = { ...doc, pinAttempts: attempts };
    await this.writeOrRestore(doc);
  }

  card(cardId: CardId): CachedCard | undefined {
    return this.journal.data.cardOverlay?.[cardId] ?? this.cache.data.cards[cardId];
  }

  /** The card's balance as this terminal knows it: the cached snapshot, moved by every pending entry it does not include. */
  knownBalance(cardId: CardId): Minor | undefined {
    const card = this.card(cardId);
    if (!card) return undefined;
    let balance = card.balance;
    for (const e of this.journal.data.pending) {
      if (e.cardId === cardId && !includes(card, e)) balance += balanceDelta(e);
    }
    return balance;
  }

  /** Offline debits not yet acknowledged by the server, for one card or (no argument) the terminal. */
  offlineExposure(cardId?: CardId): Exposure {
    let minor = 0;
    let count = 0;
    for (const e of this.journal.data.pending) {
      if (e.mode !== "offline" || e.kind !== "sale") continue;
      if (cardId !== undefined && e.cardId !== cardId) continue;
      minor += e.net;
      count += 1;
    }
    return { minor, count };
  }

  pending(): readonly JournalEntry[] {
    return this.journal.data.pending;
  }

  lastContactAt(): number | null {
    return this.journal.data.lastContactAt;
  }

  /** Record a contact without forcing a write; it is persisted with the next commit or ack. */
  noteContact(at: number): void {
    this.journal.data.lastContactAt = at;
  }

  summary(): { nextSeq: number; ackedSeq: number; pending: number; lastContactAt: number | null } {
    const d = this.journal.data;
    return { nextSeq: d.nextSeq, ackedSeq: d.ackedSeq, pending: d.pending.length, lastContactAt: d.lastContactAt };
  }
}

function foldEntry(card: CachedCard, e: JournalEntry): CachedCard {
  return {
    ...card,
    balance: card.balance + balanceDelta(e),
    points: card.points + e.pointsEarned,
    includedThrough: Math.max(card.includedThrough, e.seq),
  };
}

function firstProblem(checks: (() => Integrity)[]): Integrity {
  for (const check of checks) {
    const result = check();
    if (!result.ok) return result;
  }
  return { ok: true };
}
