/**
 * Holds (no debit without the till's record; docs/reconciliation.md): an online approval is a hold on the
 * account until the till's journal entry confirms it, and a till that asked but never
 * recorded the sale releases it. This is the till → server `hold` operation, carried on the
 * till-operation topic (till-ops.ts) like every other request a till makes, so it is
 * validated, correlated and signed the same way.
 *
 * The till sends it for an intent it wrote before asking (agent/journal/intent-log.ts)
 * whose outcome it does not know: `confirm` when its journal holds an entry for the txnId,
 * `release` when it does not. Both are idempotent; the server's answer is the hold's state
 * after the call, and the till forgets the intent on any answer.
 */
import type { Minor } from "../rules/money.js";

export type HoldAction = "confirm" | "release";

/**
 * - `held`: the approval's money is taken from the account, waiting for the till's word;
 * - `confirmed`: the till recorded the sale (its journal entry, or its `confirm`);
 * - `released`: the till never recorded it (its `release`, or the expiry job): the money
 *   went back, and a tombstone keeps a late copy of the request from being approved;
 * - `unknown`: the server has no hold for this txnId (a `confirm` of a sale it never
 *   authorised online: the journal entry applies it when it arrives).
 */
export type HoldState = "held" | "confirmed" | "released" | "unknown";

/** The request's own fields; the envelope (v, corr, terminalId, operatorId, businessDay, at) is till-ops.ts's. */
export interface HoldAsk {
  op: "hold";
  action: HoldAction;
  txnId: string;
  /** The card and gross amount of the intent, for the tombstone and the alert (the server's row is the truth). */
  cardId: string;
  amount: Minor;
}

export interface HoldOutcome {
  txnId: string;
  action: HoldAction;
  /** The hold's state after this call. */
  state: HoldState;
  /** Whether this call moved it (false: it was already there, or the action was refused). */
  changed: boolean;
  /** What happened, in an operator's words (logged by the till). */
  note: string;
}

const str = { type: "string", minLength: 1, maxLength: 200 };

/** One `oneOf` branch of the till-operation request schema (till-ops.ts). */
export const holdRequestSchema = {
  required: ["action", "txnId", "cardId", "amount"],
  properties: {
    op: { const: "hold" },
    action: { enum: ["confirm", "release"] },
    txnId: str,
    cardId: str,
    amount: { type: "integer", minimum: 0, maximum: 10_000_000_000 },
  },
};

export const holdOutcomeSchema = {
  type: "object",
  required: ["txnId", "action", "state", "changed", "note"],
  properties: {
    txnId: str,
    action: { enum: ["confirm", "release"] },
    state: { enum: ["held", "confirmed", "released", "unknown"] },
    changed: { type: "boolean" },
    note: { type: "string", maxLength: 500 },
  },
};
