/**
 * Sub-cards (附属卡/子卡) share their primary card's account balance, optionally with
 * their own spending limits — e.g. a child's card capped at 50 yuan a day.
 *
 * The amount checked is what the sale takes from stored value (PricedSale.net): the
 * limits protect the shared balance. Points redeemed do not count against them.
 */
import type { Minor } from "./money.js";
import { fail, PASS, type RuleResult } from "./rule-result.js";

export interface SubCardSpending {
  /** Largest single debit; absent or null = no limit. */
  perTxnLimit?: Minor | null;
  /** Largest total of debits in one business day; absent or null = no limit. */
  dailyLimit?: Minor | null;
  /**
   * This sub-card's debits so far in the business day. Offline the till knows only its own
   * and what the server last told it, so a daily limit offline is as good as that figure.
   */
  spentToday: Minor;
}

export type SubCardDeclineCode = "SUB_CARD_LIMIT_TXN" | "SUB_CARD_LIMIT_DAY";

/** Per-transaction limit first (the clearer reason for the cashier), then the day's. Limits are inclusive. */
export function checkSubCardLimit(s: SubCardSpending, amount: Minor): RuleResult<SubCardDeclineCode> {
  if (s.perTxnLimit != null && amount > s.perTxnLimit) return fail("SUB_CARD_LIMIT_TXN");
  if (s.dailyLimit != null && s.spentToday + amount > s.dailyLimit) return fail("SUB_CARD_LIMIT_DAY");
  return PASS;
}
