/**
 * Top-up bonus tiers (充值赠送): 充 1000 送 100, 充 5000 送 5000 积分.
 *
 * The highest tier the amount reaches wins, alone: tiers never stack, so topping up 5000
 * under the demo policy gives 5000 points and not also the 1000 tier's 100 yuan. That is
 * how such promotions are printed on a shop's poster, and it keeps one top-up one tier on
 * the receipt. A chain that wants a bigger top-up never to earn less writes each tier's
 * gift to include the lower ones; topUpTierProblems() points out the tiers that do not.
 */
import { assertMinor, formatMoney, type Minor } from "./money.js";
import type { CardTypePolicy, TopUpBonusTier } from "./policy.js";

export interface TopUpPrice {
  /** Stored value paid in by the member. */
  amount: Minor;
  /** Stored value added on top, free. */
  bonusMinor: Minor;
  bonusPoints: number;
  /** The tier applied, or null when the amount reaches none. */
  tier: TopUpBonusTier | null;
}

export function priceTopUp(amount: Minor, type: CardTypePolicy): TopUpPrice {
  assertMinor(amount, "top-up amount");
  const tier = tierFor(amount, type.topUpBonus);
  return { amount, bonusMinor: tier?.bonusMinor ?? 0, bonusPoints: tier?.bonusPoints ?? 0, tier };
}

/** The tier with the highest `minMinor` ≤ amount; on equal thresholds the first listed. Order of the list does not matter. */
export function tierFor(amount: Minor, tiers: readonly TopUpBonusTier[]): TopUpBonusTier | null {
  let best: TopUpBonusTier | null = null;
  for (const tier of tiers) {
    if (tier.minMinor <= amount && (best === null || tier.minMinor > best.minMinor)) best = tier;
  }
  return best;
}

/**
 * Where a bigger top-up would get less (money or points) than a smaller one, or two tiers
 * share a threshold: worth a warning in the back office, not a refusal (the chain may mean it).
 */
export function topUpTierProblems(tiers: readonly TopUpBonusTier[]): string[] {
  const sorted = [...tiers].sort((a, b) => a.minMinor - b.minMinor);
  const problems: string[] = [];
  for (let i = 1; i < sorted.length; i++) {
    const lo = sorted[i - 1]!;
    const hi = sorted[i]!;
    const at = `top-up of ${formatMoney(hi.minMinor)}`;
    if (hi.minMinor === lo.minMinor)
      problems.push(`two tiers start at ${formatMoney(hi.minMinor)}; the first listed wins`);
    else if (hi.bonusMinor < lo.bonusMinor) {
      problems.push(`a ${at} gets less bonus money than one of ${formatMoney(lo.minMinor)}`);
    }
    if (hi.minMinor !== lo.minMinor && hi.bonusPoints < lo.bonusPoints) {
      problems.push(`a ${at} gets fewer bonus points than one of ${formatMoney(lo.minMinor)}`);
    }
  }
  return problems;
}
