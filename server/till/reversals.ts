/**
 * What a refund or a void gives back (退款 / 撤销), decided from the original
 * transaction and what earlier refunds already gave — pure, so the rules read in one
 * place (docs/till-operations.md says the same for cashiers and head office):
 *
 * Void — a sale or top-up of the same business day, whole, once, and only if no refund
 * of it was made (a refund of money, points or uses alike):
 * - a sale gets back exactly what it took: its stored value (`net`), the points it
 *   redeemed (with the cash they stood for) and the count uses it took; the points it
 *   earned are taken back;
 * - a top-up's money and bonus are taken back (the account must still hold them), with
 *   its bonus points.
 *
 * Refund — a sale only, in parts if wanted, until nothing is left:
 * - stored value: `amount` fen (omitted: all that is left), never more than the sale's
 *   `net` less what earlier refunds gave back;
 * - the refunded share of the sale is the stored value refunded so far, this refund
 *   included, over the sale's `net` (a sale that took no stored value — paid all in points
 *   or uses — has its money part refunded whole by its first refund);
 * - points move by that share, cumulatively, rounded down: after any refund,
 *   floor(points × share) of the earned points have been taken back and
 *   floor(redeemed × share) of the redeemed points given back in all, and each refund moves
 *   what that floor grew by. So no sequence of partial refunds gives back more points
 *   than were redeemed or takes back more than were earned, and the refund that completes
 *   the money moves exactly what is left: no point is stranded. Rounding down is the
 *   points rule everywhere (rules/money.ts mulDivFloor); the cash value of the points
 *   given back follows them at the sale's own rate;
 * - count uses go back only when asked (`uses`): money is refunded for goods returned,
 *   while whether a service was in fact not given is the cashier's call, never implied.
 *   Whole uses, at most those the sale took less those already given back;
 * - a refund that would give nothing back is refused.
 *
 * The applied transaction carries what moved as ≥ 0 figures (`net`, `pointsRedeemed`,
 * `redeemedMinor`, `countUses`) whose direction its kind gives (protocol/journal-entry.ts
 * balanceDelta, pointsDelta, usesDelta), and `pointsEarned` ≤ 0 for earned points taken back.
 */

import type { AppliedTxn, TillOpDeclineCode, TillOpRequest } from "../../protocol/till-ops.js";
import type { CardSnapshot } from "../../rules/card.js";
import { type Minor, mulDivFloor } from "../../rules/money.js";
import type { StoredTxn } from "../ledger/transactions.js";

export type ReversalPlan = { ok: true; txn: AppliedTxn } | { ok: false; code: TillOpDeclineCode; message: string };

/** The original transaction's figures a reversal reads. */
export type OriginalTxn = Pick<
  StoredTxn,
  | "txnId"
  | "kind"
  | "cardId"
  | "gross"
  | "discount"
  | "net"
  | "bonus"
  | "points"
  | "pointsRedeemed"
  | "redeemedMinor"
  | "packageId"
  | "uses"
  | "businessDay"
>;

/** What the reversals recorded against an original have given back so far (all ≥ 0). */
export interface GivenBack {
  refunds: number;
  voided: boolean;
  net: Minor;
  /** Earned points taken back. */
  pointsTaken: number;
  /** Redeemed points given back, and the cash they stood for. */
  pointsGiven: number;
  redeemedMinor: Minor;
  uses: number;
}

export const NOTHING_GIVEN_BACK: GivenBack = Object.freeze({
  refunds: 0,
  voided: false,
  net: 0,
  pointsTaken: 0,
  pointsGiven: 0,
  redeemedMinor: 0,
  uses: 0,
});

type RefundReq = Pick<Extract<TillOpRequest, { op: "refund" }>, "op" | "txnId" | "amount" | "uses">;
type VoidReq = Pick<Extract<TillOpRequest, { op: "void" }>, "op" | "txnId" | "businessDay">;

export function reversalOf(
  req: RefundReq | VoidReq,
  original: OriginalTxn,
  given: GivenBack,
  card: Pick<CardSnapshot, "balance">,
): ReversalPlan {
  if (given.voided) return no("ORIGINAL_NOT_REFUNDABLE", `transaction ${original.txnId} was voided already`);
  if (original.kind !== "sale" && original.kind !== "topup")
    return no("ORIGINAL_NOT_REFUNDABLE", `a ${original.kind} cannot be given back`);
  return req.op === "refund" ? refund(req, original, given, card) : voidOf(req, original, given, card);
}

