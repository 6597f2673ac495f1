/**
 * Money is an integer count of minor units (fen). Never a float, anywhere.
 *
 * Amounts enter the system as decimal strings ("200", "200.5", "200.50") from config
 * files, the API and the back office; they are parsed here digit by digit, never via
 * Number(), so "0.1 + 0.2" traps cannot happen. This file also holds the one rounding
 * rule of the product (docs/architecture.md#the-domain): discounts round half-up to the fen, points round down.
 */
import { CardtermError } from "../protocol/errors.js";

export type Minor = number;

/** Largest amount accepted anywhere: 100 million yuan. Far above any till, far below 2^53. */
export const MAX_MINOR: Minor = 10_000_000_000;

/**
 * ASCII digits only (`[0-9]`, never `\d` or Unicode classes, so "١٢" or "１２" cannot pass),
 * a whole part, and optionally a point followed by one or two digits. No sign, no
 * exponent, no hex, no whitespace, no "12." and no ".5": each of those is a typo or a
 * float that leaked, and guessing what was meant is how money goes wrong
 * (docs/architecture.md#rules-of-the-house).
 * Leading zeros ("0300") are accepted: the value is unambiguous and config/ lets them through.
 */
const DECIMAL = /^([0-9]+)(?:\.([0-9]{1,2}))?$/;
/** Longest text worth parsing: 9 whole digits after leading zeros is already over MAX_MINOR. */
const MAX_TEXT = 32;

/** Parse a decimal string ("12", "12.3", "12.34") into minor units. Throws CT_AMOUNT_INVALID. */
export function parseMoney(text: string, what = "amount"): Minor {
  if (typeof text !== "string") {
    throw new CardtermError("CT_AMOUNT_INVALID", `${what} must be a decimal string like "12.50", got ${typeof text}`);
  }
  const m = text.length <= MAX_TEXT ? DECIMAL.exec(text) : null;
  if (!m) {
    const near = nearestAmountText(text);
    throw new CardtermError(
      "CT_AMOUNT_INVALID",
      `${what} ${JSON.stringify(text.slice(0, MAX_TEXT))} is not a non-negative decimal with at most two places (e.g. "200" or "200.50")${near === undefined ? "" : `; write "${near}"`}`,
    );
  }
  const whole = m[1]!.replace(/^0+(?=[0-9])/, "");
  if (whole.length > 9) throw tooLarge(text, what);
  const minor = Number(whole) * 100 + Number((m[2] ?? "").padEnd(2, "0"));
  if (minor > MAX_MINOR) throw tooLarge(text, what);
  return minor;
}

/**
 * The amount to suggest for one written with more than two decimals ("12.345" → "12.35",
 * "300.000" → "300.00"): rounded half-up to the fen, the product's one rounding rule,
 * on the digits (no float). Undefined for anything else: guessing what a malformed
 * amount meant is not ours to do.
 */
export function nearestAmountText(text: string): string | undefined {
  const m = text.length <= MAX_TEXT ? /^([0-9]+)\.([0-9]{2})([0-9]+)$/.exec(text) : null;
  if (!m) return undefined;
  const fen = BigInt(m[1]!) * 100n + BigInt(m[2]!) + (m[3]![0]! >= "5" ? 1n : 0n);
  return `${fen / 100n}.${String(fen % 100n).padStart(2, "0")}`;
}

function tooLarge(text: string, what: string): CardtermError {
  return new CardtermError(
    "CT_AMOUNT_INVALID",
    `${what} "${text}" is above the largest amount ${formatMoney(MAX_MINOR)}`,
  );
}

/** Format minor units as a decimal string with two places: 12345 → "123.45", -5 → "-0.05". */
export function formatMoney(minor: Minor): string {
  assertInteger(minor, "amount");
  const sign = minor < 0 ? "-" : "";
  const abs = Math.abs(minor);
  return `${sign}${Math.floor(abs / 100)}.${String(abs % 100).padStart(2, "0")}`;
}

/** For receipts and screens: 12345 → "¥123.45", -5 → "-¥0.05" (a shortfall reads as owed). */
export function formatYuan(minor: Minor): string {
  const text = formatMoney(minor);
  return text.startsWith("-") ? `-¥${text.slice(1)}` : `¥${text}`;
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
 * Only for non-negative operands: "half-up" of a negative amount is ambiguous, and no
 * price, discount or share in the product is negative.
 */
export function mulDivHalfUp(amount: Minor, numerator: number, denominator: number): Minor {
  const [n, d] = operands(amount, numerator, denominator);
  return toSafe((2n * n + d) / (2n * d));
}

/** amount × numerator / denominator, rounded down: the rule for points (earned, redeemable). */
export function mulDivFloor(amount: Minor, numerator: number, denominator: number): number {
  const [n, d] = operands(amount, numerator, denominator);
  return toSafe(n / d);
}

function operands(amount: number, numerator: number, denominator: number): [bigint, bigint] {
  for (const [name, v] of [
    ["amount", amount],
    ["numerator", numerator],
    ["denominator", denominator],
  ] as const) {
    if (!Number.isSafeInteger(v) || v < 0)
      throw new RangeError(`${name} must be a non-negative safe integer, got ${v}`);
  }
  if (denominator === 0) throw new RangeError("denominator must be positive");
  return [BigInt(amount) * BigInt(numerator), BigInt(denominator)];
}

function toSafe(q: bigint): number {
  if (q > BigInt(Number.MAX_SAFE_INTEGER)) throw new RangeError(`result ${q} is above the largest safe integer`);
  return Number(q);
}
