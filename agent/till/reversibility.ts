/**
 * What can still be given back of each transaction in a day's list (docs/till-operations.md),
 * computed from the till's journal with the server's rules (server/till/reversals.ts) so the
 * void screen need not guess from amounts:
 * - a void cancels a whole sale or top-up of today's business day, once, and only when
 *   nothing of it was refunded; a refund or a void is not voided itself;
 * - the server must hold the original: an offline sale still waiting in the journal
 *   (past the server's ack) cannot be found there yet;
 * - `refundable`: what is left of a sale's stored-value debit after refunds and a void.
 * The server still has the last word (e.g. a top-up already spent cannot be voided).
 */
import type { JournalEntry } from "../../protocol/journal-entry.js";

/** Why a transaction cannot be voided now; null when it can. */
export type NotVoidable =
  | "reversal" // a refund or void itself
  | "voided" // voided already
  | "refunded" // refunded in part or whole: refund the rest instead
  | "otherDay" // not of today's business day: refund it instead
  | "notSynced" // an offline transaction the server has not received yet
  | null;

export interface Reversibility {
  voidable: boolean;
  notVoidable: NotVoidable;
  /** Fen of a sale's stored value left to refund; 0 for anything else. */
  refundable: number;
}

/**
 * `entries`: one business day's; `isToday`: whether that day is the till's business day
 * now; `ackedSeq`: the journal point the server has applied.
 */
export function reversibility(
  entries: readonly JournalEntry[],
  isToday: boolean,
  ackedSeq: number,
): Map<string, Reversibility> {
  const given = new Map<string, { net: number; voided: boolean; refunded: boolean }>();
  for (const e of entries) {
    if (!e.originalTxnId) continue;
    const g = given.get(e.originalTxnId) ?? { net: 0, voided: false, refunded: false };
    g.net += e.net;
    if (e.kind === "void") g.voided = true;
    if (e.kind === "refund") g.refunded = true;
    given.set(e.originalTxnId, g);
  }
  const out = new Map<string, Reversibility>();
  for (const e of entries) {
    const g = given.get(e.txnId);
    const notVoidable: NotVoidable =
      e.kind === "refund" || e.kind === "void"
        ? "reversal"
        : g?.voided
          ? "voided"
          : g?.refunded
            ? "refunded"
            : !isToday
              ? "otherDay"
              : e.mode === "offline" && e.seq > ackedSeq
                ? "notSynced"
                : null;
    const refundable = e.kind === "sale" ? Math.max(0, e.net - (g?.net ?? 0)) : 0;
    out.set(e.txnId, { voidable: notVoidable === null, notVoidable, refundable });
  }
  return out;
}
