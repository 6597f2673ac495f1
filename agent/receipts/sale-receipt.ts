/**
 * The sale receipt: what the member takes home after a card payment, including points
 * used to pay part of it (积分抵扣) and a count-card use made with it (次卡核销).
 *
 * The card number is masked (full numbers never leave the box); the
 * transaction id is printed as a QR code and as text, so a printer that cannot draw the
 * code still shows it. An offline sale prints no balance: the terminal does not know it
 * for sure.
 */
import type { SaleReceiptData } from "./receipt-data.js";
import { type DocLine, docMarkup, type ReceiptDoc, type ReceiptLayout, signed, yuan } from "./receipt-layout.js";
import { COMMON_LABELS, txnHeadRows } from "./txn-rows.js";

export type { SaleReceiptData } from "./receipt-data.js";
export { formatTime, OFFLINE_MARK, REPRINT_MARK, type ReceiptLanguage } from "./receipt-layout.js";

/** The layout of the receipt (language, paper, zone, the chain's header/footer/logo). */
export type SaleReceiptOptions = ReceiptLayout;

const LABELS = {
  "zh-CN": {
    title: "消费小票",
    gross: "原价",
    discount: "折扣",
    redeemed: "积分抵扣",
    pointsUsed: "使用积分",
    net: "实付",
    pointsAfter: "积分余额",
    service: "次卡项目",
    used: "本次使用",
    remaining: "剩余次数",
  },
  en: {
    title: "SALE",
    gross: "Amount",
    discount: "Discount",
    redeemed: "By points",
    pointsUsed: "Pts used",
    net: "Paid",
    pointsAfter: "Pts left",
    service: "Count card",
    used: "Used",
    remaining: "Uses left",
  },
} as const;

export function saleReceiptMarkup(data: SaleReceiptData, opts: SaleReceiptOptions): string {
  return docMarkup(saleDoc(data, opts), opts);
}

export function saleDoc(data: SaleReceiptData, layout: Pick<ReceiptLayout, "language" | "timeZone">): ReceiptDoc {
  const l = LABELS[layout.language];
  const c = COMMON_LABELS[layout.language];
  const redeemed = (data.pointsRedeemed ?? 0) > 0;
  const body: DocLine[] = [
    ...txnHeadRows(data, layout.language, layout.timeZone),
    "rule",
    { label: l.gross, value: yuan(data.gross) },
    { label: l.discount, value: yuan(-data.discount) },
    ...(redeemed ? [{ label: l.redeemed, value: yuan(-(data.redeemedValue ?? 0)) }] : []),
    { label: l.net, value: yuan(data.net), big: true },
    "rule",
    ...(data.balanceAfter === null ? [] : [{ label: c.balance, value: yuan(data.balanceAfter) }]),
    { label: c.points, value: signed(data.pointsEarned) },
    ...(redeemed ? [{ label: l.pointsUsed, value: signed(-(data.pointsRedeemed ?? 0)) }] : []),
    ...(data.pointsAfter === null || data.pointsAfter === undefined
      ? []
      : [{ label: l.pointsAfter, value: String(data.pointsAfter) }]),
    ...(data.countUse
      ? [
          "rule" as const,
          { label: l.service, value: data.countUse.service },
          { label: l.used, value: String(data.countUse.used) },
          { label: l.remaining, value: String(data.countUse.remaining) },
        ]
      : []),
  ];
  return {
    storeName: data.storeName,
    title: l.title,
    offline: data.mode === "offline",
    reprint: data.reprint,
    body,
    qr: data.txnId,
  };
}
