/**
 * Pricing of a sale by the member's card type: the discount and the points earned.
 * Shared by the agent (offline) and the server (online) so both price a sale alike.
 */
import { assertMinor, type Minor, mulDivFloor, mulDivHalfUp } from "./money.js";
import type { CardTypePolicy } from "./policy.js";

export interface SalePrice {
  /** The amount the POS asked for, before the member's discount. */
  gross: Minor;
  discount: Minor;
  /** What is debited from stored value: gross − discount. */
  net: Minor;
  pointsEarned: number;
}

/** `today` and `birthday` as MM-DD; the caller decides the business day's date. */
export function priceSale(
  gross: Minor,
  type: CardTypePolicy,
  opts: { birthday?: string; today?: string } = {},
): SalePrice {
  assertMinor(gross, "sale amount");
  const net = mulDivHalfUp(gross, type.payRateBp, 10_000);
  const isBirthday = opts.birthday !== undefined && opts.birthday === opts.today;
  const multiplier = isBirthday ? type.points.birthdayMultiplier : 1;
  const pointsEarned = mulDivFloor(net, type.points.points * multiplier, type.points.perMinor);
  return { gross, discount: gross - net, net, pointsEarned };
}
