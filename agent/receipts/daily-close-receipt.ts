/**
 * The daily close report (日结单) for one terminal and business day: totals by
 * transaction type, by operator, by payment method for top-ups, online against offline,
 * and what the central server has not acknowledged yet. It prints the figures it is given;
 * computing them from the journal is a later issue.
 */
import type { DailyCloseReceiptData, ReportTxnKind, Tally } from "./receipt-data.js";
import {
  type DocLine,
  formatTime,
  type ReceiptDoc,
  type ReceiptLanguage,
  type ReceiptLayout,
  yuan,
} from "./receipt-layout.js";
import { PAYMENT_LABELS } from "./topup-receipt.js";
import { COMMON_LABELS } from "./txn-rows.js";

const KIND_LABELS: Record<ReceiptLanguage, Record<ReportTxnKind, string>> = {
  "zh-CN": { sale: "消费", topup: "充值", refund: "退款", void: "撤销", countUse: "次卡核销", cardEvent: "卡务" },
  en: {
    sale: "Sales",
    topup: "Top-ups",
    refund: "Refunds",
    void: "Voids",
    countUse: "Count uses",
    cardEvent: "Card events",
  },
};

const LABELS = {
  "zh-CN": {
    title: "日结单",
    day: "营业日",
    printed: "打印时间",
    first: "首笔",
    last: "末笔",
    byKind: "按交易类型",
    byOperator: "按操作员 (储值变动)",
    byPayment: "充值收款",
    byMode: "在线/离线 (储值变动)",
    online: "在线",
    offline: "离线",
    unsynced: "未上传",
    allSynced: "全部已上传",
    bonus: "赠送金额",
    pointsEarned: "积分发放",
    pointsRedeemed: "积分抵扣",
    count: "笔",
    signature: "收银员签字:",
  },
  en: {
    title: "DAILY CLOSE",
    day: "Business day",
    printed: "Printed",
    first: "First",
    last: "Last",
    byKind: "By type",
    byOperator: "Stored value, by operator",
    byPayment: "Top-up takings",
    byMode: "Stored value, online/offline",
    online: "Online",
    offline: "Offline",
    unsynced: "Not uploaded",
    allSynced: "all uploaded",
    bonus: "Bonus given",
    pointsEarned: "Points given",
    pointsRedeemed: "Points used",
    count: "",
    signature: "Cashier signature:",
  },
} as const;

export function dailyCloseDoc(
  data: DailyCloseReceiptData,
  layout: Pick<ReceiptLayout, "language" | "timeZone">,
): ReceiptDoc {
  const lang = layout.language;
  const l = LABELS[lang];
  const c = COMMON_LABELS[lang];
  // Amounts padded to one width: right-aligned values then line up in two columns.
  const all = [...data.byKind, ...data.byOperator, ...data.byPayment, data.online, data.offline, data.unsynced];
  const width = Math.max(...all.map((t) => yuan(t.amount).length));
  const tally = (t: Tally) => `${t.count}${l.count} ${yuan(t.amount).padStart(width)}`;
  const time = (iso: string | null) => (iso === null ? "-" : formatTime(iso, layout.timeZone));
  const body: DocLine[] = [
    { label: l.day, value: data.businessDay },
    { label: c.terminal, value: data.terminalId },
    { label: c.operator, value: data.operatorId },
    { label: l.printed, value: time(data.at) },
    { label: l.first, value: time(data.firstTxnAt) },
    { label: l.last, value: time(data.lastTxnAt) },
    "rule",
    { text: l.byKind, bold: true },
    ...data.byKind.map((k) => ({ label: KIND_LABELS[lang][k.kind], value: tally(k) })),
    "rule",
    { text: l.byOperator, bold: true },
    ...data.byOperator.map((o) => ({ label: o.operatorId, value: tally(o), ownWidth: true })),
    ...(data.byPayment.length > 0
      ? [
          "rule" as const,
          { text: l.byPayment, bold: true },
          ...data.byPayment.map((p) => ({ label: PAYMENT_LABELS[lang][p.payment], value: tally(p) })),
        ]
      : []),
    "rule",
    { text: l.byMode, bold: true },
    { label: l.online, value: tally(data.online) },
    { label: l.offline, value: tally(data.offline) },
    { label: l.unsynced, value: data.unsynced.count === 0 ? l.allSynced : tally(data.unsynced) },
    "rule",
    { label: l.bonus, value: yuan(data.bonusGiven) },
    { label: l.pointsEarned, value: String(data.pointsEarned) },
    { label: l.pointsRedeemed, value: String(data.pointsRedeemed) },
    "rule",
    { text: "" },
    { text: `${l.signature}______________` },
  ];
  return { storeName: data.storeName, title: l.title, reprint: data.reprint, body, thanks: false };
}
