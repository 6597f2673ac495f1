/**
 * Checks on back-office input, each failing with CT_BAD_REQUEST (or CT_AMOUNT_INVALID for
 * money) and a message naming the field: the CLI, the HTTP API and a till all get the
 * same words. The HTTP layer's JSON schemas catch shapes first; these catch the rest.
 */

import { CardtermError } from "../../protocol/errors.js";
import { isCardId } from "../../rules/card.js";
import { assertMinor, type Minor } from "../../rules/money.js";

const bad = (message: string) => new CardtermError("CT_BAD_REQUEST", message);

export function requireText(value: unknown, field: string, max = 100): string {
  if (typeof value !== "string" || value.trim() === "" || value.length > max) {
    throw bad(`${field} must be text of 1 to ${max} characters`);
  }
  return value.trim();
}

const ID = /^[A-Za-z0-9_-]{1,64}$/;

export function requireId(value: unknown, field: string): string {
  if (typeof value !== "string" || !ID.test(value)) throw bad(`${field} must be 1–64 letters, digits, _ or -`);
  return value;
}

export function requireCardId(value: unknown, field = "cardId"): string {
  if (!isCardId(value))
    throw bad(`${field} ${JSON.stringify(value)} is not a card id like ic:04A1B2C3 or id:0012345678`);
  return value;
}

/** Mainland mobile or landline as digits, optionally with a leading +country code; spaces and dashes dropped. */
export function optionalPhone(value: unknown): string | null {
  if (value === undefined || value === null || value === "") return null;
  const digits = typeof value === "string" ? value.replace(/[\s-]/g, "") : "";
  if (!/^\+?[0-9]{5,20}$/.test(digits)) throw bad(`phone ${JSON.stringify(value)} is not a phone number`);
  return digits;
}

const DAYS_IN_MONTH = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** A birthday as MM-DD (the year is not kept: only the day matters for birthday points). */
export function optionalBirthday(value: unknown): string | null {
  if (value === undefined || value === null || value === "") return null;
  const m = typeof value === "string" ? /^([0-9]{2})-([0-9]{2})$/.exec(value) : null;
  const month = m ? Number(m[1]) : 0;
  const day = m ? Number(m[2]) : 0;
  if (!m || month < 1 || month > 12 || day < 1 || day > DAYS_IN_MONTH[month - 1]!) {
    throw bad(`birthday ${JSON.stringify(value)} must be a month and day as MM-DD, e.g. 03-15`);
  }
  return value as string;
}

/** A limit in fen, or null for none. */
export function optionalLimit(value: unknown, field: string): Minor | null {
  if (value === undefined || value === null) return null;
  assertMinor(value, field);
  return value;
}

export function requirePositiveMinor(value: unknown, field: string): Minor {
  assertMinor(value, field);
  if (value === 0) throw new CardtermError("CT_AMOUNT_INVALID", `${field} must be more than 0`);
  return value;
}

const DAY = /^[0-9]{4}-[0-9]{2}-[0-9]{2}$/;

export function optionalDay(value: unknown, field: string): string | null {
  if (value === undefined || value === null || value === "") return null;
  if (typeof value !== "string" || !DAY.test(value) || Number.isNaN(Date.parse(`${value}T00:00:00Z`))) {
    throw bad(`${field} ${JSON.stringify(value)} must be a date as YYYY-MM-DD`);
  }
  return value;
}
