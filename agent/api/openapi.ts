/** The OpenAPI 3.1 description of the local API, served at /api/v1/openapi.json. */
import { cardPaths, withPermissions } from "./card-openapi.js";
import { closePrintBodySchema } from "./close-routes.js";
import { errorBody } from "./error-body.js";
import { findPaths } from "./find-openapi.js";
import { tapPaths } from "./tap-routes.js";
import { noBodySchema, tillRequestSchemas } from "./till-schemas.js";

/** The body `cardterm doctor --print` sends (self-test-body.ts checks it further: no control characters). */
export const selfTestBodySchema = {
  type: "object",
  additionalProperties: false,
  properties: {
    doctor: {
      type: "array",
      maxItems: 20,
      items: {
        type: "object",
        additionalProperties: false,
        required: ["name", "result", "detail"],
        properties: {
          name: { type: "string", minLength: 1, maxLength: 40 },
          result: { enum: ["PASS", "WARN", "FAIL", "SKIP"] },
          detail: { type: "string", maxLength: 240, description: "no control characters" },
          code: { type: "string", pattern: "^CT_[A-Z_]{1,40}$" },
        },
      },
    },
  },
} as const;

export const saleRequestSchema = {
  type: "object",
  additionalProperties: false,
  required: ["amount"],
  properties: {
    amount: {
      type: "integer",
      minimum: 0,
      maximum: 10_000_000_000,
      description: "Gross amount in minor units (fen): 2500 = ¥25.00. 0 only with countUse (a count-card use alone)",
    },
    cardUid: {
      type: "string",
      minLength: 1,
      maxLength: 80,
      description:
        "A card uid (e.g. 04A1B2C3) or card id (ic:04A1B2C3) standing for a tap on the simulated reader. Omit to wait for a tap.",
    },
    readerId: { type: "string", minLength: 1, maxLength: 64, description: "Only accept a tap from this reader." },
    operatorId: { type: "string", minLength: 1, maxLength: 64 },
    pin: {
      type: "string",
      pattern: "^[0-9]{4,12}$",
      description: "The member's PIN, when the card type asks for one above its threshold (PIN_REQUIRED)",
    },
    redeemPoints: {
      type: "integer",
      minimum: 1,
      maximum: 1_000_000_000,
      description:
        "Points to pay part of the bill with (积分抵扣), at the card type's rate; cut to its share of the bill, declined beyond the points held (POINTS_INSUFFICIENT)",
    },
    countUse: {
      type: "object",
      additionalProperties: false,
      required: ["packageId"],
      description:
        "A count-card use (次卡核销) with the sale: a package of the card's account (its card's packages are in the tap event)",
      properties: {
        packageId: { type: "string", minLength: 1, maxLength: 64 },
        uses: { type: "integer", minimum: 1, maximum: 100, default: 1 },
      },
    },
  },
} as const;

export function openApiDocument(version: string): Record<string, unknown> {
  return {
    openapi: "3.1.0",
    info: { title: "cardterm local API", version, description: "The POS app's API on the till (127.0.0.1)." },
    paths: withPermissions({
      "/healthz": { get: { summary: "Liveness", responses: { "200": { description: "The agent is running" } } } },
      "/api/v1/sales": {
        post: {
          summary: "Make a sale: tap (or card uid) → price → approve online or offline → durable → receipt",
          requestBody: { required: true, content: { "application/json": { schema: saleRequestSchema } } },
          responses: {
            "200": {
              description: "Decided: approved (durable before this reply) or declined with its reason",
              content: {
                "application/json": {
                  schema: {
                    type: "object",
                    required: ["approved", "mode", "txnId"],
                    properties: {
                      approved: { type: "boolean" },
                      mode: { enum: ["online", "offline"] },
                      txnId: { type: "string" },
                      code: { type: "string", description: "Decline code when not approved, e.g. OFFLINE_LIMIT_TXN" },
                      reason: { type: "string", description: "Decline reason for the cashier" },
                      card: { type: "object" },
                      transaction: {
                        type: "object",
                        description:
                          "seq, at, businessDay, gross, discount, net (stored value), pointsEarned, pointsRedeemed, redeemedMinor, countUse {packageId, service, uses, remainingUses}, operatorId",
                      },
                      balanceAfter: { type: ["integer", "null"] },
                      receipt: { type: ["object", "null"] },
                    },
                  },
                },
              },
            },
            "400": { description: "Malformed request", content: { "application/json": { schema: errorBody } } },
            "409": {
              description: "No card tapped in time, or the wait was cancelled (CT_NO_TAP)",
              content: { "application/json": { schema: errorBody } },
            },
            "503": {
              description: "Cannot approve: journal failed verification or the disk cannot be written",
              content: { "application/json": { schema: errorBody } },
            },
          },
        },
      },
      "/api/v1/status": {
        get: {
          summary: "Devices, broker and server link, pending journal entries, last sync",
          responses: { "200": { description: "Status" } },
        },
      },
      "/api/v1/card-types": {
        get: {
          summary: "Card types of the policy the till holds (id, name, pay rate in basis points, offline allowed)",
          responses: {
            "200": {
              description:
                "{ policyVersion, cardTypes: [{ id, name, payRateBp, offlineAllowed }] } — empty before the first policy",
            },
          },
        },
      },
      "/api/v1/receipts": {
        get: {
          summary: "Receipts kept on the box (printed ones for 7 days, waiting ones until printed)",
          responses: { "200": { description: "{ receipts: [{ jobId, template, state, prints, … }] }" } },
        },
      },
      "/api/v1/receipts/{jobId}/reprint": {
        post: {
          summary: "Print a kept receipt again, marked REPRINT (a waiting one prints now)",
          parameters: [{ name: "jobId", in: "path", required: true, schema: { type: "string" } }],
          requestBody: { required: false, content: { "application/json": { schema: noBodySchema } } },
          responses: {
            "200": { description: '{ jobId, printed: true | "queued", previewPng?, error? }' },
            "404": {
              description: "No such receipt (CT_NOT_FOUND)",
              content: { "application/json": { schema: errorBody } },
            },
          },
        },
      },
      "/api/v1/receipts/self-test": {
        post: {
          summary: "Print the technician's self-test page",
          description:
            "Without a body, the agent's own page. `cardterm doctor --print` sends its rows to print under the page's lines (self-test-body.ts); anything else in the body is refused whole.",
          requestBody: {
            required: false,
            content: {
              "application/json": { schema: selfTestBodySchema },
            },
          },
          responses: {
            "200": { description: '{ jobId, printed: true | "queued" | false }' },
            "400": {
              description: "CT_BAD_REQUEST: the body is not { doctor: [...] } within its bounds",
              content: { "application/json": { schema: errorBody } },
            },
          },
        },
      },
      "/api/v1/openapi.json": {
        get: { summary: "This document", responses: { "200": { description: "OpenAPI 3.1" } } },
      },
      ...tillPaths(),
      ...cardPaths(),
      ...findPaths(),
      ...tapPaths(),
    }),
    components: {
      securitySchemes: {
        apiToken: { type: "http", scheme: "bearer", description: "The POS app's token (api.token in the config)" },
        operatorSession: { type: "apiKey", in: "header", name: "X-Cardterm-Session" },
      },
    },
    security: [{ apiToken: [], operatorSession: [] }],
  };
}

