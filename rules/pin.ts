/**
 * Card PINs (密码): when one is needed, how it is stored, and the retry counter that locks
 * a card after too many wrong tries (docs/architecture.md#the-offline-rules, rule 9).
 *
 * A PIN is stored only as a self-describing scrypt hash, `scrypt$N$r$p$<salt hex>$<hash hex>`,
 * so the cost can be raised later without breaking the hashes already issued: each hash
 * carries its own parameters. scryptSync is CPU only (no I/O), so it may live in rules/.
 *
 * Production cost is PIN_SCRYPT_PARAMS: N=2^15, r=8, p=1 — 32 MiB and about 0.1 s on an
 * x86 core, a few tenths of a second on a small POS box; acceptable once per payment.
 * Tests pass smaller parameters (N=2^10) to stay fast. A 4–6 digit PIN has at most a
 * million values, so the hash alone cannot stop an attacker holding it: the lock-out
 * below is what protects a card, and hashes should be sent to tills only where offline
 * PIN checks are wanted.
 *
 * The retry counter is pure; the caller persists it. The order is what makes it safe:
 *
 *   1. gate = beforeCheck(stored, now, rules)    — if !gate.allowed: decline PIN_LOCKED
 *   2. persist gate.next durably (fsync)         — the attempt now counts as a failure
 *   3. ok = verifyPin(pin, hash)
 *   4. out = afterCheck(gate.next, ok); persist out.next — success resets the counter
 *
 * A crash, power cut or kill between 2 and 4 leaves the attempt counted as wrong, so
 * pulling the plug mid-check cannot buy unlimited guesses. Steps 1–2 must run under the
 * same lock as any other attempt on the card (two readers, one card).
 */
import { randomBytes, scryptSync, timingSafeEqual } from "node:crypto";
import { CardtermError } from "../protocol/errors.js";
import type { Minor } from "./money.js";
import type { CardTypePolicy, PinRules } from "./policy.js";
import { fail, PASS, type RuleResult } from "./rule-result.js";

export interface ScryptParams {
  /** CPU/memory cost, a power of two. */
  N: number;
  r: number;
  p: number;
}

export const PIN_SCRYPT_PARAMS: Readonly<ScryptParams> = { N: 2 ** 15, r: 8, p: 1 };

/** 4 to 12 ASCII digits: what a PIN pad sends. */
const PIN = /^[0-9]{4,12}$/;
const SALT_BYTES = 16;
const HASH_BYTES = 32;
/** A stored hash asking for more memory than this is refused, not computed (it may come off the network). */
const MAX_SCRYPT_MEMORY = 64 * 1024 * 1024;
const STORED = /^scrypt\$([0-9]{1,8})\$([0-9]{1,3})\$([0-9]{1,3})\$((?:[0-9a-f]{2}){8,64})\$((?:[0-9a-f]{2}){16,64})$/;

export function isWellFormedPin(pin: unknown): pin is string {
  return typeof pin === "string" && PIN.test(pin);
}

/** Hash a new PIN. `salt` defaults to 16 random bytes; tests pass their own and small params. */
export function hashPin(
  pin: string,
  salt: Buffer = randomBytes(SALT_BYTES),
  params: ScryptParams = PIN_SCRYPT_PARAMS,
): string {
  if (!isWellFormedPin(pin)) throw new CardtermError("CT_BAD_REQUEST", "a PIN must be 4 to 12 digits");
  if (salt.length < 8) throw new CardtermError("CT_BAD_REQUEST", "a PIN salt must be at least 8 bytes");
  const hash = derive(pin, salt, params, HASH_BYTES);
  return `scrypt$${params.N}$${params.r}$${params.p}$${salt.toString("hex")}$${hash.toString("hex")}`;
}

/**
 * Whether `pin` matches `stored`, compared in constant time. A malformed PIN is simply
 * wrong (false); a malformed stored hash is a data defect and throws CT_INTERNAL, so that
 * it is never mistaken for a member's typing error (and never locks their card).
 */
export function verifyPin(pin: string, stored: string): boolean {
  const { params, salt, hash } = parseStored(stored);
  if (!isWellFormedPin(pin)) return false;
  return timingSafeEqual(derive(pin, salt, params, hash.length), hash);
}

/** The card type demands a PIN for a debit of `amount` (PricedSale.net + pointsValue: all the account gives). */
export function pinRequired(type: CardTypePolicy, amount: Minor): boolean {
  return type.pinAboveMinor !== null && amount > type.pinAboveMinor;
}

