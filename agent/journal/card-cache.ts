/**
 * The till's card cache: what the server last said of each card, sealed with the terminal
 * key, and what this till's pending entries moved since (card-fold.ts).
 *
 * It is cards.json plus a small overlay inside journal.json: a card remembered or moved
 * goes into the overlay (written anyway on every ack and refresh), and the overlay is
 * flushed into cards.json in batches outside the write lock, so neither a commit nor an
 * ack rewrites the whole cache. The figures the offline rules need are derived from the
 * pending entries, never kept as separate counters that could drift.
 */
import { Low } from "lowdb";
import type { JournalEntry } from "../../protocol/journal-entry.js";
import type { CardId, CardSnapshot } from "../../rules/card.js";
import type { Minor } from "../../rules/money.js";
import type { DurableFs } from "../store/durable-file.js";
import { DurableJsonAdapter } from "../store/durable-json-adapter.js";
import { AccountCards, cardToCache, foldAcknowledged, freshestOf, onlineEntryBetween } from "./account-cards.js";
import { cardCacheBytes } from "./cached-json.js";
import { knownBalanceOf } from "./card-fold.js";
import type { CachedCard, CardCacheDoc } from "./journal-state.js";
import type { LedgerState } from "./ledger-state.js";
import { sealCard } from "./seals.js";

/** Cards in the overlay that make it worth one write of cards.json. */
const OVERLAY_FLUSH_AT = 256;

/** What the server's reply says it had seen of this till's entries (account-cards.ts, cardToCache). */
export interface SeenBy {
  appliedSeq: number;
  onlineThrough: number;
  ackedAtAsk?: number | undefined;
}

export class CardCache {
  private readonly file: Low<CardCacheDoc>;
  /** Cached cards by account, built from the cache on first use (account-cards.ts). */
  private index: AccountCards | undefined;
  /** The newest entry of each account acknowledged since start-up (see remember). */
  private readonly ackedOnAccount = new Map<string, number>();
  private flushing: Promise<void> | undefined;

  constructor(
    private readonly state: LedgerState,
    private readonly key: Buffer,
    dataDir: string,
    fs: DurableFs,
  ) {
    this.file = new Low(new DurableJsonAdapter<CardCacheDoc>(`${dataDir}/cards.json`, fs, cardCacheBytes), {
      format: 1,
      cards: {},
    });
  }

  /** Read cards.json (at start-up). */
  read(): Promise<void> {
    return this.file.read();
  }

  /** The cards as cards.json holds them, to verify their seals at start-up. */
  stored(): CachedCard[] {
    return Object.values(this.file.data.cards);
  }

  card(cardId: CardId): CachedCard | undefined {
    return this.state.doc.cardOverlay[cardId] ?? this.file.data.cards[cardId];
  }

  /** The account a cached card is on. */
  accountOf(cardId: CardId): string | undefined {
    return this.card(cardId)?.accountId;
  }

  /** The cached cards on the account of `cardId` (itself included; none when it is not cached). */
  cardsOnAccountOf(cardId: CardId): CachedCard[] {
    const account = this.accountOf(cardId);
    if (account === undefined) return [];
    return this.accounts()
      .cardsOf(account)
      .map((id) => this.card(id))
      .filter((c): c is CachedCard => c !== undefined && c.accountId === account);
  }

  /**
   * The snapshot of the card's account to judge stored value, points and uses by: the
   * freshest of its cards' (account-cards.ts). Undefined when the card is not cached.
   */
  accountSnapshot(cardId: CardId): CachedCard | undefined {
    return freshestOf(this.cardsOnAccountOf(cardId));
  }

  /** The balance of the card's account as this terminal knows it, from every card on it (card-fold.ts). */
  knownBalance(cardId: CardId, snapshot = this.accountSnapshot(cardId)): Minor | undefined {
    if (!snapshot) return undefined;
    return knownBalanceOf(snapshot, this.state.doc.pending, (id) => this.accountOf(id) === snapshot.accountId);
  }

