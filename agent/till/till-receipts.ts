/** The receipt for a top-up, refund or void the server applied (templates in agent/receipts). */

import { type JournalEntry, type PaymentMethod, pointsDelta, usesGivenBack } from "../../protocol/journal-entry.js";
import type { CardSnapshot } from "../../rules/card.js";
import type { PaymentMethod as ReceiptPayment, ReceiptRequest } from "../receipts/receipt-data.js";

const RECEIPT_PAYMENT: Record<PaymentMethod, ReceiptPayment> = {
  cash: "cash",
  wechat: "wechat",
  alipay: "alipay",
  bankcard: "bankCard",
};

export function receiptFor(
  entry: JournalEntry,
  card: CardSnapshot,
  where: { storeName: string; terminalId: string; cardTypeName: string | null },
): ReceiptRequest {
  const base = {
    storeName: where.storeName,
    terminalId: where.terminalId,
    operatorId: entry.operatorId,
    txnId: entry.txnId,
    seq: entry.seq,
    at: entry.at,
    cardId: entry.cardId,
    memberName: card.memberName,
    cardTypeName: where.cardTypeName,
    mode: entry.mode,
  };
  if (entry.kind === "topup") {
    return {
      template: "topup",
      data: {
        ...base,
        paid: entry.net,
        bonus: entry.bonus,
        bonusPoints: entry.pointsEarned,
        payment: RECEIPT_PAYMENT[entry.payment ?? "cash"],
        balanceAfter: entry.balanceAfter,
      },
    };
  }
  const sign = entry.kind === "void" && entry.voidOf === "topup" ? -1 : 1;
  const uses = usesGivenBack(entry);
  const pkg = uses && card.packages?.find((p) => p.packageId === uses.packageId);
  return {
    template: "reversal",
    data: {
      ...base,
      kind: entry.kind === "void" ? "void" : "refund",
      originalTxnId: entry.originalTxnId ?? "",
      amount: sign * (entry.net + (entry.voidOf === "topup" ? entry.bonus : 0)),
      pointsChange: pointsDelta(entry),
      ...(entry.pointsRedeemed
        ? { pointsReturned: entry.pointsRedeemed, pointsReturnedValue: entry.redeemedMinor ?? 0 }
        : {}),
      // The card is the server's snapshot after the reversal: its package shows the uses left.
      ...(uses
        ? {
            usesReturned: {
              service: pkg ? pkg.service : uses.packageId,
              uses: uses.uses,
              remaining: pkg ? pkg.remainingUses : null,
            },
          }
        : {}),
      ...(entry.pointsRedeemed || uses ? { pointsAfter: card.points } : {}),
      refundTo: "card",
      balanceAfter: entry.balanceAfter,
    },
  };
}
