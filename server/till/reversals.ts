/**
 * What a refund or a void gives back (退款 / 撤销), decided from the original
 * transaction and what earlier reversals already gave — pure, so the rules read in one
 * place:
 * - a refund returns part or all of a sale's stored-value debit, never more than is left;
 *   the points the sale earned go back in proportion, rounded down (the member keeps no
 *   point for money returned);
 * - a void cancels a whole sale or top-up on its own business day, once, and only if
 *   nothing of it was refunded; voiding a top-up takes back the money and the bonus, so
 *   the account must still hold them.
 */
import type { CardSnapshot } from "../../protocol/card.js";
import { mulDivFloor } from "../../protocol/money.js";
import type { AppliedTxn, TillOpDeclineCode, TillOpRequest } from "../../protocol/till-ops.js";
import type { StoredTxn } from "../ledger/transactions.js";

type Plan = { ok: true; txn: AppliedTxn } | { ok: false; code: TillOpDeclineCode; message: string };

export function reversalOf(
  req: Extract<TillOpRequest, { op: "refund" | "void" }>,
  original: StoredTxn,
  given: { net: number; points: number; voided: boolean },
  card: CardSnapshot,
): Plan {
  if (given.voided) return no("ORIGINAL_NOT_REFUNDABLE", `transaction ${original.txnId} was voided already`);
  if (original.kind !== "sale" && original.kind !== "topup")
    return no("ORIGINAL_NOT_REFUNDABLE", `a ${original.kind} cannot be given back`);
  return req.op === "refund" ? refund(req, original, given, card) : voidOf(req, original, given, card);
}

function refund(
  req: Extract<TillOpRequest, { op: "refund" }>,
  original: StoredTxn,
  given: { net: number; points: number },
  card: CardSnapshot,
): Plan {
  if (original.kind !== "sale")
    return no("ORIGINAL_NOT_REFUNDABLE", "only a sale can be refunded; void a top-up instead");
  const left = original.net - given.net;
  if (left <= 0) return no("ORIGINAL_NOT_REFUNDABLE", `sale ${original.txnId} is refunded in full already`);
  const amount = req.amount ?? left;
  if (amount > left) return no("REFUND_TOO_LARGE", `at most ${left} fen of sale ${original.txnId} is left to refund`);
  // Points back in proportion; the last refund takes exactly what is left, so rounding never strands a point.
  const pointsLeft = original.points + given.points; // given.points ≤ 0
  const points =
    amount === left ? pointsLeft : Math.min(pointsLeft, mulDivFloor(original.points, amount, original.net));
  return {
    ok: true,
    txn: {
      txnId: req.txnId,
      kind: "refund",
      cardId: original.cardId,
      gross: amount,
      discount: 0,
      net: amount,
      bonus: 0,
      pointsEarned: -points,
      balanceAfter: card.balance + amount,
      originalTxnId: original.txnId,
    },
  };
}

function voidOf(
  req: Extract<TillOpRequest, { op: "void" }>,
  original: StoredTxn,
  given: { net: number },
  card: CardSnapshot,
): Plan {
  if (original.businessDay !== req.businessDay)
    return no("VOID_NOT_ALLOWED", `only a transaction of today's business day can be voided; refund it instead`);
  if (given.net > 0) return no("VOID_NOT_ALLOWED", `part of ${original.txnId} was refunded already; refund the rest`);
  const kind = original.kind as "sale" | "topup";
  const delta = kind === "sale" ? original.net : -(original.net + original.bonus);
  if (card.balance + delta < 0)
    return no("INSUFFICIENT_BALANCE", "the top-up has been spent already: the account cannot give it back");
  return {
    ok: true,
    txn: {
      txnId: req.txnId,
      kind: "void",
      cardId: original.cardId,
      gross: original.gross,
      discount: original.discount,
      net: original.net,
      bonus: original.bonus,
      pointsEarned: -original.points,
      balanceAfter: card.balance + delta,
      originalTxnId: original.txnId,
      voidOf: kind,
    },
  };
}

function no(code: TillOpDeclineCode, message: string): Plan {
  return { ok: false, code, message };
}
