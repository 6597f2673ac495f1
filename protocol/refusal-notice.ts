/**
 * The server's refusal of a till's request it will not act on (docs/security.md), sent on
 * the reply topic with the request's corr instead of silence — so a till head office does
 * not know says TERMINAL_NOT_REGISTERED instead of timing out as "network down".
 *
 * It is not sealed: the server answers it exactly when it cannot trust the sender (no key
 * on file, a seal that does not match it, no seal), so it has nothing to sign with that
 * the till would share. A till therefore shows it (status, doctor, the decline) but never
 * lets it move money or state: the sale is declined without a journal entry, exactly as if
 * no answer had come, and a notice for a request the till did not send is only logged.
 */
import { Ajv } from "ajv";
import { type DecodedPayload, decodeValidated } from "./validated-payload.js";

/**
 * - TERMINAL_NOT_REGISTERED: head office has no terminal of this id, or the message's seal
 *   does not match the key it holds for it (the till has another key), or it has no seal;
 * - CLOCK_SKEW: the seal matches, but the till's clock is outside the window (message-mac.ts).
 */
export const REFUSAL_CODES = ["TERMINAL_NOT_REGISTERED", "CLOCK_SKEW"] as const;
export type RefusalCode = (typeof REFUSAL_CODES)[number];

export interface RefusalNotice {
  v: 1;
  corr: string;
  refused: RefusalCode;
  /** What head office saw, in a technician's words (no secrets). */
  detail: string;
  /** The server's clock, epoch milliseconds: with CLOCK_SKEW, how far off the till is. */
  serverTimeMs: number;
}

const validate = new Ajv({ strict: false }).compile({
  type: "object",
  additionalProperties: false,
  required: ["v", "corr", "refused", "detail", "serverTimeMs"],
  properties: {
    v: { const: 1 },
    corr: { type: "string", minLength: 1, maxLength: 200 },
    refused: { enum: [...REFUSAL_CODES] },
    detail: { type: "string", maxLength: 500 },
    serverTimeMs: { type: "integer", minimum: 0 },
  },
});

/** Whether a parsed payload is meant as a notice (it has `refused`), before validating it. */
export function looksLikeNotice(body: Record<string, unknown>): boolean {
  return "refused" in body;
}

export function decodeNotice(payload: Buffer | string): DecodedPayload<RefusalNotice> {
  return decodeValidated<RefusalNotice>("refusalNotice", validate, payload);
}
