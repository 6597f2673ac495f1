/**
 * Till operations that need the server's word (docs/till-operations.md): top-up, refund, void, the
 * balance query, the card operations (card-ops below) and finding a member (member-find). Money coming back to a card is never approved offline — a refund of a
 * sale the till cannot see, or a top-up whose cash the ledger has not recorded, is how
 * stored value gets invented — so these are request/response over MQTT like the online
 * authorisation, exactly once by the till's txnId, and journaled by the till afterwards
 * (mode online) like an online sale.
 *
 * Messages are versioned and validated at both ends (messages.ts style); correlation ids
 * travel in the payload so MQTT 3.1.1 brokers work.
 */
import type { CardSnapshot } from "../rules/card.js";
import type { Minor } from "../rules/money.js";
import { type HoldAsk, type HoldOutcome, holdOutcomeSchema, holdRequestSchema } from "./holds.js";
import type { PaymentMethod } from "./journal-entry.js";
import { type CardOpOutcome, type CardOpRequest, cardOpRequestSchemas, cardOpResultSchema } from "./till-card-ops.js";
import {
  type MemberFindRequest,
  type MemberFindResult,
  memberFindRequestSchema,
  memberFindResultSchema,
} from "./till-member-find.js";

export type { CardOpName, CardOpOutcome, CardOpRequest } from "./till-card-ops.js";
export { CARD_OPS, CARD_STATUS_OPS, isCardOp } from "./till-card-ops.js";

interface OpBase {
  v: 1;
  corr: string;
  terminalId: string;
  operatorId: string;
  businessDay: string;
  at: string;
}

export type TillOpRequest = OpBase &
  (
    | { op: "topup"; txnId: string; cardId: string; amount: Minor; payment: PaymentMethod }
    /**
     * `amount` omitted: all the stored value left to refund of the original sale (0: none,
     * for a refund of uses alone); `uses`: count uses to give back, only when named
     * (server/till/reversals.ts has the rules).
     */
    | { op: "refund"; txnId: string; originalTxnId: string; amount?: Minor; uses?: number }
    | { op: "void"; txnId: string; originalTxnId: string }
    | { op: "balance"; cardId: string }
    | CardOpRequest
    /** Finding a member by exact phone or member id (till-member-find.ts). */
    | MemberFindRequest
    /** Confirming or releasing an online approval's hold (holds.ts). */
    | HoldAsk
  );

export type TillOpName = TillOpRequest["op"];

/** The transaction the server applied, as the till journals it. */
export interface AppliedTxn {
  txnId: string;
  kind: "topup" | "refund" | "void";
  cardId: string;
  gross: Minor;
  discount: Minor;
  net: Minor;
  bonus: Minor;
  pointsEarned: number;
  /**
   * Refund or void: the redeemed points given back and the cash they stood for, and the
   * count uses given back to a package — ≥ 0, absent when none (journal-entry.ts EntryBody).
   */
  pointsRedeemed?: number;
  redeemedMinor?: Minor;
  countPackageId?: string;
  countUses?: number;
  balanceAfter: Minor;
  originalTxnId?: string;
  voidOf?: "sale" | "topup";
  payment?: PaymentMethod;
}

export type TillOpReply =
  /**
   * `appliedSeq`: the highest of this terminal's journal entries the server had applied,
   * read before the card — so the snapshot includes at least those (never fewer), and
   * the till does not count them twice.
   */
  | {
      v: 1;
      corr: string;
      ok: true;
      card: CardSnapshot;
      txn?: AppliedTxn;
      appliedSeq?: number;
      /** A card operation's result (the card above is the card it left in place). */
      cardOp?: CardOpOutcome;
    }
  | { v: 1; corr: string; ok: false; code: TillOpDeclineCode; message: string; card?: CardSnapshot | null };

/**
 * The answer to `find` (till-member-find.ts): members, not one card, so it is not a
 * TillOpReply — whose every success carries the card it acted on, which the till's money
 * and card code relies on. The absent fields are spelled out so code reading any reply
 * (the server's log line) can ask for them.
 */
export interface MemberFoundReply {
  v: 1;
  corr: string;
  ok: true;
  found: MemberFindResult;
  card?: undefined;
  txn?: undefined;
  cardOp?: undefined;
  appliedSeq?: number;
}
export type MemberFindReply = MemberFoundReply | Extract<TillOpReply, { ok: false }>;

