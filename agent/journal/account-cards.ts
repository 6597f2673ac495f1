/**
 * Which cached cards share an account (docs/architecture.md#the-offline-rules). Stored value,
 * points and count packages belong to the account, so two cards on it — a member's IC and ID
 * card, a primary and its sub-cards — must see each other's unsynced entries at this till, and
 * an acknowledged entry must enter every one of their snapshots, not only its own card's:
 * otherwise the other card's snapshot would forget the spend once the entry leaves the outbox.
 *
 * The index lives in memory only; it is rebuilt from the card cache at start-up.
 */

import type { JournalEntry } from "../../protocol/journal-entry.js";
import type { CardId, CardSnapshot } from "../../rules/card.js";
import { foldEntry } from "./card-fold.js";
import { type CachedCard, includes } from "./journal-state.js";

export class AccountCards {
  private readonly cards = new Map<string, Set<CardId>>();
  private readonly accountOfCard = new Map<CardId, string>();

  /** Note (or move) a card under its account. */
  add(card: { cardId: CardId; accountId: string }): void {
    const before = this.accountOfCard.get(card.cardId);
    if (before === card.accountId) return;
    if (before !== undefined) this.cards.get(before)?.delete(card.cardId);
    this.accountOfCard.set(card.cardId, card.accountId);
    let set = this.cards.get(card.accountId);
    if (!set) {
      set = new Set();
      this.cards.set(card.accountId, set);
    }
    set.add(card.cardId);
  }

  accountOf(cardId: CardId): string | undefined {
    return this.accountOfCard.get(cardId);
  }

  /** Every cached card on `accountId` (the card itself included). */
  cardsOf(accountId: string): readonly CardId[] {
    return [...(this.cards.get(accountId) ?? [])];
  }
}

/**
 * The account's snapshot to judge by: the most recently refreshed of its cards'. Each one,
 * moved by the pending entries it does not include, is a true account of this till's own
 * spending (card-fold.ts); the newest also knows the most of what happened elsewhere. At
 * the same moment, the one that holds more of this till's entries.
 */
export function freshestOf(cards: readonly CachedCard[]): CachedCard | undefined {
  let best: CachedCard | undefined;
  for (const c of cards) if (!best || fresher(c, best)) best = c;
  return best;
}

function fresher(a: CachedCard, b: CachedCard): boolean {
  if (a.refreshedAt !== b.refreshedAt) return a.refreshedAt > b.refreshedAt;
  if (a.onlineThrough !== b.onlineThrough) return a.onlineThrough > b.onlineThrough;
  return a.includedThrough > b.includedThrough;
}

/**
 * What to cache of a snapshot the server just gave (TerminalLedger.rememberCard), or
 * undefined to keep the cached card as it is. `seen.appliedSeq` is the server's word on
 * which of this till's entries it had applied, `seen.onlineThrough` the newest online entry
 * it had authorised, `seen.ackedAtAsk` where the till's acknowledged point stood when it
 * asked; `lastAcked` the newest entry of the account acknowledged since start-up.
 *
 * An entry of the account may have left the outbox after the server took the snapshot:
 * the snapshot may lack it, and nothing pending would say so. The account's cards already
 * cached hold it (folded at the ack), so this card keeps its money figures and takes the
 * rest (status, type, limits, PIN); a card new to the till is cached as the oldest of its
 * account's, so that its entries count on the account while its siblings' snapshots judge
 * the money until the next snapshot.
 */
export function cardToCache(
  current: CachedCard | undefined,
  snapshot: CardSnapshot,
  seen: { appliedSeq: number; onlineThrough: number; ackedAtAsk?: number | undefined },
  at: number,
  lastAcked: number,
): Omit<CachedCard, "mac"> | undefined {
  if (current && current.onlineThrough > seen.onlineThrough) return undefined; // an older reply
  const stale = lastAcked > Math.max(seen.appliedSeq, seen.ackedAtAsk ?? 0);
  if (stale && current) return withMoneyOf(current, snapshot);
  const includedThrough = Math.max(seen.appliedSeq, current?.includedThrough ?? 0);
  return { ...snapshot, includedThrough, onlineThrough: seen.onlineThrough, refreshedAt: stale ? 0 : at };
}

/** The snapshot's card facts with the cached card's money, points, uses, day spending and inclusion. */
function withMoneyOf(current: CachedCard, snapshot: CardSnapshot): Omit<CachedCard, "mac"> {
  const { mac: _mac, ...kept } = current;
  const { balance, points, packages, includedThrough, onlineThrough, refreshedAt } = kept;
  const { packages: _p, subCard, ...facts } = snapshot;
  // No undefined keys: the card's MAC is over its JSON, and JSON drops them.
  const { spentDay: _d, spentToday: _s, ...limits } = subCard ?? { primaryCardId: "" };
  const day = current.subCard?.spentDay;
  const today = current.subCard?.spentToday;
  const spent = {
    ...(day !== undefined ? { spentDay: day } : {}),
    ...(today !== undefined ? { spentToday: today } : {}),
  };
  return {
    ...facts,
    balance,
    points,
    ...(packages ? { packages } : {}),
    ...(subCard ? { subCard: { ...(limits as typeof subCard), ...spent } } : {}),
    includedThrough,
    onlineThrough,
    refreshedAt,
  };
}

/**
 * Fold acknowledged entries into the snapshot of every card on their account, in sequence
 * order; returns the cards changed, sealed by `seal`. An entry a snapshot already includes
 * is left out of it, as for its own card.
 */
export function foldAcknowledged(
  done: readonly JournalEntry[],
  lookUp: (cardId: CardId) => CachedCard | undefined,
  index: AccountCards,
  seal: (card: CachedCard) => CachedCard,
): Record<string, CachedCard> {
  const changed: Record<string, CachedCard> = {};
  const current = (id: CardId) => changed[id] ?? lookUp(id);
  for (const e of done) {
    const account = index.accountOf(e.cardId);
    const ids = account === undefined ? [e.cardId] : index.cardsOf(account);
    for (const id of ids) {
      const card = current(id);
      if (card && !includes(card, e)) changed[id] = foldEntry(card, e);
    }
  }
  // One MAC per card changed, however many of its entries were folded.
  return Object.fromEntries(Object.entries(changed).map(([id, card]) => [id, seal(card)]));
}

/**
 * Whether an online entry on `accountId` — or on a card the till cannot place yet, which
 * may be on it — lies after `askedThrough` and before `seq`: a snapshot the server gave
 * for an ask made at `askedThrough` cannot say whether it holds that entry. One that has
 * already left the outbox is cardToCache's to catch.
 */
export function onlineEntryBetween(
  ledger: { pending(): readonly JournalEntry[]; accountOf(cardId: CardId): string | undefined },
  accountId: string,
  askedThrough: number,
  seq: number,
): boolean {
  return ledger
    .pending()
    .some(
      (e) =>
        e.seq > askedThrough &&
        e.seq < seq &&
        e.mode === "online" &&
        (ledger.accountOf(e.cardId) ?? accountId) === accountId,
    );
}
