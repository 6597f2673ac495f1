/**
 * The top-up receipt (充值): what the member paid, the bonus on top (充 1000 送 100, or
 * bonus points), the balance after. A cash top-up opens the drawer (receipt-templates.ts).
 */
import type { PaymentMethod, TopUpReceiptData } from "./receipt-data.js";
import {
  type DocLine,
  type ReceiptDoc,
  type ReceiptLanguage,
  type ReceiptLayout,
  signed,
  yuan,
} from "./receipt-layout.js";
import { COMMON_LABELS, txnHeadRows } from "./txn-rows.js";

const LABELS = {
  "zh-CN": {
    title: "充值小票",
    paid: "充值金额",
    payment: "付款方式",
    bonus: "赠送金额",
    bonusPoints: "赠送积分",
    credited: "到账金额",
  },
  en: {
    title: "TOP-UP",
    paid: "Paid",
    payment: "Paid by",
    bonus: "Bonus",
    bonusPoints: "Bonus pts",
    credited: "Credited",
  },
} as const;

export const PAYMENT_LABELS: Record<ReceiptLanguage, Record<PaymentMethod, string>> = {
  "zh-CN": { cash: "现金", bankCard: "银行卡", wechat: "微信", alipay: "支付宝", other: "其他" },
  en: { cash: "Cash", bankCard: "Bank card", wechat: "WeChat Pay", alipay: "Alipay", other: "Other" },
};

export function topUpDoc(data: TopUpReceiptData, layout: Pick<ReceiptLayout, "language" | "timeZone">): ReceiptDoc {
  const l = LABELS[layout.language];
  const c = COMMON_LABELS[layout.language];
  const body: DocLine[] = [
    ...txnHeadRows(data, layout.language, layout.timeZone),
    "rule",
    { label: l.paid, value: yuan(data.paid) },
    { label: l.payment, value: PAYMENT_LABELS[layout.language][data.payment] },
    ...(data.bonus > 0 ? [{ label: l.bonus, value: `+${yuan(data.bonus)}` }] : []),
    ...(data.bonusPoints > 0 ? [{ label: l.bonusPoints, value: signed(data.bonusPoints) }] : []),
    { label: l.credited, value: yuan(data.paid + data.bonus), big: true },
    "rule",
    ...(data.balanceAfter === null ? [] : [{ label: c.balance, value: yuan(data.balanceAfter) }]),
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
