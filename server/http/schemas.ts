/**
 * JSON schemas of the head-office API's bodies: fastify validates requests with them and
 * openapi.ts publishes them, so the document cannot drift from what is enforced. Amounts
 * are integers in fen (2500 = ¥25.00); unknown fields are refused, never dropped.
 */
import { messageSchema } from "../../protocol/messages.js";

const minor = { type: "integer", minimum: 0, maximum: 10_000_000_000, description: "Fen: 2500 = ¥25.00" } as const;
const limit = { anyOf: [minor, { type: "null" }], description: "Fen; null = no limit" } as const;
const text = { type: "string", minLength: 1, maxLength: 100 } as const;
const id = { type: "string", pattern: "^[A-Za-z0-9_-]{1,64}$" } as const;
export const cardIdSchema = {
  type: "string",
  pattern: "^(ic|id|qr|sim):[0-9A-Za-z_-]{1,64}$",
  description: "ic:04A1B2C3, id:0012345678…",
} as const;
const pin = {
  type: "string",
  pattern: "^[0-9]{4,12}$",
  description: "4–12 digits; stored only as a scrypt hash",
} as const;
const phone = { anyOf: [{ type: "string", maxLength: 30 }, { type: "null" }] } as const;
const birthday = {
  anyOf: [{ type: "string", pattern: "^[0-9]{2}-[0-9]{2}$" }, { type: "null" }],
  description: "MM-DD",
} as const;
const note = { type: "string", maxLength: 200, description: "Why, kept in the audit log" } as const;

const obj = (required: string[], properties: Record<string, unknown>) =>
  ({ type: "object", additionalProperties: false, required, properties }) as const;

export const newMemberSchema = obj(["name"], { memberId: id, name: text, phone, birthday });
export const memberUpdateSchema = obj([], { name: text, phone, birthday });
export const cardIssueSchema = obj(["cardId"], {
  cardId: cardIdSchema,
  cardType: { type: "string", minLength: 1, maxLength: 64 },
  member: newMemberSchema,
  memberId: id,
  accountId: id,
  primaryCardId: cardIdSchema,
  perTxnLimit: limit,
  dailyLimit: limit,
  pin,
});
export const statusChangeSchema = obj([], { note });
export const replaceSchema = obj(["newCardId"], { newCardId: cardIdSchema, pin, note });
export const levelSchema = obj(["cardType"], { cardType: { type: "string", minLength: 1, maxLength: 64 }, note });
export const limitsSchema = obj(["perTxnLimit", "dailyLimit"], { perTxnLimit: limit, dailyLimit: limit });
export const topUpSchema = obj(["amount"], {
  amount: { ...minor, minimum: 1 },
  txnId: {
    type: "string",
    pattern: "^hq-[A-Za-z0-9_-]{1,80}$",
    description: "Idempotency key: a retry with the same txnId credits once",
  },
  businessDay: { type: "string", pattern: "^[0-9]{4}-[0-9]{2}-[0-9]{2}$" },
});
export const packageGrantSchema = obj(["service", "uses"], {
  service: text,
  uses: { type: "integer", minimum: 1, maximum: 1000, description: "Uses of the service in the package" },
  expiresOn: {
    anyOf: [{ type: "string", pattern: "^[0-9]{4}-[0-9]{2}-[0-9]{2}$" }, { type: "null" }],
    description: "Last business day it may be used (YYYY-MM-DD); null = no expiry",
  },
  price: { anyOf: [minor, { type: "null" }], description: "What the member paid, fen; null = granted free" },
  packageId: id,
});
export const newOperatorSchema = obj(["operatorId", "storeId", "name", "role", "pin"], {
  operatorId: id,
  storeId: id,
  name: text,
  role: { enum: ["cashier", "supervisor", "technician"] },
  pin,
  cardUid: { type: "string", pattern: "^((ic|id):)?[0-9A-Za-z]{4,40}$", description: "The operator card's uid" },
  terminals: {
    type: "array",
    minItems: 1,
    maxItems: 100,
    items: id,
    description: "Only these tills of the store; absent = all of them",
  },
});
export const operatorPinSchema = obj(["pin"], { pin });
/**
 * A policy document: the schema tills read it with (protocol/messages.ts), closed. Tills
 * must take fields they do not know (a newer head office may add some), but the publisher
 * must not send one by mistake: a misspelt "pointRedemption" would publish a card type
 * on which points can never pay. Version optional: the current one + 1.
 */
export const policySchema = (() => {
  const closed = closedObjects(messageSchema("policy")) as Record<string, unknown> & { required: string[] };
  return {
    ...closed,
    required: closed.required.filter((k) => k !== "version"),
    description: "A policy document (rules/policy.ts); version optional = current + 1",
  };
})();

/** A copy of `schema` where every object with named fields takes no other field. */
function closedObjects(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(closedObjects);
  if (schema === null || typeof schema !== "object") return schema;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(schema)) {
    // Property names are not schemas; their values are.
    out[k] = k === "properties" ? mapValues(v as Record<string, unknown>) : closedObjects(v);
  }
  if ("properties" in out && !("additionalProperties" in out)) out.additionalProperties = false;
  return out;
}

function mapValues(props: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(props).map(([k, v]) => [k, closedObjects(v)]));
}

/** An operation that takes no body: nothing or `{}`. */
export const noBodySchema = obj([], {});

export const errorSchema = {
  type: "object",
  required: ["code", "message"],
  properties: {
    code: { type: "string", example: "CT_CONFLICT" },
    message: { type: "string" },
    field: {
      type: "string",
      description:
        "With CT_BAD_REQUEST: the field refused (amount, member.phone, an unknown field's name). Types are never coerced and unknown fields never dropped",
      example: "amount",
    },
  },
} as const;
