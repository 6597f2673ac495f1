/**
 * What this till's pending journal entries have already taken from a card's account
 * beyond its cached snapshot: points redeemed, count-package uses, and a sub-card's
 * spending today. Derived from `pending()` every time, never kept as counters that could
 * drift (the same discipline as TerminalLedger.knownBalance).
 *
 * Offline rule 8 (docs/architecture.md#the-offline-rules) for points and uses: the till may
 * spend only what its cached snapshot says exists, minus what its own unsynced entries spent
 * since. Points earned by unsynced sales are not counted as available — the server has not
 * granted them yet.
 *
 * Points and packages belong to the account, so entries on any of its cards (a primary
 * and its sub-cards, a member's IC and ID card) count against the account's snapshot; the
 * day's spending is the card's own, against its own snapshot. An entry is left out when
 * the snapshot it is counted against already includes it.
 */

import { countUseOf, type JournalEntry } from "../../protocol/journal-entry.js";
import { MAX_UNSYNCED_OTHERS } from "../../protocol/messages.js";
import type { CardId } from "../../rules/card.js";
import type { Minor } from "../../rules/money.js";
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
 * `account` is the account's snapshot the points and uses are judged by (the ledger's
 * `accountSnapshot`, maybe another card's), `card` the card's own. `accountOf` names the
 * account of another card (from the card cache); entries on cards the till does not know
 * cannot be on this account as far as it can tell.
 */
export function unsyncedSpend(
  account: CachedCard,
  card: CachedCard,
  pending: readonly JournalEntry[],
  accountOf: (cardId: CardId) => string | undefined,
  day: string,
): UnsyncedSpend {
  let points = 0;
  let spentOnDay = 0;
  const uses = new Map<string, number>();
  for (const e of pending) {
    const own = e.cardId === card.cardId;
    if (own && e.kind === "sale" && e.businessDay === day && !includes(card, e)) spentOnDay += e.net;
    if (includes(account, e) || (!own && accountOf(e.cardId) !== account.accountId)) continue;
    // Points leave with a sale's redemption and with earned points a refund or void takes
    // back; points a refund or void gives back are not counted until the server has them.
    points += (e.kind === "sale" ? (e.pointsRedeemed ?? 0) : 0) + Math.max(0, -e.pointsEarned);
    const use = countUseOf(e);
    if (use) uses.set(use.packageId, (uses.get(use.packageId) ?? 0) + use.uses);
  }
  return { points, uses, spentOnDay };
}

export interface UnsyncedOffline {
  /** Stored value the account's offline sales took, on any of its cards the till knows are on it. */
  minor: Minor;
  /** The card's own offline sales on `day` (a sub-card's daily limit at the server). */
  cardMinor: Minor;
  points: number;
  uses: number;
  /**
   * Offline sales on cards that may be on the account for all the till knows: cards it
   * does not know the account of — every other card when the asked one is new to it. The
   * server, which knows every card's account, counts those that are.
   */
  others: { cardId: CardId; minor: Minor; points: number }[];
}

/**
 * For an online request: what this till's offline entries not yet acknowledged took from
 * the account. The server already holds every online one, so only offline entries count.
 * Uses are counted by package: a package id names one account's package at head office.
 */
export function unsyncedOffline(
  card: { cardId: CardId; accountId: string | undefined },
  pending: readonly JournalEntry[],
  accountOf: (cardId: CardId) => string | undefined,
  opts: { packageId: string | undefined; day: string },
): UnsyncedOffline {
  const out = { minor: 0, cardMinor: 0, points: 0, uses: 0 };
  const others = new Map<CardId, { cardId: CardId; minor: Minor; points: number }>();
  for (const e of pending) {
    if (e.mode !== "offline") continue;
    const use = countUseOf(e);
    if (use && use.packageId === opts.packageId) out.uses += use.uses;
    const own = e.cardId === card.cardId;
    const account = own ? card.accountId : accountOf(e.cardId);
    const minor = e.kind === "sale" ? e.net : 0;
    const points = e.pointsRedeemed ?? 0;
    if (own || (account !== undefined && account === card.accountId)) {
      out.minor += minor;
      out.points += points;
      if (own && e.kind === "sale" && e.businessDay === opts.day) out.cardMinor += e.net;
    } else if (account === undefined || card.accountId === undefined) {
      const o = others.get(e.cardId) ?? { cardId: e.cardId, minor: 0, points: 0 };
      others.set(e.cardId, { ...o, minor: o.minor + minor, points: o.points + points });
    }
  }
  // Beyond what one request may carry, the smallest are counted as this account's: the
  // server then keeps more free than it need, never less.
  const sorted = [...others.values()].sort((a, b) => b.minor - a.minor);
  for (const o of sorted.slice(MAX_UNSYNCED_OTHERS)) {
    out.minor += o.minor;
    out.points += o.points;
  }
  return { ...out, others: sorted.slice(0, MAX_UNSYNCED_OTHERS) };
}

/** The sub-card's spending on `day` as the snapshot had it (0 when it was for another day or none). */
export function snapshotSpent(card: CachedCard, day: string): Minor {
  const sub = card.subCard;
  return sub?.spentDay === day ? (sub.spentToday ?? 0) : 0;
}
