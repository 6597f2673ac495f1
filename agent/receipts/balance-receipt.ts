/**
 * The balance query slip (余额查询): balance, points and count packages. Not a
 * transaction, so no sequence number or QR code; a slip printed from the terminal's
 * cached copy (server unreachable) says so and when that copy was taken.
 */
import type { BalanceReceiptData } from "./receipt-data.js";
import { type DocLine, formatTime, type ReceiptDoc, type ReceiptLayout, yuan } from "./receipt-layout.js";
import { COMMON_LABELS, cardRows } from "./txn-rows.js";

const LABELS = {
  "zh-CN": {
    title: "余额查询",
    cached: "离线数据 截至",
    packages: "次卡",
    times: "次",
    until: "至",
    unknown: "未知",
  },
  en: {
    title: "BALANCE",
    cached: "Offline copy as of",
    packages: "Count cards",
    times: "x",
    until: "to",
    unknown: "unknown",
  },
} as const;

export function balanceDoc(data: BalanceReceiptData, layout: Pick<ReceiptLayout, "language" | "timeZone">): ReceiptDoc {
  const l = LABELS[layout.language];
  const c = COMMON_LABELS[layout.language];
  const packages: DocLine[] = data.packages.map((p) => ({
    label: p.service,
    value: `${p.remaining}${l.times}${p.expiresOn ? ` ${l.until} ${p.expiresOn}` : ""}`,
    ownWidth: true,
  }));
  const body: DocLine[] = [
    { label: c.time, value: formatTime(data.at, layout.timeZone) },
    { label: c.terminal, value: data.terminalId },
    { label: c.operator, value: data.operatorId },
    "rule",
    ...cardRows(data, layout.language),
    "rule",
    { label: c.balance, value: data.balance === null ? l.unknown : yuan(data.balance), big: true },
    { label: c.points, value: data.points === null ? l.unknown : String(data.points) },
    ...(packages.length > 0 ? ["rule" as const, { text: l.packages }, ...packages] : []),
    ...(data.source === "cached" && data.asOf
      ? ["rule" as const, { text: l.cached }, { text: formatTime(data.asOf, layout.timeZone) }]
      : []),
  ];
  return { storeName: data.storeName, title: l.title, reprint: data.reprint, body };
}
