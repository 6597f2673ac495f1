/**
 * How journal entries move a cached card (pure). The ledger answers "what does this till
 * know of card C" from C's last snapshot plus the entries still in its outbox that the
 * snapshot does not include (journal-state.ts, `includes`); an acknowledged entry is
 * folded into the snapshot itself as it leaves the outbox.
 */
import type { CardId } from "../../protocol/card.js";
import { takeUses } from "../../protocol/count-card.js";
import { balanceDelta, type JournalEntry, pointsDelta, usesDelta } from "../../protocol/journal-entry.js";
import type { Minor } from "../../protocol/money.js";
import { type CachedCard, includes } from "./journal-state.js";

export interface Exposure {
  minor: Minor;
  count: number;
}

/** The card's balance as this terminal knows it: the snapshot, moved by every pending entry it does not include. */
export function knownBalanceOf(card: CachedCard, pending: readonly JournalEntry[]): Minor {
  let balance = card.balance;
  for (const e of pending) {
    if (e.cardId === card.cardId && !includes(card, e)) balance += balanceDelta(e);
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

/** The snapshot once the server has applied `e`: its money, points, count uses and a sub-card's day spending. */
export function foldEntry(card: CachedCard, e: JournalEntry): CachedCard {
  // Uses and a sub-card's day spending fold in too: once the entry leaves the outbox, the
  // snapshot is all that remembers them (agent/sale/unsynced-spend.ts reads both).
  const uses = usesDelta(e); // a sale's use −, a refund's or void's given back +
  const sub = card.subCard;
  const spent = sub?.spentDay === e.businessDay && e.kind === "sale" ? e.net : 0;
  return {
    ...card,
    balance: card.balance + balanceDelta(e),
    points: card.points + pointsDelta(e),
    ...(uses && card.packages ? { packages: takeUses(card.packages, uses.packageId, -uses.delta) } : {}),
    ...(sub && spent > 0 ? { subCard: { ...sub, spentToday: (sub.spentToday ?? 0) + spent } } : {}),
    includedThrough: Math.max(card.includedThrough, e.seq),
  };
}
