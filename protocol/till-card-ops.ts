/**
 * Card operations at the till ("card events", docs/architecture.md#the-domain): issue (发卡) to a new
 * or an existing member, sub-card (附属卡), loss / unloss (挂失 / 解挂), freeze /
 * unfreeze (冻结 / 解冻), recycle (回收), replace (补卡) and level change (升降级).
 *
 * Each is decided by the server's back office, online only: a card's status is the
 * chain's, not one till's, and a till that issued or unblocked cards by itself could hand
 * out a card another till has just reported lost. They travel as till operations
 * (till-ops.ts: `up/op` → `down/op`, correlation id in the payload).
 *
 * Exactly once by `requestId`: the server keeps each applied request with a fingerprint of
 * its fields, so a retry (a lost reply, a POS app resending with the same idempotency
 * key) gets the stored outcome and changes nothing again; the same id with other fields is
 * refused (TXN_CONFLICT). No money moves in any of them — the balance of a replaced card
 * belongs to the account, which the new card takes over.
 */
import type { CardSnapshot } from "../rules/card.js";
import type { Minor } from "../rules/money.js";

export const CARD_STATUS_OPS = ["loss", "unloss", "freeze", "unfreeze", "recycle"] as const;
export const CARD_OPS = ["issue", "subcard", ...CARD_STATUS_OPS, "replace", "level"] as const;
export type CardStatusOp = (typeof CARD_STATUS_OPS)[number];
export type CardOpName = (typeof CARD_OPS)[number];

export function isCardOp(op: string): op is CardOpName {
  return (CARD_OPS as readonly string[]).includes(op);
}

/** A member taken down at the till: the server gives the member id. */
export interface TillNewMember {
  name: string;
  phone?: string;
  /** MM-DD (the year is not kept). */
  birthday?: string;
}

interface CardOpBase {
  /** The till's id for this request; the server applies each once per terminal. */
  requestId: string;
  /** The card the operation is on: the new card for issue and sub-card. */
  cardId: string;
}

export type CardOpRequest = CardOpBase &
  /** Exactly one of `member` (a new member) and `memberId` (a new account of an existing member). */
  (
    | { op: "issue"; cardType: string; member?: TillNewMember; memberId?: string; pin?: string }
    /** A card sharing the account of `primaryCardId`; its limits in fen, absent = none. */
    | {
        op: "subcard";
        primaryCardId: string;
        perTxnLimit?: Minor;
        dailyLimit?: Minor;
        pin?: string;
      }
    | { op: CardStatusOp; note?: string }
    /** The old card is `cardId`; the account (balance, points, packages) goes on with the new one. */
    | { op: "replace"; newCardId: string; note?: string }
    | { op: "level"; cardType: string; note?: string }
  );

/** What a card operation did, beside the reply's `card` (the card it left in place). */
export interface CardOpOutcome {
  op: CardOpName;
  requestId: string;
  /** replace: the old card, now replaced; subcard: the primary card. */
  other?: CardSnapshot;
  /** issue: the member the card belongs to (new members get their id here). */
  memberId?: string;
  /** level: the card type before the change. */
  fromCardType?: string;
  /** The hotlist version holding the change; null when the hotlist did not change. */
  hotlistVersion: number | null;
  /** Whether each card of the reply is on the hotlist now: the till marks it at once. */
  hotlisted: Record<string, boolean>;
  /** The request id had been applied before: this is its stored outcome; nothing was done again. */
  replayed: boolean;
}

const str = { type: "string", minLength: 1, maxLength: 200 };
const note = { type: "string", maxLength: 200 };
const pin = { type: "string", pattern: "^[0-9]{4,12}$" };
const limit = { type: "integer", minimum: 0, maximum: 10_000_000_000 };
const member = {
  type: "object",
  additionalProperties: false,
  required: ["name"],
  properties: {
    name: { type: "string", minLength: 1, maxLength: 100 },
    phone: { type: "string", maxLength: 30 },
    birthday: { type: "string", pattern: "^\\d\\d-\\d\\d$" },
  },
};
const base = ["requestId", "cardId"];

/** The `oneOf` branches till-ops.ts adds to its request schema. */
export const cardOpRequestSchemas = [
  {
    required: [...base, "cardType"],
    properties: { op: { const: "issue" }, requestId: str, cardId: str, cardType: str, member, memberId: str, pin },
    // A new member or an existing one, never both and never neither.
    oneOf: [
      { required: ["member"], not: { required: ["memberId"] } },
      { required: ["memberId"], not: { required: ["member"] } },
    ],
  },
  {
    required: [...base, "primaryCardId"],
    properties: {
      op: { const: "subcard" },
      requestId: str,
      cardId: str,
      primaryCardId: str,
      perTxnLimit: limit,
      dailyLimit: limit,
      pin,
    },
  },
  { required: base, properties: { op: { enum: [...CARD_STATUS_OPS] }, requestId: str, cardId: str, note } },
  {
    required: [...base, "newCardId"],
    properties: { op: { const: "replace" }, requestId: str, cardId: str, newCardId: str, note },
  },
  {
    required: [...base, "cardType"],
    properties: { op: { const: "level" }, requestId: str, cardId: str, cardType: str, note },
  },
];

export const cardOpResultSchema = {
  type: "object",
  required: ["op", "requestId", "hotlistVersion", "hotlisted", "replayed"],
  properties: {
    op: { enum: [...CARD_OPS] },
    requestId: str,
    other: { type: "object" },
    memberId: str,
    fromCardType: str,
    hotlistVersion: { anyOf: [{ type: "integer", minimum: 0 }, { type: "null" }] },
    hotlisted: { type: "object", additionalProperties: { type: "boolean" } },
    replayed: { type: "boolean" },
  },
};
