/**
 * Which receipt an approved sale prints, with what: a sale of 0 yuan that only used a
 * count package prints the count-use receipt (次卡核销); any other sale prints the sale
 * receipt — with the points that paid part of it and, when it also used a package, the
 * use on it. One receipt per transaction: the print queue files receipts by txnId.
 */

import type { ReceiptRequest, TxnReceiptBase } from "../receipts/receipt-data.js";
import type { Decision } from "./decision.js";

type Approved = Extract<Decision, { approved: true }>;

export function saleReceiptRequest(
  decision: Approved,
  who: { storeName: string; terminalId: string; cardTypeName: string | null },
): ReceiptRequest {
  const { entry, card, countUse } = decision;
  const base: TxnReceiptBase = {
    storeName: who.storeName,
    terminalId: who.terminalId,
    operatorId: entry.operatorId,
    txnId: entry.txnId,
    seq: entry.seq,
    at: entry.at,
    cardId: entry.cardId,
    memberName: card?.memberName ?? null,
    cardTypeName: who.cardTypeName,
    mode: entry.mode,
  };
  const use = countUse && {
    service: countUse.service,
    used: countUse.uses,
    remaining: countUse.remainingUses,
    expiresOn: countUse.expiresOn ?? null,
  };
  if (use && entry.gross === 0) return { template: "count-use", data: { ...base, ...use } };
  const redeemed = (entry.pointsRedeemed ?? 0) > 0;
  return {
    template: "sale",
    data: {
      ...base,
      gross: entry.gross,
      discount: entry.discount,
      net: entry.net,
      pointsEarned: entry.pointsEarned,
      ...(redeemed ? { pointsRedeemed: entry.pointsRedeemed, redeemedValue: entry.redeemedMinor ?? 0 } : {}),
      balanceAfter: decision.balanceAfter,
      // Online the server's figure after the sale; offline not known for sure, like the balance.
      ...(entry.mode === "online" && card ? { pointsAfter: card.points } : {}),
      ...(use ? { countUse: use } : {}),
    },
  };
}
