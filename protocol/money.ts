/**
 * Money is an integer count of minor units (fen). Never a float, anywhere.
 *
 * Amounts enter the system as decimal strings ("200", "200.5", "200.50") from config
 * files, the API and the back office; they are parsed here digit by digit, never via
 * Number(), so "0.1 + 0.2" traps cannot happen. This file also holds the one rounding
 * rule of the product (DESIGN §2): discounts round half-up to the fen, points round down.
 */
import { CardtermError } from "./errors.js";

export type Minor = number;

/** Largest amount accepted anywhere: 100 million yuan. Far above any till, far below 2^53. */
export const MAX_MINOR: Minor = 10_000_000_000;

const DECIMAL = /^(\d{1,11})(?:\.(\d{1,2}))?$/;

/** Parse a decimal string ("12", "12.3", "12.34") into minor units. Throws CT_AMOUNT_INVALID. */
export function parseMoney(text: string, what = "amount"): Minor {
  if (typeof text !== "string") {
    throw new CardtermError("CT_AMOUNT_INVALID", `${what} must be a decimal string like "12.50", got ${typeof text}`);
  }
  const m = DECIMAL.exec(text.trim());
  if (!m) {
    throw new CardtermError(
      "CT_AMOUNT_INVALID",
      `${what} "${text}" is not a non-negative decimal with at most two places (e.g. "200" or "200.50")`,
    );
  }
  const whole = Number(m[1]);
  const frac = Number((m[2] ?? "").padEnd(2, "0"));
  const minor = whole * 100 + frac;
  assertMinor(minor, what);
  return minor;
}

/** Format minor units as a decimal string with two places: 12345 → "123.45". */
export function formatMoney(minor: Minor): string {
  assertInteger(minor, "amount");
  const sign = minor < 0 ? "-" : "";
  const abs = Math.abs(minor);
  return `${sign}${Math.floor(abs / 100)}.${String(abs % 100).padStart(2, "0")}`;
}

/** An amount as accepted by the API and the journal: a safe non-negative integer ≤ MAX_MINOR. */
export function assertMinor(value: unknown, what = "amount"): asserts value is Minor {
  assertInteger(value, what);
  if (value < 0 || value > MAX_MINOR) {
    throw new CardtermError("CT_AMOUNT_INVALID", `${what} ${value} is outside 0..${MAX_MINOR} minor units`);
  }
}

function assertInteger(value: unknown, what: string): asserts value is number {
  if (typeof value !== "number" || !Number.isSafeInteger(value)) {
    throw new CardtermError(
      "CT_AMOUNT_INVALID",
      `${what} must be an integer count of minor units (fen), got ${String(value)}`,
    );
  }
}

/**
 * amount × numerator / denominator, rounded half-up to the fen — THE rounding rule.
 * Integer arithmetic through BigInt so no intermediate product loses precision.
 */
export function mulDivHalfUp(amount: Minor, numerator: number, denominator: number): Minor {
  if (denominator <= 0) throw new RangeError("denominator must be positive");
  const n = BigInt(amount) * BigInt(numerator);
  const d = BigInt(denominator);
  const q = (2n * n + d) / (2n * d);
  return Number(q);
}

/** amount × numerator / denominator, rounded down: the rule for points. */
export function mulDivFloor(amount: Minor, numerator: number, denominator: number): number {
  if (denominator <= 0) throw new RangeError("denominator must be positive");
  return Number((BigInt(amount) * BigInt(numerator)) / BigInt(denominator));
}
