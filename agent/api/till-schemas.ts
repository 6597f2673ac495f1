/**
 * The bodies of the till's operations (till-routes.ts), one schema each: fastify enforces
 * it and openapi.ts publishes it, so the document cannot say less than is enforced (issue
 * 13 defect 3). Amounts are integers in fen; no field beyond those named is taken.
 */
const amount = { type: "integer", minimum: 1, maximum: 10_000_000_000, description: "Minor units (fen)" } as const;
const uid = { type: "string", minLength: 1, maxLength: 80 } as const;
const txnId = { type: "string", minLength: 1, maxLength: 200, description: "The sale's or top-up's txnId" } as const;

/** A POST that takes no body: an empty object (or none at all, see emptyBody) and nothing else. */
export const noBodySchema = { type: "object", additionalProperties: false, properties: {} } as const;

export const tillRequestSchemas = {
  session: {
    type: "object",
    additionalProperties: false,
    properties: {
      operatorId: { type: "string", maxLength: 64 },
      pin: { type: "string", maxLength: 12 },
      cardUid: { ...uid, description: "An operator card's uid" },
      tap: {
        type: "boolean",
        description: "Wait for the next operator card tapped on any reader (CT_NO_TAP after the tap time-out)",
      },
      readerId: { ...uid, description: "With tap: only this reader" },
    },
  },
  topUp: {
    type: "object",
    additionalProperties: false,
    required: ["amount", "payment"],
    properties: {
      amount,
      cardUid: uid,
      readerId: uid,
      payment: { enum: ["cash", "wechat", "alipay", "bankcard"] },
    },
  },
  refund: {
    type: "object",
    additionalProperties: false,
    required: ["originalTxnId"],
    // amount 0 with uses: count uses given back without money (server/till/reversals.ts).
    properties: {
      originalTxnId: txnId,
      amount: {
        ...amount,
        minimum: 0,
        description:
          "Stored value to give back, fen; omitted: all that is left. Redeemed points go back in the same share, rounded down. 0: none (uses only)",
      },
      uses: {
        type: "integer",
        minimum: 1,
        maximum: 1000,
        description: "Count-card uses to give back; only when named",
      },
    },
  },
  void: {
    type: "object",
    additionalProperties: false,
    required: ["originalTxnId"],
    properties: { originalTxnId: txnId },
  },
  balance: { type: "object", additionalProperties: false, properties: { cardUid: uid, readerId: uid } },
} as const;
