/** The count-card receipt (次卡核销): the service used, how many uses, how many are left. */
import type { CountUseReceiptData } from "./receipt-data.js";
import type { ReceiptDoc, ReceiptLayout } from "./receipt-layout.js";
import { optional, txnHeadRows } from "./txn-rows.js";

const LABELS = {
  "zh-CN": { title: "次卡核销", service: "项目", used: "本次使用", remaining: "剩余次数", expires: "有效期至" },
  en: { title: "COUNT CARD USE", service: "Service", used: "Used", remaining: "Left", expires: "Valid to" },
} as const;

export function countUseDoc(
  data: CountUseReceiptData,
  layout: Pick<ReceiptLayout, "language" | "timeZone">,
): ReceiptDoc {
  const l = LABELS[layout.language];
  return {
    storeName: data.storeName,
    title: l.title,
    offline: data.mode === "offline",
    reprint: data.reprint,
    body: [
      ...txnHeadRows(data, layout.language, layout.timeZone),
      "rule",
      { label: l.service, value: data.service },
      { label: l.used, value: String(data.used), big: true },
      { label: l.remaining, value: String(data.remaining) },
      ...optional(l.expires, data.expiresOn),
    ],
    qr: data.txnId,
  };
}
