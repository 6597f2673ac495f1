/**
 * The card operations in the OpenAPI document (card-routes.ts), and the permission each
 * gated operation needs, from permissions.ts, as `x-cardterm-permission` on it.
 */
import { ROUTE_PERMISSIONS } from "../operators/permissions.js";
import { cardRequestSchemas } from "./card-routes.js";
import { errorBody } from "./error-body.js";

const cardView = {
  type: "object",
  properties: {
    id: { type: "string", description: "Masked card id, e.g. ic:04A1****B2C3" },
    memberName: { type: "string" },
    cardType: { type: "string" },
    status: { enum: ["active", "lost", "frozen", "cancelled", "replaced"] },
    balance: { type: "integer", description: "Stored value of the account, fen" },
    points: { type: "integer" },
  },
};

const decided = {
  "200": {
    description:
      "Decided. Done: { ok: true, op, requestId, replayed, card, memberId? (issue), previousCard? (replace), primaryCard? (sub-card), receipt }. Refused: { ok: false, op, requestId, code, message, card } — code e.g. CARD_STATUS_CONFLICT, CARD_ALREADY_ISSUED (docs/errors.md).",
    content: {
      "application/json": {
        schema: {
          type: "object",
          required: ["ok", "op", "requestId"],
          properties: {
            ok: { type: "boolean" },
            op: { type: "string" },
            requestId: { type: "string" },
            replayed: { type: "boolean", description: "The Idempotency-Key was applied before: its stored outcome" },
            card: { anyOf: [cardView, { type: "null" }] },
            memberId: { type: "string" },
            previousCard: cardView,
            primaryCard: cardView,
            code: { type: "string" },
            message: { type: "string", description: "For the cashier, in the till's language" },
            receipt: { type: ["object", "null"] },
          },
        },
      },
    },
  },
  "400": { description: "CT_BAD_REQUEST", content: { "application/json": { schema: errorBody } } },
  "401": {
    description: "CT_UNAUTHORIZED: no token or session",
    content: { "application/json": { schema: errorBody } },
  },
  "403": {
    description: "CT_FORBIDDEN: the operator's role may not",
    content: { "application/json": { schema: errorBody } },
  },
  "409": {
    description: "CT_NO_TAP: no card tapped in time, or the wait was cancelled",
    content: { "application/json": { schema: errorBody } },
  },
  "504": {
    description: "CT_SERVER_TIMEOUT: card operations need the central server; retry with the same Idempotency-Key",
    content: { "application/json": { schema: errorBody } },
  },
};

const cardUidParam = {
  name: "cardUid",
  in: "path",
  required: true,
  schema: { type: "string" },
  description: "The card: a card id (ic:04A1B2C3) or a bare uid, taken as an IC card (as for a sale)",
};
const idempotencyKey = {
  name: "Idempotency-Key",
  in: "header",
  required: false,
  schema: { type: "string", maxLength: 128 },
  description: "Any unique text per operation: a retry with the same key is applied once",
};

const op = (summary: string, schema: Record<string, unknown>, withCard = true) => ({
  post: {
    summary,
    parameters: withCard ? [cardUidParam, idempotencyKey] : [idempotencyKey],
    // Issue needs a body; the operations on a card may be sent without one.
    requestBody: { required: !withCard, content: { "application/json": { schema } } },
    responses: decided,
  },
});

export function cardPaths(): Record<string, unknown> {
  const s = cardRequestSchemas;
  return {
    "/api/v1/cards": op(
      "Issue a card (发卡) to a new member (member) or an existing one (memberId, a new account); cardUid omitted = the next tap",
      s.issue,
      false,
    ),
    "/api/v1/cards/{cardUid}/subcards": op(
      "Issue a sub-card (附属卡) sharing this card's balance; limitMinor = its own daily spending limit, fen",
      s.subcard,
    ),
    "/api/v1/cards/{cardUid}/loss": op("Report the card lost (挂失, supervisor): refused at every till", s.status),
    "/api/v1/cards/{cardUid}/unloss": op("Cancel a loss report (解挂, supervisor)", s.status),
    "/api/v1/cards/{cardUid}/freeze": op("Freeze the card (冻结, supervisor)", s.status),
    "/api/v1/cards/{cardUid}/unfreeze": op("Unfreeze the card (解冻, supervisor)", s.status),
    "/api/v1/cards/{cardUid}/recycle": op("Recycle the card (回收, supervisor): closed, back in stock", s.status),
    "/api/v1/cards/{cardUid}/replace": op(
      "Replace the card (补卡, supervisor): balance, points and packages move to newCardUid (omitted = the next tap)",
      s.replace,
    ),
    "/api/v1/cards/{cardUid}/level": op("Change the card type (升降级, supervisor)", s.level),
  };
}

/** Each operation named in ROUTE_PERMISSIONS gets `x-cardterm-permission`. */
export function withPermissions(paths: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [path, item] of Object.entries(paths)) {
    const ops: Record<string, unknown> = { ...(item as Record<string, unknown>) };
    for (const [method, operation] of Object.entries(ops)) {
      const permission = ROUTE_PERMISSIONS[`${method.toUpperCase()} ${path}`];
      if (permission) ops[method] = { ...(operation as object), "x-cardterm-permission": permission };
    }
    out[path] = ops;
  }
  return out;
}
