/**
 * The answer of a card rule (count card, sub-card limit, points, PIN): pass, or a decline
 * code from rules/decline-text.ts that the cashier can read.
 */
export type RuleResult<Code extends string> = { ok: true } | { ok: false; code: Code };

export const PASS: { ok: true } = { ok: true };

export function fail<Code extends string>(code: Code): { ok: false; code: Code } {
  return { ok: false, code };
}