function refund(req: RefundReq, o: OriginalTxn, given: GivenBack, card: Pick<CardSnapshot, "balance">): ReversalPlan {
  if (o.kind !== "sale") return no("ORIGINAL_NOT_REFUNDABLE", "only a sale can be refunded; void a top-up instead");
  const left = o.net - given.net;
  const amount = req.amount ?? left;
  if (amount > left) return no("REFUND_TOO_LARGE", `at most ${left} fen of sale ${o.txnId} is left to refund`);
  const usesLeft = o.packageId ? o.uses - given.uses : 0;
  const uses = req.uses ?? 0;
  if (uses > usesLeft)
    return no("REFUND_TOO_LARGE", `at most ${usesLeft} count use(s) of sale ${o.txnId} are left to give back`);
  const moved = pointsBack(o, given, given.net + amount);
  if (amount === 0 && uses === 0 && moved.taken === 0 && moved.given === 0) {
    const done = left === 0 && given.pointsGiven >= o.pointsRedeemed && usesLeft === 0;
    return no(
      "ORIGINAL_NOT_REFUNDABLE",
      done
        ? `sale ${o.txnId} is refunded in full already`
        : `this refund gives nothing back: name an amount or the uses of sale ${o.txnId} to give back`,
    );
  }
  return {
    ok: true,
    txn: {
      txnId: req.txnId,
      kind: "refund",
      cardId: o.cardId,
      gross: amount,
      discount: 0,
      net: amount,
      bonus: 0,
      pointsEarned: 0 - moved.taken, // 0 − 0 is +0, never −0
      ...redeemed(moved.given, moved.minor),
      ...usesBack(o.packageId, uses),
      balanceAfter: card.balance + amount,
      originalTxnId: o.txnId,
    },
  };
}

/**
 * Points a refund moves when the stored value refunded reaches `refundedNet` in all: the
 * floor of each figure × share, less what earlier refunds moved. Never negative — earlier
 * refunds, whatever rule made them, are never clawed back.
 */
export function pointsBack(
  o: Pick<OriginalTxn, "net" | "points" | "pointsRedeemed" | "redeemedMinor">,
  given: Pick<GivenBack, "pointsTaken" | "pointsGiven" | "redeemedMinor">,
  refundedNet: Minor,
): { taken: number; given: number; minor: Minor } {
  // A sale that took no stored value has its money part refunded whole at once: share 1.
  const [num, den] = o.net > 0 ? [refundedNet, o.net] : [1, 1];
  const pointsGiven = Math.max(given.pointsGiven, mulDivFloor(o.pointsRedeemed, num, den));
  // The cash value follows the points at the sale's own rate: all of it when all points are back.
  const minorGiven = o.pointsRedeemed > 0 ? mulDivFloor(o.redeemedMinor, pointsGiven, o.pointsRedeemed) : 0;
  return {
    taken: Math.max(0, mulDivFloor(Math.max(0, o.points), num, den) - given.pointsTaken),
    given: pointsGiven - given.pointsGiven,
    minor: Math.max(0, minorGiven - given.redeemedMinor),
  };
}

function voidOf(req: VoidReq, o: OriginalTxn, given: GivenBack, card: Pick<CardSnapshot, "balance">): ReversalPlan {
  if (o.businessDay !== req.businessDay)
    return no("VOID_NOT_ALLOWED", `only a transaction of today's business day can be voided; refund it instead`);
  if (given.refunds > 0) return no("VOID_NOT_ALLOWED", `part of ${o.txnId} was refunded already; refund the rest`);
  const kind = o.kind as "sale" | "topup";
  const delta = kind === "sale" ? o.net : -(o.net + o.bonus);
  if (card.balance + delta < 0)
    return no("INSUFFICIENT_BALANCE", "the top-up has been spent already: the account cannot give it back");
  return {
    ok: true,
    txn: {
      txnId: req.txnId,
      kind: "void",
      cardId: o.cardId,
      gross: o.gross,
      discount: o.discount,
      net: o.net,
      bonus: o.bonus,
      pointsEarned: 0 - o.points,
      // Everything the sale took goes back (a top-up redeems and uses nothing: both 0).
      ...redeemed(o.pointsRedeemed, o.redeemedMinor),
      ...usesBack(o.packageId, o.uses),
      balanceAfter: card.balance + delta,
      originalTxnId: o.txnId,
      voidOf: kind,
    },
  };
}

/** Only fields that moved something: a reversal without them keeps the shape (and hash) it always had. */
function redeemed(points: number, minor: Minor): Pick<AppliedTxn, "pointsRedeemed" | "redeemedMinor"> {
  return points > 0 ? { pointsRedeemed: points, redeemedMinor: minor } : {};
}

function usesBack(packageId: string | null, uses: number): Pick<AppliedTxn, "countPackageId" | "countUses"> {
  return packageId && uses > 0 ? { countPackageId: packageId, countUses: uses } : {};
}

function no(code: TillOpDeclineCode, message: string): ReversalPlan {
  return { ok: false, code, message };
}
