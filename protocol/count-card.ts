/**
 * Count cards (次卡): a package of N uses of one service held by an account, e.g. 10 car
 * washes. A use (核销) takes whole uses off the package; it never goes below zero.
 */
import { CardtermError } from "./errors.js";

export interface CountPackage {
  packageId: string;
  /** What one use buys, as the back office names it ("洗车", "spa 60 min"). */
  service: string;
  remainingUses: number;
}

export type CountUse = { ok: true; pkg: CountPackage } | { ok: false; code: "COUNT_EXHAUSTED" };

/** Take `uses` (a whole number ≥ 1) off the package; COUNT_EXHAUSTED when fewer remain. */
export function useCount(pkg: CountPackage, uses = 1): CountUse {
  if (!Number.isSafeInteger(uses) || uses < 1) {
    throw new CardtermError("CT_BAD_REQUEST", `uses of a count card must be a whole number ≥ 1, got ${String(uses)}`);
  }
  if (!(pkg.remainingUses >= uses)) return { ok: false, code: "COUNT_EXHAUSTED" };
  return { ok: true, pkg: { ...pkg, remainingUses: pkg.remainingUses - uses } };
}
