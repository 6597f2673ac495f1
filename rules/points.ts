/**
 * Points (积分): earned on what the member pays from stored value, redeemed as cash.
 *
 * Both round down (docs/architecture.md#the-domain): a member never earns a fraction of a point, and points
 * never pay more than the policy's share of the bill. Redemption is in whole points only.
 */
import { CardtermError } from "../protocol/errors.js";
import { type Minor, mulDivFloor } from "./money.js";
import type { PointsRedemptionRule, PointsRule } from "./policy.js";
import { fail, PASS, type RuleResult } from "./rule-result.js";

/** `birthday` and `today` as MM-DD; no birthday on file means no birthday bonus. */
export function isBirthday(birthday: string | undefined, today: string | undefined): boolean {
  return birthday !== undefined && today !== undefined && birthday === today;
}

/** Points earned on `paid` fen: floor(paid × points × multiplier / perMinor). */
export function earnPoints(paid: Minor, rule: PointsRule, birthday: boolean): number {
  const multiplier = birthday ? rule.birthdayMultiplier : 1;
  return mulDivFloor(paid, rule.points * multiplier, rule.perMinor);
}

/**
 * The most whole points that may pay towards `bill` fen (the bill after the member's
 * discount): floor(bill × maxShareBp / 10000 / minorPerPoint), so the points' value never
 * passes the share. 0 when the card type has no redemption rule.
 */
export function redemptionCap(bill: Minor, rule: PointsRedemptionRule | undefined): number {
  if (!rule) return 0;
  return mulDivFloor(bill, rule.maxShareBp, 10_000 * rule.minorPerPoint);
}

/** How many points a member holding `available` may redeem on `bill`: what a till shows as "最多可抵". */
export function maxRedeemablePoints(bill: Minor, rule: PointsRedemptionRule | undefined, available: number): number {
  assertPoints(available, "available points", { allowNegative: true });
  return Math.max(0, Math.min(available, redemptionCap(bill, rule)));
}

/**
 * Points actually redeemed when the member asks for `requested`: the request, cut to the
 * cap and to what the member holds. Never negative, never fractional. The cut is silent
 * here; a till that took an exact number from the cashier calls checkPointsAvailable
 * first, so that asking for more than the member holds is declined rather than shrunk.
 */
export function pointsToRedeem(
  bill: Minor,
  rule: PointsRedemptionRule | undefined,
  requested: number,
  available: number,
): number {
  assertPoints(requested, "points to redeem");
  return Math.min(requested, maxRedeemablePoints(bill, rule, available));
}

/** POINTS_INSUFFICIENT when the member asks to redeem more points than they hold. */
export function checkPointsAvailable(requested: number, available: number): RuleResult<"POINTS_INSUFFICIENT"> {
  assertPoints(requested, "points to redeem");
  assertPoints(available, "available points", { allowNegative: true });
  return requested > available ? fail("POINTS_INSUFFICIENT") : PASS;
}

/**
 * Points are whole numbers. A request for -5 or 2.5 points is a defect of the caller, not a
 * decline; a balance of points may be negative (a refund after the points were spent).
 */
function assertPoints(value: number, what: string, opts: { allowNegative?: boolean } = {}): void {
  if (!Number.isSafeInteger(value) || (!opts.allowNegative && value < 0)) {
    throw new CardtermError("CT_BAD_REQUEST", `${what} must be a whole number of points, got ${String(value)}`);
  }
}