  /**
   * The acknowledged entries folded into every card of their account (the other cards'
   * snapshots lack them too); returns the overlay's new cards. Notes each account's newest
   * acknowledged entry, which a late reply's snapshot may lack (see remember).
   */
  foldAcknowledged(done: readonly JournalEntry[]): Record<string, CachedCard> {
    const folded = foldAcknowledged(
      done,
      (id) => this.card(id),
      this.accounts(),
      (c) => sealCard(c, this.key),
    );
    for (const e of done) {
      const account = this.accountOf(e.cardId);
      if (account !== undefined) this.ackedOnAccount.set(account, e.seq);
    }
    return folded;
  }

  /**
   * Remember what the server just said about a card. `appliedSeq` is the server's word on
   * which of our entries it had applied; `onlineThrough` the newest online entry it had
   * authorised (online approvals are applied at once).
   */
  async remember(snapshot: CardSnapshot, seen: SeenBy, at: number): Promise<void> {
    await this.state.locked(async () => {
      const acked = this.ackedOnAccount.get(snapshot.accountId) ?? 0;
      const next = cardToCache(this.card(snapshot.cardId), snapshot, seen, at, acked);
      if (!next) return;
      const card = sealCard(next, this.key);
      const doc = this.state.doc;
      this.state.doc = { ...doc, cardOverlay: { ...doc.cardOverlay, [snapshot.cardId]: card } };
      await this.state.writeHeadOrRestore(doc);
      this.index?.add(snapshot);
    });
    void this.flushIfLarge();
  }

  /**
   * Remember the card an online approval returned, once its entry (#`committedSeq`) is
   * journaled. The reply's balance includes that entry and every online entry authorised
   * before it — unless another online entry of the account was journaled between the ask
   * and this commit (a till operation, a card new to the till): then the snapshot cannot
   * say whether it holds that one, and claims only what it surely holds (what was journaled
   * before the ask). The entry then counts twice until the next snapshot: less known, never more.
   */
  rememberApproved(snapshot: CardSnapshot, seen: SeenBy, committedSeq: number, at: number): Promise<void> {
    const journal = { pending: () => this.state.doc.pending, accountOf: (id: CardId) => this.accountOf(id) };
    const raced = onlineEntryBetween(journal, snapshot.accountId, seen.onlineThrough, committedSeq);
    return this.remember(snapshot, raced ? seen : { ...seen, onlineThrough: committedSeq }, at);
  }

  /** Which cached cards share which account; the first call reads the whole card cache once. */
  private accounts(): AccountCards {
    if (!this.index) {
      const index = new AccountCards();
      for (const c of Object.values(this.file.data.cards)) index.add(c);
      for (const c of Object.values(this.state.doc.cardOverlay)) index.add(c);
      this.index = index;
    }
    return this.index;
  }

  /**
   * Move the overlay into cards.json once it is large (or now, with `force`). The big file
   * is written outside the write lock, so sales keep committing meanwhile; then, under the
   * lock, the journal drops the flushed cards that have not changed since. A crash in
   * between leaves a card in both places (the overlay wins, same value), never in neither.
   */
  flushIfLarge(force = false): Promise<void> {
    if (this.flushing) return force ? this.flushing.then(() => this.flushIfLarge(true)) : this.flushing;
    const overlay = { ...this.state.doc.cardOverlay };
    const size = Object.keys(overlay).length;
    if (size === 0 || (!force && size < OVERLAY_FLUSH_AT)) return Promise.resolve();
    this.flushing = this.flushNow(overlay).finally(() => {
      this.flushing = undefined;
    });
    if (!force) this.flushing.catch(() => undefined); // retried at the next flush; the overlay still holds the cards
    return this.flushing;
  }

  /** Resolves once a flush in progress has ended, however it ended (at shutdown). */
  async idle(): Promise<void> {
    await this.flushing?.catch(() => undefined);
  }

  private async flushNow(overlay: Record<string, CachedCard>): Promise<void> {
    // In place: the overlay takes precedence in card(), so a failed write leaves no wrong answer.
    Object.assign(this.file.data.cards, overlay);
    await this.file.write();
    await this.state.locked(async () => {
      const before = this.state.doc;
      const kept = Object.fromEntries(Object.entries(before.cardOverlay).filter(([id, card]) => overlay[id] !== card));
      this.state.doc = { ...before, cardOverlay: kept };
      await this.state.writeHeadOrRestore(before);
    });
  }
}
