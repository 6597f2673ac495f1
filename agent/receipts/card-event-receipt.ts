/**
 * Card event slips (发卡 / 挂失 / 解挂 / 冻结 / 解冻 / 补卡 / 回收 / 等级变更): the member's
 * proof that the card's status changed, with what moved — the new card and the balance
 * carried over on a replacement, the deposit on issue and recycle, the old and new level.
 *
 * Card events made at the till are not journal entries (agent/till/card-operations.ts
 * says why): their slip has no sequence number (seq 0) and shows none; the QR code
 * carries the request id the server's audit log files the change under.
 */
import { type CardId, maskCardId } from "../../rules/card.js";
import type { CardEvent, CardEventReceiptData } from "./receipt-data.js";
import { type DocLine, type ReceiptDoc, type ReceiptLayout, yuan } from "./receipt-layout.js";
import { COMMON_LABELS, optional, txnHeadRows } from "./txn-rows.js";

/** The slip data with what a till adds: a sub-card names its primary card. */
export interface CardEventSlipData extends CardEventReceiptData {
  /** Issue of a sub-card (附属卡): the primary card whose account it shares. */
  primaryCardId?: CardId;
}

const SUB_CARD_TITLE = { "zh-CN": "附属卡发卡凭证", en: "SUB-CARD ISSUED" } as const;
const PRIMARY_LABEL = { "zh-CN": "主卡号", en: "Primary card" } as const;

const TITLES: Record<"zh-CN" | "en", Record<CardEvent, string>> = {
  "zh-CN": {
    issue: "发卡凭证",
    loss: "挂失凭证",
    unloss: "解挂凭证",
    freeze: "冻结凭证",
    unfreeze: "解冻凭证",
    replace: "补卡凭证",
    recycle: "退卡回收凭证",
    levelChange: "卡等级变更凭证",
  },
  en: {
    issue: "CARD ISSUED",
    loss: "CARD REPORTED LOST",
    unloss: "LOSS REPORT CANCELLED",
    freeze: "CARD FROZEN",
    unfreeze: "CARD UNFROZEN",
    replace: "CARD REPLACED",
    recycle: "CARD RETURNED",
    levelChange: "CARD LEVEL CHANGED",
  },
};

/** What the card can do now, in one line for the member. */
const EFFECT: Record<"zh-CN" | "en", Partial<Record<CardEvent, string>>> = {
  "zh-CN": {
    loss: "此卡已停用，余额受保护",
    unloss: "此卡已恢复使用",
    freeze: "此卡暂停使用",
    unfreeze: "此卡已恢复使用",
    replace: "旧卡已作废，余额已转入新卡",
    recycle: "此卡已注销",
  },
  en: {
    loss: "This card is blocked; its balance is safe",
    unloss: "This card can be used again",
    freeze: "This card is on hold",
    unfreeze: "This card can be used again",
    replace: "The old card is void; its balance is on the new card",
    recycle: "This card is closed",
  },
};

const LABELS = {
  "zh-CN": {
    newCard: "新卡号",
    moved: "转入余额",
    from: "原等级",
    to: "新等级",
    deposit: { issue: "押金", recycle: "退还押金" },
    opening: "开卡金额",
  },
  en: {
    newCard: "New card",
    moved: "Moved",
    from: "From",
    to: "To",
    deposit: { issue: "Deposit", recycle: "Deposit back" },
    opening: "Opening",
  },
} as const;

export function cardEventDoc(
  data: CardEventSlipData,
  layout: Pick<ReceiptLayout, "language" | "timeZone">,
): ReceiptDoc {
  const l = LABELS[layout.language];
  const c = COMMON_LABELS[layout.language];
  const effect = EFFECT[layout.language][data.event];
  const depositLabel = data.event === "recycle" ? l.deposit.recycle : l.deposit.issue;
  const subCard = data.event === "issue" && data.primaryCardId !== undefined;
  const details: DocLine[] = [
    ...(subCard ? [{ label: PRIMARY_LABEL[layout.language], value: maskCardId(data.primaryCardId ?? "") }] : []),
    ...(data.newCardId ? [{ label: l.newCard, value: maskCardId(data.newCardId) }] : []),
    ...(data.balanceMoved === undefined ? [] : [{ label: l.moved, value: yuan(data.balanceMoved) }]),
    ...optional(l.from, data.fromLevel),
    ...optional(l.to, data.toLevel),
    ...(data.openingBalance === undefined ? [] : [{ label: l.opening, value: yuan(data.openingBalance) }]),
    ...(data.deposit === undefined ? [] : [{ label: depositLabel, value: yuan(data.deposit) }]),
    ...optional(c.reason, data.reason),
    ...optional(c.supervisor, data.supervisorId),
  ];
  return {
    storeName: data.storeName,
    title: subCard ? SUB_CARD_TITLE[layout.language] : TITLES[layout.language][data.event],
    offline: data.mode === "offline",
    reprint: data.reprint,
    body: [
      ...headRows(data, layout),
      ...(details.length > 0 ? ["rule" as const, ...details] : []),
      ...(effect ? ["rule" as const, { text: effect, bold: true }] : []),
    ],
    qr: data.txnId,
  };
}

/** The usual head; without the sequence row when the event is not in the journal (seq 0). */
function headRows(data: CardEventSlipData, layout: Pick<ReceiptLayout, "language" | "timeZone">): DocLine[] {
  const rows = txnHeadRows(data, layout.language, layout.timeZone);
  if (data.seq > 0) return rows;
  const seqLabel = COMMON_LABELS[layout.language].seq;
  return rows.filter((row) => typeof row !== "object" || !("label" in row) || row.label !== seqLabel);
}