/** The answer to `hold` (holds.ts): the hold's state, not a card. */
export interface HoldDoneReply {
  v: 1;
  corr: string;
  ok: true;
  hold: HoldOutcome;
  card?: undefined;
  txn?: undefined;
  cardOp?: undefined;
  appliedSeq?: number;
}
export type HoldReply = HoldDoneReply | Extract<TillOpReply, { ok: false }>;
/** Any reply on `down/op`, as the wire carries it. */
export type TillOpAnyReply = TillOpReply | MemberFoundReply | HoldDoneReply;

/** Why the server refused an operation; stable codes, shown to the cashier in words (decline-text.ts). */
export const TILL_OP_DECLINES = [
  "CARD_NOT_FOUND",
  "CARD_NOT_ACTIVE",
  "NO_POLICY",
  "ORIGINAL_NOT_FOUND",
  "ORIGINAL_NOT_REFUNDABLE",
  "REFUND_TOO_LARGE",
  "VOID_NOT_ALLOWED",
  "INSUFFICIENT_BALANCE",
  "TXN_CONFLICT",
  // Card operations (till-card-ops.ts): what the back office refused, in a cashier's terms.
  "CARD_ALREADY_ISSUED",
  "CARD_STATUS_CONFLICT",
  "MEMBER_NOT_FOUND",
  "CARD_TYPE_UNKNOWN",
  "NOT_A_PRIMARY_CARD",
  "SUB_CARDS_IN_USE",
  "LEVEL_UNCHANGED",
  "CARD_OP_INVALID",
  // The operator head office knows may not do this here (server/till/role-check.ts).
  "OPERATOR_NOT_ALLOWED",
  // This till made too many member lookups lately (server/till/lookup-limit.ts).
  "LOOKUP_LIMIT",
] as const;
export type TillOpDeclineCode = (typeof TILL_OP_DECLINES)[number];

const minor = { type: "integer", minimum: 0, maximum: 10_000_000_000 };
const str = { type: "string", minLength: 1, maxLength: 200 };
const base = {
  v: { const: 1 },
  corr: str,
  terminalId: str,
  operatorId: str,
  businessDay: { type: "string", pattern: "^\\d{4}-\\d\\d-\\d\\d$" },
  at: str,
};
const baseRequired = ["v", "corr", "terminalId", "operatorId", "businessDay", "at", "op"];

export const tillOpRequestSchema = {
  type: "object",
  required: baseRequired,
  oneOf: [
    {
      required: ["txnId", "cardId", "amount", "payment"],
      properties: {
        op: { const: "topup" },
        txnId: str,
        cardId: str,
        amount: { ...minor, minimum: 1 },
        payment: { enum: ["cash", "wechat", "alipay", "bankcard"] },
      },
    },
    {
      required: ["txnId", "originalTxnId"],
      properties: {
        op: { const: "refund" },
        txnId: str,
        originalTxnId: str,
        amount: minor,
        uses: { type: "integer", minimum: 1, maximum: 1000 },
      },
    },
    { required: ["txnId", "originalTxnId"], properties: { op: { const: "void" }, txnId: str, originalTxnId: str } },
    { required: ["cardId"], properties: { op: { const: "balance" }, cardId: str } },
    ...cardOpRequestSchemas,
    memberFindRequestSchema,
    holdRequestSchema,
  ],
  properties: base,
};

export const tillOpReplySchema = {
  type: "object",
  required: ["v", "corr", "ok"],
  properties: { v: { const: 1 }, corr: str, ok: { type: "boolean" } },
  if: { properties: { ok: { const: true } } },
  // biome-ignore lint/suspicious/noThenProperty: JSON Schema if/then/else, not a thenable
  then: {
    // A card for every operation but `find`, which answers with the members found, and `hold`.
    anyOf: [{ required: ["card"] }, { required: ["found"] }, { required: ["hold"] }],
    properties: {
      card: { type: "object" },
      txn: { type: "object" },
      cardOp: cardOpResultSchema,
      found: memberFindResultSchema,
      hold: holdOutcomeSchema,
    },
  },
  else: { required: ["code", "message"], properties: { code: { enum: [...TILL_OP_DECLINES] }, message: str } },
};