/** The till's operations (till-routes.ts, close-routes.ts, events.ts). */
function tillPaths(): Record<string, unknown> {
  const json = (schema: object) => ({ required: true, content: { "application/json": { schema } } });
  const errors = {
    "400": {
      description: "CT_BAD_REQUEST: the body is not as its schema says; `field` names the field",
      content: { "application/json": { schema: errorBody } },
    },
    "401": {
      description: "CT_UNAUTHORIZED (token or session) or CT_LOGIN_FAILED",
      content: { "application/json": { schema: errorBody } },
    },
    "403": {
      description: "CT_FORBIDDEN: the operator's role may not do this",
      content: { "application/json": { schema: errorBody } },
    },
    "504": {
      description: "CT_SERVER_TIMEOUT: these operations need the central server",
      content: { "application/json": { schema: errorBody } },
    },
  };
  const decided = {
    "200": { description: "{ approved, mode, txnId, code?, reason?, card, transaction?, balanceAfter?, receipt? }" },
    ...errors,
  };
  return {
    "/api/v1/sessions": {
      post: {
        summary: "Operator log-in by PIN or operator card → { session, operator, permissions, idleTimeoutS }",
        requestBody: json(tillRequestSchemas.session),
        responses: { "200": { description: "The session token for X-Cardterm-Session" }, ...errors },
      },
    },
    "/api/v1/sessions/current": {
      get: {
        summary: "Who is logged in",
        responses: { "200": { description: "{ operator, permissions, idleTimeoutS }" }, ...errors },
      },
      delete: { summary: "Log out", responses: { "204": { description: "Logged out" } } },
    },
    "/api/v1/topups": {
      post: {
        summary: "Top-up with the card type's bonus tier (online only)",
        requestBody: json(tillRequestSchemas.topUp),
        responses: decided,
      },
    },
    "/api/v1/refunds": {
      post: {
        summary: "Refund part or all of a sale (supervisor; online only)",
        requestBody: json(tillRequestSchemas.refund),
        responses: decided,
      },
    },
    "/api/v1/voids": {
      post: {
        summary: "Void a sale or top-up of today, whole (supervisor; online only)",
        requestBody: json(tillRequestSchemas.void),
        responses: decided,
      },
    },
    "/api/v1/balance": {
      post: {
        summary: "Balance and points of a tapped card: online, or the till's cached copy said to be so",
        requestBody: json(tillRequestSchemas.balance),
        responses: { "200": { description: "{ card, balance, points, source: online | cached, asOf }" }, ...errors },
      },
    },
    "/api/v1/transactions": {
      get: {
        summary: "A business day's transactions from the journal, with what can still be voided or refunded",
        parameters: [{ name: "day", in: "query", schema: { type: "string", pattern: "^\\d{4}-\\d\\d-\\d\\d$" } }],
        responses: {
          "200": {
            description:
              "{ transactions: [{ txnId, seq, kind, mode, at, card (masked), gross, net, bonus, operatorId, originalTxnId (refund, void), voidable, notVoidable: reversal | voided | refunded | otherDay | notSynced | null, refundable (fen left of a sale) }] }",
          },
          ...errors,
        },
      },
    },
    "/api/v1/close": {
      get: {
        summary: "The daily close (日结), rebuilt from the journal (supervisor)",
        parameters: [
          { name: "day", in: "query", schema: { type: "string" } },
          { name: "format", in: "query", schema: { enum: ["json", "csv", "xlsx"] } },
        ],
        responses: { "200": { description: "JSON, CSV (UTF-8 with BOM) or XLSX" }, ...errors },
      },
    },
    "/api/v1/close/print": {
      post: {
        summary: "Print the 日结单 (supervisor)",
        requestBody: { required: false, content: { "application/json": { schema: closePrintBodySchema } } },
        responses: { "200": { description: "The receipt outcome" }, ...errors },
      },
    },
    "/api/v1/events": {
      get: {
        summary: "Server-Sent Events: tap, decision, device (card numbers masked)",
        responses: { "200": { description: "text/event-stream" } },
      },
    },
  };
}
