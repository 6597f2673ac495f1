/**
 * Pricing of a sale by the member's card type: the discount, the points redeemed and the
 * points earned. Shared by the agent (offline) and the server (online) so both price a
 * sale alike. The only rounding is money.ts's: the discount rounds half-up to the fen,
 * points round down.
 *
 *   gross ─ discount ─▶ bill ─ pointsValue ─▶ net (debited from stored value)
 *
 * Points are earned on `net` only: the part paid by redeemed points earns nothing, or
 * points would pay for themselves.
 */
import { assertMinor, type Minor, mulDivHalfUp } from "./money.js";
import { earnPoints, isBirthday, pointsToRedeem } from "./points.js";
import type { CardTypePolicy } from "./policy.js";

/** What every caller has always read; kept as it was so literals of it still compile. */
export interface SalePrice {
  /** The amount the POS asked for, before the member's discount. */
  gross: Minor;
  /** round-half-up(gross × (10000 − payRateBp) / 10000). */
  discount: Minor;
  /** What is debited from stored value: gross − discount − pointsValue. */
  net: Minor;
  /** Earned on `net`, ×birthdayMultiplier on the member's birthday, rounded down. */
  pointsEarned: number;
}

export interface PricedSale extends SalePrice {
  /** Whole points taken from the account to pay part of the bill; 0 unless asked. */
  pointsRedeemed: number;
  /** The fen those points pay: pointsRedeemed × minorPerPoint. */
  pointsValue: Minor;
}

export interface SaleOptions {
  /** The member's birthday and the business day's date, both MM-DD. */
  birthday?: string;
  today?: string;
  /** Points the member wants to pay with; cut to the policy's cap and to availablePoints. */
  redeemPoints?: number;
  /** Points the account holds (offline: cached points minus unsynced redemptions). Default 0. */
  availablePoints?: number;
}

/**
 * gross === discount + pointsValue + net, each ≥ 0. Throws CT_AMOUNT_INVALID for a bad
 * gross and CT_BAD_REQUEST for a negative or fractional points request.
 */
export function priceSale(gross: Minor, type: CardTypePolicy, opts: SaleOptions = {}): PricedSale {
  assertMinor(gross, "sale amount");
  const discount = discountOf(gross, type.payRateBp);
  const bill = gross - discount;
  const rule = type.pointsRedemption;
  const pointsRedeemed = pointsToRedeem(bill, rule, opts.redeemPoints ?? 0, opts.availablePoints ?? 0);
  const pointsValue = rule ? pointsRedeemed * rule.minorPerPoint : 0;
  const net = bill - pointsValue;
  const pointsEarned = earnPoints(net, type.points, isBirthday(opts.birthday, opts.today));
  return { gross, discount, net, pointsEarned, pointsRedeemed, pointsValue };
}

/** The member's discount on `gross`: the rational gross × (1 − rate), rounded half-up. */
export function discountOf(gross: Minor, payRateBp: number): Minor {
  return mulDivHalfUp(gross, 10_000 - payRateBp, 10_000);
}
