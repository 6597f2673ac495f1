/**
 * The printed 日结单 (agent/receipts/daily-close-receipt.ts) from the close report. The
 * receipt's Tally is {count, amount}: amount is the stored value the entries moved
 * (`net`, bonus apart), so sales, refunds and voids all print as positive amounts.
 */
import type { DailyCloseReceiptData, PaymentMethod as ReceiptPayment, Tally } from "../receipts/receipt-data.js";
import type { DailyCloseReport, PaymentKey, Totals } from "./close-report.js";

/** The journal spells bank card "bankcard"; receipts (and the top-up receipt's labels) "bankCard". */
const RECEIPT_PAYMENT: Record<PaymentKey, ReceiptPayment> = {
  cash: "cash",
  wechat: "wechat",
  alipay: "alipay",
  bankcard: "bankCard",
  unspecified: "other",
};

/** One kind: its amount as a positive figure. */
const tally = (t: Totals): Tally => ({ count: t.count, amount: t.net });
/**
 * Kinds mixed (an operator, online/offline, not uploaded): a sale and its void are not
 * 2 × ¥22 of anything, so the figure is the signed change of members' stored value
 * (top-ups +, sales −, their refunds and voids back the other way).
 */
const mixed = (t: Totals): Tally => ({ count: t.count, amount: t.balanceChange });

export function closeReceiptData(
  report: DailyCloseReport,
  who: { storeName: string; operatorId: string; reprint?: boolean },
): DailyCloseReceiptData {
  return {
    storeName: who.storeName,
    terminalId: report.terminalId,
    operatorId: who.operatorId,
    businessDay: report.businessDay,
    at: report.generatedAt,
    firstTxnAt: report.firstTxnAt,
    lastTxnAt: report.lastTxnAt,
    byKind: [
      ...report.byKind.map((k) => ({ kind: k.kind, ...tally(k) })),
      // Uses are not money: the 次卡核销 row counts the sales that used a package, amount 0.
      ...(report.countUses.count > 0 ? [{ kind: "countUse" as const, count: report.countUses.count, amount: 0 }] : []),
    ],
    byOperator: report.byOperator.map((o) => ({ operatorId: o.operatorId, ...mixed(o.total) })),
    // What stands per payment method: the takings the drawer should hold for top-ups.
    byPayment: report.byPayment.map((p) => ({
      payment: RECEIPT_PAYMENT[p.payment],
      count: p.takings.count,
      amount: p.takings.paid,
    })),
    online: mixed(report.byMode.online),
    offline: mixed(report.byMode.offline),
    unsynced: mixed(report.unsynced),
    bonusGiven: report.bonusGiven,
    pointsEarned: report.total.pointsEarned,
    pointsRedeemed: report.total.pointsRedeemed,
    ...(who.reprint ? { reprint: true } : {}),
  };
}
