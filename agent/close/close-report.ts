/**
 * The daily close (日结) report: plain data, integer fen, no layout. What the printed
 * 日结单, the CSV and the XLSX show is mapped from this one shape, so the three never
 * disagree. docs/daily-close.md says what each figure means.
 */
import type { PaymentMethod, TxnKind, TxnMode } from "../../protocol/journal-entry.js";
import type { Minor } from "../../rules/money.js";

/** Sums over a group of journal entries; every field is a plain sum of the entries' own fields. */
export interface Totals {
  count: number;
  gross: Minor;
  discount: Minor;
  /** Stored value moved as the entries record it (always ≥ 0; the kind gives the direction). */
  net: Minor;
  bonus: Minor;
  /** Stored value put on cards (positive balanceDelta) and taken off them (negative, as a positive sum). */
  credit: Minor;
  debit: Minor;
  /** credit − debit: the net movement of stored value. */
  balanceChange: Minor;
  /**
   * Points given (refunds and voids take them back: negative) and points spent as cash with
   * their cash value (refunds and voids give them back: negative), so sums are net.
   */
  pointsEarned: number;
  pointsRedeemed: number;
  redeemedMinor: Minor;
}

/** A top-up's payment method; "unspecified" for an entry written before payments were recorded. */
export type PaymentKey = PaymentMethod | "unspecified";

/** Top-up takings by payment method: top-ups, the voids of top-ups, and what stands. */
export interface PaymentTotals {
  payment: PaymentKey;
  topups: { count: number; paid: Minor; bonus: Minor };
  voided: { count: number; paid: Minor; bonus: Minor };
  /** Top-ups that stand (top-ups − their voids) and the money kept for them. */
  takings: { count: number; paid: Minor };
}

export interface KindTotals extends Totals {
  kind: TxnKind;
}

export interface OperatorTotals {
  operatorId: string;
  total: Totals;
  byKind: KindTotals[];
}

/** One transaction as the exports list it (card number masked, never the full one). */
export interface CloseTxn {
  seq: number;
  txnId: string;
  at: string;
  kind: TxnKind;
  voidOf: "sale" | "topup" | null;
  mode: TxnMode;
  operatorId: string;
  card: string;
  gross: Minor;
  discount: Minor;
  net: Minor;
  bonus: Minor;
  balanceChange: Minor;
  pointsEarned: number;
  /** Points spent as cash; negative when a refund or void gave them back. */
  pointsRedeemed: number;
  payment: PaymentKey | null;
  originalTxnId: string | null;
  synced: boolean;
}

export interface DailyCloseReport {
  format: 1;
  terminalId: string;
  businessDay: string;
  /** When it was built. Kept out of the CSV and XLSX so a rerun gives the same bytes. */
  generatedAt: string;
  /** The server had acknowledged every entry up to this sequence number when it was built. */
  ackedSeq: number;
  firstTxnAt: string | null;
  lastTxnAt: string | null;
  firstSeq: number | null;
  lastSeq: number | null;
  total: Totals;
  /** Every kind, in TXN_KINDS order, zero rows included (a missing row reads as a mistake). */
  byKind: KindTotals[];
  /** Voids split by what they cancelled. */
  voids: { sale: Totals; topup: Totals };
  /** Operators in code-point order of their ids. */
  byOperator: OperatorTotals[];
  /** Payment methods that saw a top-up or a void of one, in PAYMENT_METHODS order. */
  byPayment: PaymentTotals[];
  byMode: Record<TxnMode, Totals>;
  /** Entries the server has not acknowledged yet (seq > ackedSeq). */
  unsynced: Totals & { firstSeq: number | null };
  /** Bonus given net of voided top-ups' bonus. */
  bonusGiven: Minor;
  /**
   * Count-card uses (次卡核销): the sales that used a package and the uses they took, and
   * the uses refunds and voids gave back (of this day's sales or earlier ones).
   */
  countUses: { count: number; uses: number; givenBack: number };
  /** Entries seen twice under one txnId (counted once); should always be 0. */
  duplicatesDropped: number;
  transactions: CloseTxn[];
}

export const ZERO: Totals = Object.freeze({
  count: 0,
  gross: 0,
  discount: 0,
  net: 0,
  bonus: 0,
  credit: 0,
  debit: 0,
  balanceChange: 0,
  pointsEarned: 0,
  pointsRedeemed: 0,
  redeemedMinor: 0,
});
