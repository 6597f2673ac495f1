/**
 * Refund (退款) and void (撤销) receipts: which transaction is reversed, how much goes
 * back and where (on the card, or cash from the drawer), the points the sale redeemed
 * given back and the count uses given back (the member must see they lost nothing), the
 * points moved in all, who approved.
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
    pointsReturned: "退回积分",
    pointsValue: "抵扣金额",
    pointsAfter: "积分余额",
    service: "次卡项目",
    usesReturned: "退回次数",
    remaining: "剩余次数",
  },
  en: {
    refund: "REFUND",
    void: "VOID",
    amount: { refund: "Refunded", void: "Reversed" },
    refundTo: "Paid to",
    card: "Card",
    cash: "Cash",
    points: "Points",
    pointsReturned: "Pts back",
    pointsValue: "Pts value",
    pointsAfter: "Pts left",
    service: "Package",
    usesReturned: "Uses back",
    remaining: "Uses left",
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
    ...pointsRows(data, l),
    ...usesRows(data, l),
    { label: l.amount[data.kind], value: yuan(data.amount), big: true },
    "rule",
    ...(data.balanceAfter === null ? [] : [{ label: c.balance, value: yuan(data.balanceAfter) }]),
    ...(data.pointsAfter === null || data.pointsAfter === undefined
      ? []
      : [{ label: l.pointsAfter, value: String(data.pointsAfter) }]),
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

type Labels = (typeof LABELS)[keyof typeof LABELS];

/** Redeemed points given back (with what they paid), then the account's points moved in all. */
function pointsRows(data: ReversalReceiptData, l: Labels): DocLine[] {
  const returned = data.pointsReturned ?? 0;
  return [
    ...(returned > 0
      ? [
          { label: l.pointsReturned, value: signed(returned) },
          { label: l.pointsValue, value: yuan(data.pointsReturnedValue ?? 0) },
        ]
      : []),
    ...(data.pointsChange === 0 ? [] : [{ label: l.points, value: signed(data.pointsChange) }]),
  ];
}

/** Count uses given back: which package, how many, and what it holds now (when known). */
function usesRows(data: ReversalReceiptData, l: Labels): DocLine[] {
  const u = data.usesReturned;
  if (!u) return [];
  return [
    { label: l.service, value: u.service },
    { label: l.usesReturned, value: signed(u.uses) },
    ...(u.remaining === null ? [] : [{ label: l.remaining, value: String(u.remaining) }]),
  ];
}
