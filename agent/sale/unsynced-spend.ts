/**
 * What this till's pending journal entries have already taken from a card's account
 * beyond its cached snapshot: points redeemed, count-package uses, and a sub-card's
 * spending today. Derived from `pending()` every time, never kept as counters that could
 * drift (the same discipline as TerminalLedger.knownBalance).
 *
 * DESIGN §4 rule 8 for points and uses: the till may spend only what its cached snapshot
 * says exists, minus what its own unsynced entries spent since. Points earned by unsynced
 * sales are not counted as available — the server has not granted them yet.
 *
 * Points and packages belong to the account, so entries on any of its cards (a primary
 * and its sub-cards) count; an entry is left out when the snapshot already includes it.
 */
import type { CardId } from "../../protocol/card.js";
import { countUseOf, type JournalEntry } from "../../protocol/journal-entry.js";
import type { Minor } from "../../protocol/money.js";
import { type CachedCard, includes } from "../journal/journal-state.js";

export interface UnsyncedSpend {
  /** Points taken off the account: redeemed, or taken back by a refund or void. */
  points: number;
  /** Uses taken off each count package. */
  uses: ReadonlyMap<string, number>;
  /** Stored value this card's sales took on `day` (for a sub-card's daily limit). */
  spentOnDay: Minor;
}

export const NOTHING_UNSYNCED: UnsyncedSpend = { points: 0, uses: new Map(), spentOnDay: 0 };

/**
 * `accountOf` names the account of another card (from the card cache); entries on cards
 * the till does not know cannot be on this account as far as it can tell.
 */
export function unsyncedSpend(
  card: CachedCard,
  pending: readonly JournalEntry[],
  accountOf: (cardId: CardId) => string | undefined,
  day: string,
): UnsyncedSpend {
  let points = 0;
  let spentOnDay = 0;
  const uses = new Map<string, number>();
  for (const e of pending) {
    if (includes(card, e)) continue;
    const own = e.cardId === card.cardId;
    if (!own && accountOf(e.cardId) !== card.accountId) continue;
    // Points leave with a sale's redemption and with earned points a refund or void takes
    // back; points a refund or void gives back are not counted until the server has them.
    points += (e.kind === "sale" ? (e.pointsRedeemed ?? 0) : 0) + Math.max(0, -e.pointsEarned);
    const use = countUseOf(e);
    if (use) uses.set(use.packageId, (uses.get(use.packageId) ?? 0) + use.uses);
    if (own && e.kind === "sale" && e.businessDay === day) spentOnDay += e.net;
  }
  return { points, uses, spentOnDay };
}

/**
 * For an online request: what this till's offline entries not yet acknowledged took from
 * the account. The server already holds every online one, so only offline entries count.
 */
export function unsyncedOffline(
  accountId: string,
  pending: readonly JournalEntry[],
  accountOf: (cardId: CardId) => string | undefined,
  packageId: string | undefined,
): { points: number; uses: number } {
  let points = 0;
  let uses = 0;
  for (const e of pending) {
    if (e.mode !== "offline" || accountOf(e.cardId) !== accountId) continue;
    points += e.pointsRedeemed ?? 0;
    const use = countUseOf(e);
    if (use && use.packageId === packageId) uses += use.uses;
  }
  return { points, uses };
}

/** The sub-card's spending on `day` as the snapshot had it (0 when it was for another day or none). */
export function snapshotSpent(card: CachedCard, day: string): Minor {
  const sub = card.subCard;
  return sub?.spentDay === day ? (sub.spentToday ?? 0) : 0;
}
