/**
 * Card event slips (发卡 / 挂失 / 解挂 / 冻结 / 解冻 / 补卡 / 回收 / 等级变更): the member's
 * proof that the card's status changed, with what moved — the new card and the balance
 * carried over on a replacement, the deposit on issue and recycle, the old and new level.
 */
import { maskCardId } from "../../protocol/card.js";
import type { CardEvent, CardEventReceiptData } from "./receipt-data.js";
import { type DocLine, type ReceiptDoc, type ReceiptLayout, yuan } from "./receipt-layout.js";
import { COMMON_LABELS, optional, txnHeadRows } from "./txn-rows.js";

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
  data: CardEventReceiptData,
  layout: Pick<ReceiptLayout, "language" | "timeZone">,
): ReceiptDoc {
  const l = LABELS[layout.language];
  const c = COMMON_LABELS[layout.language];
  const effect = EFFECT[layout.language][data.event];
  const depositLabel = data.event === "recycle" ? l.deposit.recycle : l.deposit.issue;
  const details: DocLine[] = [
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
    title: TITLES[layout.language][data.event],
    offline: data.mode === "offline",
    reprint: data.reprint,
    body: [
      ...txnHeadRows(data, layout.language, layout.timeZone),
      ...(details.length > 0 ? ["rule" as const, ...details] : []),
      ...(effect ? ["rule" as const, { text: effect, bold: true }] : []),
    ],
    qr: data.txnId,
  };
}
