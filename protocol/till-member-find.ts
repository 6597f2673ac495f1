/**
 * Finding a member at the till (会员查询): a member who lost their card cannot
 * tap it, so the cashier finds the card by the member's phone number or member number to
 * report it lost. Decided by the server's back office like the card operations (till-ops.ts:
 * `up/op` → `down/op`), since the till holds only the cards it has seen.
 *
 * A till must not become a phone directory of the chain's members, so:
 * - only an exact, whole phone number or an exact member id is looked up — never a prefix,
 *   never part of a name (a name search would list strangers sharing a surname);
 * - at most MEMBER_FIND_LIMIT members come back, and `more` says there were others;
 * - phone numbers leave the server masked (maskPhone): the member confirms the number,
 *   the cashier never reads it back off the screen;
 * - the server writes each lookup to its audit log (who, which till, what was searched,
 *   the phone masked) and checks the operator's `memberFind` permission (rules/roles.ts).
 */
import type { CardId, CardStatus } from "../rules/card.js";
import type { Minor } from "../rules/money.js";

/** Members sent back at most: a phone number normally belongs to one member. */
export const MEMBER_FIND_LIMIT = 5;
/** Cards sent per member at most (primaries and sub-cards of all their accounts). */
export const MEMBER_CARDS_LIMIT = 20;

/**
 * Lookups one till may make in a rolling window, enforced by the server
 * (server/till/lookup-limit.ts): enough for a busy counter finding lost cards, far too few
 * to walk through phone numbers. `max` 0 turns the limit off.
 */
export interface MemberLookupLimit {
  max: number;
  windowMs: number;
}
export const DEFAULT_MEMBER_LOOKUP_LIMIT: MemberLookupLimit = { max: 30, windowMs: 10 * 60_000 };

/** Exactly one of the two. */
export interface MemberFindRequest {
  op: "find";
  /** A whole phone number as digits, optionally with a leading +; matched exactly. */
  phone?: string;
  /** A member id (会员号), matched exactly. */
  memberId?: string;
}

export interface FoundCard {
  cardId: CardId;
  cardType: string;
  status: CardStatus;
  /** null for a primary card; the primary's id for a sub-card (附属卡). */
  primaryCardId: CardId | null;
  /** The account's stored value, fen — shared by a primary and its sub-cards. */
  balance: Minor;
  points: number;
  /** On the server's hotlist now (lost, frozen…): refused at every till. */
  hotlisted: boolean;
}

export interface FoundMember {
  memberId: string;
  name: string;
  /** Masked (138****0001), or null when head office has no phone for the member. */
  phone: string | null;
  /**
   * The member's level: the card type of their first active primary card, else of their
   * first primary card (a lost card does not take the level away); null with no card.
   */
  level: string | null;
  cards: FoundCard[];
  /** The member has more cards than MEMBER_CARDS_LIMIT; the rest are at head office. */
  moreCards: boolean;
}

export interface MemberFindResult {
  members: FoundMember[];
  /** More members matched than were sent. */
  more: boolean;
}

const PHONE = /^\+?[0-9]{5,20}$/;

/**
 * A phone number as head office stores it (server/backoffice/validate.ts optionalPhone):
 * spaces and dashes dropped; null when it is not a phone number.
 */
export function normalisePhone(text: string): string | null {
  const digits = text.replace(/[\s-]/g, "");
  return PHONE.test(digits) ? digits : null;
}

/**
 * `13800000001` → `138****0001`: the last four digits (two for a short number), and the
 * first three of a mobile-length number, enough for the member to confirm it is theirs.
 */
export function maskPhone(phone: string): string {
  const plus = phone.startsWith("+") ? "+" : "";
  const digits = phone.slice(plus.length);
  const end = digits.length >= 8 ? 4 : digits.length >= 5 ? 2 : 0;
  const start = digits.length >= 11 ? 3 : 0;
  const hidden = Math.max(0, digits.length - start - end);
  return `${plus}${digits.slice(0, start)}${"*".repeat(hidden)}${digits.slice(digits.length - end)}`;
}

const str = { type: "string", minLength: 1, maxLength: 200 };

/** The `oneOf` branch till-ops.ts adds to its request schema. */
export const memberFindRequestSchema = {
  required: ["op"],
  properties: {
    op: { const: "find" },
    phone: { type: "string", pattern: PHONE.source },
    memberId: { type: "string", pattern: "^[A-Za-z0-9_-]{1,64}$" },
  },
  oneOf: [
    { required: ["phone"], not: { required: ["memberId"] } },
    { required: ["memberId"], not: { required: ["phone"] } },
  ],
};

const foundCardSchema = {
  type: "object",
  required: ["cardId", "cardType", "status", "primaryCardId", "balance", "points", "hotlisted"],
  properties: {
    cardId: str,
    cardType: str,
    status: { type: "string" },
    primaryCardId: { anyOf: [str, { type: "null" }] },
    balance: { type: "integer" },
    points: { type: "integer" },
    hotlisted: { type: "boolean" },
  },
};

/**
 * The reply's `found`. The wire bounds are looser than the server's limits, so a head
 * office that raises them does not make older tills drop its replies.
 */
export const memberFindResultSchema = {
  type: "object",
  required: ["members", "more"],
  properties: {
    members: {
      type: "array",
      maxItems: 50,
      items: {
        type: "object",
        required: ["memberId", "name", "phone", "level", "cards", "moreCards"],
        properties: {
          memberId: str,
          name: str,
          phone: { anyOf: [{ type: "string", maxLength: 30 }, { type: "null" }] },
          level: { anyOf: [str, { type: "null" }] },
          cards: { type: "array", maxItems: 200, items: foundCardSchema },
          moreCards: { type: "boolean" },
        },
      },
    },
    more: { type: "boolean" },
  },
};
