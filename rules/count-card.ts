/**
 * Count cards (次卡): a package of N uses of one service held by an account, e.g. 10 car
 * washes. A use (核销) takes whole uses off the package; a till never approves more uses
 * than it knows are left.
 *
 * The same rules run at the server (online) and at the till (offline, on the cached
 * package minus its unsynced uses), so both decline a use for the same reasons.
 */
import { CardtermError } from "../protocol/errors.js";
import { fail, PASS, type RuleResult } from "./rule-result.js";

export interface CountPackage {
  packageId: string;
  /** What one use buys, as the back office names it ("洗车", "spa 60 min"). */
  service: string;
  remainingUses: number;
  /** Last business day (YYYY-MM-DD, inclusive) the package may be used; absent or null = no expiry. */
  expiresOn?: string | null;
}

export type CountUse = { ok: true; pkg: CountPackage } | { ok: false; code: "COUNT_EXHAUSTED" };

export type CountDeclineCode = "COUNT_PACKAGE_UNKNOWN" | "COUNT_EXPIRED" | "COUNT_EXHAUSTED";

/** Take `uses` (a whole number ≥ 1) off the package; COUNT_EXHAUSTED when fewer remain. */
export function useCount(pkg: CountPackage, uses = 1): CountUse {
  assertUses(uses);
  if (!(pkg.remainingUses >= uses)) return { ok: false, code: "COUNT_EXHAUSTED" };
  return { ok: true, pkg: { ...pkg, remainingUses: pkg.remainingUses - uses } };
}

/**
 * Whether `uses` of the package may be taken on `businessDay`: it must be the card's
 * (the caller found it among the account's packages), not expired, and hold enough uses.
 * Expiry before exhaustion: "expired" is the truer reason when both hold.
 */
export function checkCountUse(
  pkg: CountPackage | undefined,
  uses: number,
  businessDay: string,
): RuleResult<CountDeclineCode> {
  assertUses(uses);
  if (!pkg) return fail("COUNT_PACKAGE_UNKNOWN");
  if (pkg.expiresOn != null && businessDay > pkg.expiresOn) return fail("COUNT_EXPIRED");
  const used = useCount(pkg, uses);
  return used.ok ? PASS : fail(used.code);
}

/**
 * The packages after `uses` were taken off `packageId`, for mirroring a use the ledger
 * already applied. Unlike useCount it may go below zero: an offline use at another till
 * that the server recorded as a shortfall must show here as it is at the server.
 */
export function takeUses(packages: readonly CountPackage[], packageId: string, uses: number): CountPackage[] {
  return packages.map((p) => (p.packageId === packageId ? { ...p, remainingUses: p.remainingUses - uses } : p));
}

function assertUses(uses: number): void {
  if (!Number.isSafeInteger(uses) || uses < 1) {
    throw new CardtermError("CT_BAD_REQUEST", `uses of a count card must be a whole number ≥ 1, got ${String(uses)}`);
  }
}
