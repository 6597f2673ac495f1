/**
 * What each receipt template prints: plain data, no layout. Money is integer fen, times
 * ISO-8601, card ids unmasked (the templates mask them: full numbers never reach paper).
 * These shapes are also what the print queue stores, so a receipt can be printed again,
 * marked REPRINT, days later.
 */
import type { CardId } from "../../rules/card.js";
import type { Minor } from "../../rules/money.js";

/** What every transaction receipt carries. */
export interface TxnReceiptBase {
  storeName: string;
  terminalId: string;
  operatorId: string;
  txnId: string;
  /** The terminal's journal sequence number. */
  seq: number;
  /** ISO-8601 time of approval. */
  at: string;
  cardId: CardId;
  memberName: string | null;
  cardTypeName: string | null;
  mode: "online" | "offline";
  reprint?: boolean;
}

export interface SaleReceiptData extends TxnReceiptBase {
  gross: Minor;
  discount: Minor;
  /** Stored value debited. */
  net: Minor;
  pointsEarned: number;
  /** Points used to pay part of the sale (积分抵扣), and what they were worth. */
  pointsRedeemed?: number;
  redeemedValue?: Minor;
  /** Balance after the sale as the server reported it; null offline (not known for sure). */
  balanceAfter: Minor | null;
  /** Points after the sale, when known. */
  pointsAfter?: number | null;
  /** A count-card use made with the sale (a sale of 0 yuan with only a use prints the count-use receipt). */
  countUse?: { service: string; used: number; remaining: number; expiresOn: string | null };
}

export type PaymentMethod = "cash" | "bankCard" | "wechat" | "alipay" | "other";

export interface TopUpReceiptData extends TxnReceiptBase {
  /** What the member paid. */
  paid: Minor;
  /** Stored value given on top (充 1000 送 100). */
  bonus: Minor;
  bonusPoints: number;
  payment: PaymentMethod;
  balanceAfter: Minor | null;
}

export interface ReversalReceiptData extends TxnReceiptBase {
  /** refund: money back for goods returned; void: the whole transaction cancelled. */
  kind: "refund" | "void";
  originalTxnId: string;
  /** Stored value given back to the card (refund of a sale) or taken back (void of a top-up). */
  amount: Minor;
  /** The account's points moved in all: earned points taken back (−), redeemed points given back (+). */
  pointsChange: number;
  /** Points the sale redeemed as cash (积分抵扣) given back, and the cash they stood for. */
  pointsReturned?: number;
  pointsReturnedValue?: Minor;
  /** Count-card uses given back: the service, how many, and the uses left after (when known). */
  usesReturned?: { service: string; uses: number; remaining: number | null };
  /** Points after, when known (online: the server's figure). */
  pointsAfter?: number | null;
  /** Where the money goes: back on the card, or cash from the drawer. */
  refundTo: "card" | "cash";
  balanceAfter: Minor | null;
  reason?: string;
  /** Who authorised it (refunds and voids need a supervisor). */
  supervisorId?: string;
}

export interface CountPackage {
  service: string;
  remaining: number;
  /** YYYY-MM-DD, or null for no expiry. */
  expiresOn: string | null;
}

export interface CountUseReceiptData extends TxnReceiptBase {
  service: string;
  used: number;
  remaining: number;
  expiresOn: string | null;
}

export interface BalanceReceiptData {
  storeName: string;
  terminalId: string;
  operatorId: string;
  /** ISO-8601 time of the query. */
  at: string;
  cardId: CardId;
  memberName: string | null;
  cardTypeName: string | null;
  balance: Minor | null;
  points: number | null;
  packages: CountPackage[];
  /** online: the server answered; cached: the terminal's copy from `asOf`. */
  source: "online" | "cached";
  asOf: string | null;
  reprint?: boolean;
}

export const CARD_EVENTS = [
  "issue",
  "loss",
  "unloss",
  "freeze",
  "unfreeze",
  "replace",
  "recycle",
  "levelChange",
] as const;
export type CardEvent = (typeof CARD_EVENTS)[number];

export interface CardEventReceiptData extends TxnReceiptBase {
  event: CardEvent;
  /** replace: the new card; the old one is `cardId`. */
  newCardId?: CardId;
  /** replace: stored value moved to the new card. */
  balanceMoved?: Minor;
  /** levelChange: card type names before and after. */
  fromLevel?: string;
  toLevel?: string;
  /** issue: deposit taken; recycle: deposit returned (cash). */
  deposit?: Minor;
  /** issue: opening stored value. */
  openingBalance?: Minor;
  reason?: string;
  supervisorId?: string;
}

export const TXN_KINDS = ["sale", "topup", "refund", "void", "countUse", "cardEvent"] as const;
export type ReportTxnKind = (typeof TXN_KINDS)[number];

export interface Tally {
  count: number;
  /**
   * Fen. For one transaction type (and a payment method): its amount, positive. Where
   * types mix (operator, online/offline, not uploaded): the signed change of members'
   * stored value — a sale and its void net to 0, never add up to twice the sale.
   */
  amount: Minor;
}

/**
 * The daily close report (日结单) for one terminal and business day. The totals are
 * computed elsewhere (a later issue); the template only prints them.
 */
export interface DailyCloseReceiptData {
  storeName: string;
  terminalId: string;
  operatorId: string;
  /** YYYY-MM-DD. */
  businessDay: string;
  /** ISO-8601 time the report was made. */
  at: string;
  firstTxnAt: string | null;
  lastTxnAt: string | null;
  byKind: ({ kind: ReportTxnKind } & Tally)[];
  byOperator: ({ operatorId: string } & Tally)[];
  /** Top-up takings by how the member paid. */
  byPayment: ({ payment: PaymentMethod } & Tally)[];
  online: Tally;
  offline: Tally;
  /** Not yet acknowledged by the central server. */
  unsynced: Tally;
  bonusGiven: Minor;
  pointsEarned: number;
  pointsRedeemed: number;
  reprint?: boolean;
}

export interface SelfTestReceiptData {
  storeName: string;
  terminalId: string;
  /** ISO-8601 time the page was printed. */
  at: string;
  agentVersion: string;
  configFile: string;
  hostname: string;
  addresses: string[];
  readers: { id: string; type: string; state: string }[];
  broker: { url: string; connected: boolean | null };
  server: { lastContactAt: string | null };
  printer: { type: string; paperWidth: number; charset: string; drawer: string };
  journalPending: number | null;
  receiptsQueued: number | null;
  /** `cardterm doctor --print`: the doctor's rows, printed under the page's own lines. */
  doctor?: SelfTestDoctorRow[];
  reprint?: boolean;
}

/** One `cardterm doctor` row on the self-test page: what was checked, the verdict, and for a failure its code. */
export interface SelfTestDoctorRow {
  label: string;
  verdict: "PASS" | "WARN" | "FAIL" | "SKIP";
  detail: string;
  code?: string;
}

/** A receipt to print: which template, with its data. The print queue stores exactly this. */
export type ReceiptRequest =
  | { template: "sale"; data: SaleReceiptData }
  | { template: "topup"; data: TopUpReceiptData }
  | { template: "reversal"; data: ReversalReceiptData }
  | { template: "count-use"; data: CountUseReceiptData }
  | { template: "balance"; data: BalanceReceiptData }
  | { template: "card-event"; data: CardEventReceiptData }
  | { template: "daily-close"; data: DailyCloseReceiptData }
  | { template: "self-test"; data: SelfTestReceiptData };

export type ReceiptTemplate = ReceiptRequest["template"];
