/**
 * How journal entries move a cached card (pure). The ledger answers "what does this till
 * know of card C" from C's last snapshot plus the entries still in its outbox that the
 * snapshot does not include (journal-state.ts, `includes`); an acknowledged entry is
 * folded into the snapshot itself as it leaves the outbox.
 */

import { balanceDelta, type JournalEntry, pointsDelta, usesDelta } from "../../protocol/journal-entry.js";
import type { CardId } from "../../rules/card.js";
import { takeUses } from "../../rules/count-card.js";
import type { Minor } from "../../rules/money.js";
import { type CachedCard, includes } from "./journal-state.js";

export interface Exposure {
  minor: Minor;
  count: number;
}

/**
 * The account's balance as this terminal knows it: a snapshot of it (any of its cards'),
 * moved by every pending entry on the account's cards that the snapshot does not include.
 * `onAccount` says whether an entry's card is on that account (two cards on one
 * account spend one balance).
 */
export function knownBalanceOf(
  snapshot: CachedCard,
  pending: readonly JournalEntry[],
  onAccount: (cardId: CardId) => boolean = (id) => id === snapshot.cardId,
): Minor {
  let balance = snapshot.balance;
  for (const e of pending) {
    if (onAccount(e.cardId) && !includes(snapshot, e)) balance += balanceDelta(e);
  }
  return balance;
}

/** Offline sales not yet acknowledged by the server, for one card or (no card) the terminal. */
export function offlineExposureOf(pending: readonly JournalEntry[], cardId?: CardId): Exposure {
  let minor = 0;
  let count = 0;
  for (const e of pending) {
    if (e.mode !== "offline" || e.kind !== "sale") continue;
    if (cardId !== undefined && e.cardId !== cardId) continue;
    minor += e.net;
    count += 1;
  }
  return { minor, count };
}

/**
 * The snapshot once the server has applied `e` — an entry on this card or on another card
 * of its account: the account's money, points and count uses, and a sub-card's day
 * spending when `e` is the sub-card's own.
 */
export function foldEntry(card: CachedCard, e: JournalEntry): CachedCard {
  // Uses and a sub-card's day spending fold in too: once the entry leaves the outbox, the
  // snapshot is all that remembers them (agent/sale/unsynced-spend.ts reads both).
  const uses = usesDelta(e); // a sale's use −, a refund's or void's given back +
  const sub = card.subCard;
  const own = e.cardId === card.cardId;
  const spent = own && sub?.spentDay === e.businessDay && e.kind === "sale" ? e.net : 0;
  return {
    ...card,
    balance: card.balance + balanceDelta(e),
    points: card.points + pointsDelta(e),
    ...(uses && card.packages ? { packages: takeUses(card.packages, uses.packageId, -uses.delta) } : {}),
    ...(sub && spent > 0 ? { subCard: { ...sub, spentToday: (sub.spentToday ?? 0) + spent } } : {}),
    includedThrough: Math.max(card.includedThrough, e.seq),
  };
}
