/**
 * Refund (退款) and void (撤销) receipts: which transaction is reversed, how much goes
 * back and where (on the card, or cash from the drawer), points taken back, who approved.
 */
import type { ReversalReceiptData } from "./receipt-data.js";
import { type DocLine, type ReceiptDoc, type ReceiptLayout, signed, yuan } from "./receipt-layout.js";
import { COMMON_LABELS, optional, txnHeadRows } from "./txn-rows.js";

const LABELS = {
  "zh-CN": {
    refund: "退款小票",
    void: "撤销小票",
    amount: { refund: "退款金额", void: "撤销金额" },
    refundTo: "退至",
    card: "会员卡",
    cash: "现金",
    points: "积分变动",
  },
  en: {
    refund: "REFUND",
    void: "VOID",
    amount: { refund: "Refunded", void: "Reversed" },
    refundTo: "Paid to",
    card: "Card",
    cash: "Cash",
    points: "Points",
  },
} as const;

export function reversalDoc(
  data: ReversalReceiptData,
  layout: Pick<ReceiptLayout, "language" | "timeZone">,
): ReceiptDoc {
  const l = LABELS[layout.language];
  const c = COMMON_LABELS[layout.language];
  const body: DocLine[] = [
    ...txnHeadRows(data, layout.language, layout.timeZone),
    "rule",
    { label: c.originalTxn, value: data.originalTxnId },
    { label: l.refundTo, value: data.refundTo === "cash" ? l.cash : l.card },
    ...(data.pointsChange === 0 ? [] : [{ label: l.points, value: signed(data.pointsChange) }]),
    { label: l.amount[data.kind], value: yuan(data.amount), big: true },
    "rule",
    ...(data.balanceAfter === null ? [] : [{ label: c.balance, value: yuan(data.balanceAfter) }]),
    ...optional(c.reason, data.reason),
    ...optional(c.supervisor, data.supervisorId),
  ];
  return {
    storeName: data.storeName,
    title: l[data.kind],
    offline: data.mode === "offline",
    reprint: data.reprint,
    body,
    qr: data.txnId,
  };
}
