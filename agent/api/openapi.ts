/** The OpenAPI 3.1 description of the local API, served at /api/v1/openapi.json. */
const errorBody = {
  type: "object",
  required: ["code", "message"],
  properties: { code: { type: "string", example: "CT_BAD_REQUEST" }, message: { type: "string" } },
};

export const saleRequestSchema = {
  type: "object",
  additionalProperties: false,
  required: ["amount"],
  properties: {
    amount: {
      type: "integer",
      minimum: 1,
      maximum: 10_000_000_000,
      description: "Gross amount in minor units (fen): 2500 = ¥25.00",
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
  },
} as const;

export function openApiDocument(version: string): Record<string, unknown> {
  return {
    openapi: "3.1.0",
    info: { title: "cardterm local API", version, description: "The POS app's API on the till (127.0.0.1)." },
    paths: {
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
                      transaction: { type: "object" },
                      balanceAfter: { type: ["integer", "null"] },
                      receipt: { type: ["object", "null"] },
                    },
                  },
                },
              },
            },
            "400": { description: "Malformed request", content: { "application/json": { schema: errorBody } } },
            "408": {
              description: "No card tapped in time (CT_NO_TAP)",
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
          responses: { "200": { description: '{ jobId, printed: true | "queued" | false }' } },
        },
      },
      "/api/v1/openapi.json": {
        get: { summary: "This document", responses: { "200": { description: "OpenAPI 3.1" } } },
      },
    },
  };
}
