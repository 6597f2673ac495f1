/**
 * The card PIN checked at the server (online, as offline rule 9 at the till), with the server's own
 * retry counter per card (cards.pin_failures / pin_locked_until) under rules/pin.ts's
 * rules, so five wrong tries lock the card at every till at once.
 *
 * It runs inside the authorisation's transaction, with the account row locked: the
 * counter's update commits with the decline (a wrong PIN is an answer, not an error), and
 * two tills guessing at one card queue on the lock. A till can pull its own plug between
 * counting and comparing, which is why it persists the count first (agent decider); here
 * a crash rolls back the attempt and its answer together, and no answer was given.
 */
import { afterCheck, beforeCheck, type PinAttempts, verifyPin } from "../../rules/pin.js";
import type { PinRules } from "../../rules/policy.js";
import type { Queryable } from "../db/db.js";

export type OnlinePinCode = "PIN_REQUIRED" | "PIN_WRONG" | "PIN_LOCKED";

export async function checkPinOnline(
  tx: Queryable,
  check: { cardId: string; pinHash: string; attempts: PinAttempts; pin: string | undefined },
  rules: PinRules,
  now: number,
): Promise<OnlinePinCode | undefined> {
  if (check.pin === undefined || check.pin === "") return "PIN_REQUIRED";
  const gate = beforeCheck(check.attempts, now, rules);
  if (!gate.allowed) {
    await saveAttempts(tx, check.cardId, gate.next);
    return gate.code;
  }
  const outcome = afterCheck(gate.next, verifyPin(check.pin, check.pinHash));
  await saveAttempts(tx, check.cardId, outcome.next);
  return outcome.result.ok ? undefined : outcome.result.code;
}

async function saveAttempts(tx: Queryable, cardId: string, next: PinAttempts): Promise<void> {
  await tx.query("UPDATE cards SET pin_failures = $2, pin_locked_until = $3 WHERE card_id = $1", [
    cardId,
    next.failures,
    next.lockedUntil,
  ]);
}