/** PIN_REQUIRED when the card type wants a PIN for this amount and none was entered. */
export function checkPinPresent(
  type: CardTypePolicy,
  amount: Minor,
  pin: string | undefined,
): RuleResult<"PIN_REQUIRED"> {
  return pinRequired(type, amount) && (pin === undefined || pin === "") ? fail("PIN_REQUIRED") : PASS;
}

function parseStored(stored: string): { params: ScryptParams; salt: Buffer; hash: Buffer } {
  const m = typeof stored === "string" ? STORED.exec(stored) : null;
  const params = m ? { N: Number(m[1]), r: Number(m[2]), p: Number(m[3]) } : null;
  if (!m || !params || !saneParams(params)) {
    throw new CardtermError("CT_INTERNAL", "a stored PIN hash is malformed (expected scrypt$N$r$p$salt$hash)");
  }
  return { params, salt: Buffer.from(m[4]!, "hex"), hash: Buffer.from(m[5]!, "hex") };
}

function saneParams({ N, r, p }: ScryptParams): boolean {
  const powerOfTwo = N >= 2 && (N & (N - 1)) === 0;
  return powerOfTwo && r >= 1 && p >= 1 && p <= 16 && 128 * N * r <= MAX_SCRYPT_MEMORY;
}

function derive(pin: string, salt: Buffer, params: ScryptParams, length: number): Buffer {
  if (!saneParams(params))
    throw new CardtermError("CT_INTERNAL", `scrypt parameters out of range: ${JSON.stringify(params)}`);
  const maxmem = 2 * 128 * params.N * params.r + 1024 * 1024;
  return scryptSync(pin, salt, length, { N: params.N, r: params.r, p: params.p, maxmem });
}

// ── the retry counter ────────────────────────────────────────────────────────────────

/** Persisted per card (the agent per card on its box; the server per card for online checks). */
export interface PinAttempts {
  /** Wrong (or unfinished) attempts in a row, counted before each check. */
  failures: number;
  /** Epoch ms until which no attempt is allowed; null when not locked. */
  lockedUntil: number | null;
}

export const NO_PIN_ATTEMPTS: Readonly<PinAttempts> = { failures: 0, lockedUntil: null };

export type PinGate =
  | { allowed: true; next: PinAttempts }
  | { allowed: false; code: "PIN_LOCKED"; next: PinAttempts; lockedUntil: number };

export interface PinOutcome {
  next: PinAttempts;
  result: RuleResult<"PIN_WRONG" | "PIN_LOCKED">;
}

/**
 * Step 1. Refuses while locked; otherwise counts this attempt as a failure in `next`, and if
 * it is the last one allowed, sets the lock already — a correct PIN then lifts it in
 * afterCheck; a crash leaves it. An expired lock starts a fresh count. A lock that ends
 * further ahead than `lockoutMs` (the clock went back) is cut to `now + lockoutMs`.
 */
export function beforeCheck(state: PinAttempts, now: number, rules: PinRules): PinGate {
  let s = state;
  if (s.lockedUntil !== null && now >= s.lockedUntil) s = { ...NO_PIN_ATTEMPTS };
  if (s.lockedUntil !== null) {
    const lockedUntil = Math.min(s.lockedUntil, now + rules.lockoutMs);
    return { allowed: false, code: "PIN_LOCKED", next: { ...s, lockedUntil }, lockedUntil };
  }
  const failures = s.failures + 1;
  return {
    allowed: true,
    next: { failures, lockedUntil: failures >= rules.maxAttempts ? now + rules.lockoutMs : null },
  };
}

/** Step 4, with beforeCheck's `next`. Success resets; a wrong PIN stays counted (it already was). */
export function afterCheck(state: PinAttempts, ok: boolean): PinOutcome {
  if (ok) return { next: { ...NO_PIN_ATTEMPTS }, result: PASS };
  return { next: state, result: fail(state.lockedUntil === null ? "PIN_WRONG" : "PIN_LOCKED") };
}

/** Tries left before the lock, for the cashier's screen ("还可尝试 2 次"). 0 while locked. */
export function attemptsLeft(state: PinAttempts, now: number, rules: PinRules): number {
  if (state.lockedUntil !== null) return now >= state.lockedUntil ? rules.maxAttempts : 0;
  return Math.max(0, rules.maxAttempts - state.failures);
}
