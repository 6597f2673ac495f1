/**
 * The card rules of a sale beyond the stored-value balance, as one pure function shared by
 * the server (online: on the ledger's figures) and the till (offline: on the cached
 * snapshot minus what its unsynced entries already took: offline rule 8) — so both
 * price a sale alike and decline it for the same reasons:
 *
 *   1. points redemption (积分抵扣): the card type must allow it, and the member must hold
 *      the points asked for — a request beyond what is known is declined, never shrunk;
 *      the policy's share cap then cuts it silently (pricing.ts is the one rule);
 *   2. the count-card use (次卡核销): the account's package, not expired, enough uses;
 *   3. a sub-card's own limits, on the stored value the sale takes (sub-card.ts).
 *
 * The balance (and offline, the limits: docs/architecture.md#the-offline-rules) and the PIN
 * are checked by the caller: the balance with its own unsynced figures, the PIN with a
 * durable counter.
 */
import type { CardSnapshot } from "./card.js";
import { type CountDeclineCode, type CountPackage, checkCountUse } from "./count-card.js";
import { checkPointsAvailable } from "./points.js";
import type { CardTypePolicy } from "./policy.js";
import { type PricedSale, priceSale } from "./pricing.js";
import { fail, PASS, type RuleResult } from "./rule-result.js";
import { checkSubCardLimit, type SubCardDeclineCode } from "./sub-card.js";

export interface CountUseAsk {
  packageId: string;
  uses: number;
}

/** What the cashier asked for. */
export interface SaleAsk {
  gross: number;
  redeemPoints?: number | undefined;
  countUse?: CountUseAsk | undefined;
  /** YYYY-MM-DD at the till: birthdays, package expiry and the sub-card's day. */
  businessDay: string;
}

/** What is known of the card, net of what is already spent but not yet in `card`. */
export interface SaleCardFacts {
  card: CardSnapshot;
  type: CardTypePolicy;
  /** Points the sale may redeem: the ledger's (online) or the cached ones minus unsynced redemptions. */
  availablePoints: number;
  /** The package asked for, with the uses known to be left; undefined when the account has no such package. */
  pkg: CountPackage | undefined;
  /** The sub-card's stored-value sales on this business day so far (0 for a primary card). */
  spentToday: number;
}

export type SaleRuleCode = "POINTS_NOT_REDEEMABLE" | "POINTS_INSUFFICIENT" | CountDeclineCode | SubCardDeclineCode;

export type SaleJudgement = { ok: true; price: PricedSale } | { ok: false; code: SaleRuleCode };

export function judgeSaleRules(ask: SaleAsk, f: SaleCardFacts): SaleJudgement {
  const points = checkRedemption(f.type, ask.redeemPoints ?? 0, f.availablePoints);
  if (!points.ok) return points;
  const price = priceSale(ask.gross, f.type, {
    birthday: f.card.birthday,
    today: ask.businessDay.slice(5),
    redeemPoints: ask.redeemPoints ?? 0,
    availablePoints: Math.max(0, f.availablePoints),
  });
  if (ask.countUse) {
    const use = checkCountUse(f.pkg, ask.countUse.uses, ask.businessDay);
    if (!use.ok) return use;
  }
  const sub = f.card.subCard;
  if (sub) {
    const limit = checkSubCardLimit({ ...sub, spentToday: f.spentToday }, price.net);
    if (!limit.ok) return limit;
  }
  return { ok: true, price };
}

/** Points asked for must be redeemable on the card type and held by the member. */
export function checkRedemption(
  type: CardTypePolicy,
  requested: number,
  available: number,
): RuleResult<"POINTS_NOT_REDEEMABLE" | "POINTS_INSUFFICIENT"> {
  if (requested === 0) return PASS; // nothing asked: a negative balance of points is no reason to decline
  if (!type.pointsRedemption) return fail("POINTS_NOT_REDEEMABLE");
  return checkPointsAvailable(requested, available);
}

/** The account's package `packageId` in a snapshot, if it holds one. */
export function packageOf(card: CardSnapshot, packageId: string): CountPackage | undefined {
  return card.packages?.find((p) => p.packageId === packageId);
}
