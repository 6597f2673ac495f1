/** The rows every transaction receipt starts with, and the labels the templates share. */
import { maskCardId } from "../../rules/card.js";
import type { TxnReceiptBase } from "./receipt-data.js";
import { type DocLine, formatTime, type ReceiptLanguage } from "./receipt-layout.js";

export const COMMON_LABELS = {
  "zh-CN": {
    time: "时间",
    terminal: "终端",
    operator: "操作员",
    seq: "流水号",
    member: "会员",
    card: "卡号",
    cardType: "卡类型",
    balance: "余额",
    points: "积分",
    reason: "原因",
    supervisor: "授权人",
    originalTxn: "原交易",
  },
  en: {
    time: "Time",
    terminal: "Terminal",
    operator: "Operator",
    seq: "Seq",
    member: "Member",
    card: "Card",
    cardType: "Type",
    balance: "Balance",
    points: "Points",
    reason: "Reason",
    supervisor: "Approved",
    originalTxn: "Original",
  },
} as const;

export type CommonLabels = (typeof COMMON_LABELS)[ReceiptLanguage];

/** Time, terminal, operator and sequence; a rule; member, masked card and card type. */
export function txnHeadRows(d: TxnReceiptBase, language: ReceiptLanguage, timeZone?: string): DocLine[] {
  const l = COMMON_LABELS[language];
  return [
    { label: l.time, value: formatTime(d.at, timeZone) },
    { label: l.terminal, value: d.terminalId },
    { label: l.operator, value: d.operatorId },
    { label: l.seq, value: String(d.seq).padStart(6, "0") },
    "rule",
    ...cardRows(d, language),
  ];
}

/** Member (when known), the masked card, the card type (when known). */
export function cardRows(
  d: { cardId: string; memberName: string | null; cardTypeName: string | null },
  language: ReceiptLanguage,
): DocLine[] {
  const l = COMMON_LABELS[language];
  return [
    ...(d.memberName ? [{ label: l.member, value: d.memberName }] : []),
    { label: l.card, value: maskCardId(d.cardId) },
    ...(d.cardTypeName ? [{ label: l.cardType, value: d.cardTypeName }] : []),
  ];
}

/** A row only when the value is there. */
export function optional(label: string, value: string | null | undefined): DocLine[] {
  return value === null || value === undefined || value === "" ? [] : [{ label, value }];
}
