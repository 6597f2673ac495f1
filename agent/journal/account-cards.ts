/**
 * Which cached cards share an account (issue 13 defect 2). Stored value, points and count
 * packages belong to the account, so two cards on it — a member's IC and ID card, a
 * primary and its sub-cards — must see each other's unsynced entries at this till, and an
 * acknowledged entry must enter every one of their snapshots, not only its own card's:
 * otherwise the other card's snapshot would forget the spend once the entry leaves the
 * outbox.
 *
 * The index lives in memory only; it is rebuilt from the card cache at start-up.
 */
import type { CardId } from "../../protocol/card.js";
import type { JournalEntry } from "../../protocol/journal-entry.js";
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
