/**
 * What a cashier reads when a transaction is declined, in zh-CN and en.
 * Server-side declines (online) use the same codes where they mean the same thing.
 */
import { type DeclineDetail, detailedText } from "./decline-detail.js";
import type { DeclineCode } from "./offline-rules.js";

export type OnlineDeclineCode =
  | "CARD_NOT_FOUND"
  | "CARD_NOT_ACTIVE"
  | "INSUFFICIENT_BALANCE"
  | "NO_POLICY"
  /** Head office refused the till's request (protocol/refusal-notice.ts, docs/security.md). */
  | "TERMINAL_NOT_REGISTERED"
  | "CLOCK_SKEW";

/**
 * Declines of the card rules shared by agent and server: count cards, sub-card
 * limits, PIN and points. Online and offline alike; docs/errors.md has a line for each.
 */
export const CARD_RULE_DECLINE_CODES = [
  "COUNT_EXHAUSTED",
  "SUB_CARD_LIMIT_TXN",
  "SUB_CARD_LIMIT_DAY",
  "PIN_REQUIRED",
  "PIN_WRONG",
  "PIN_LOCKED",
  "POINTS_INSUFFICIENT",
  "POINTS_NOT_REDEEMABLE",
  "COUNT_PACKAGE_UNKNOWN",
  "COUNT_EXPIRED",
] as const;
export type CardRuleDeclineCode = (typeof CARD_RULE_DECLINE_CODES)[number];

export type AnyDeclineCode = DeclineCode | OnlineDeclineCode | CardRuleDeclineCode | TillOpDeclineCode;
export type Language = "zh-CN" | "en";

import type { TillOpDeclineCode } from "../protocol/till-ops.js";

const TEXT: Record<AnyDeclineCode, { "zh-CN": string; en: string }> = {
  PIN_NOT_CACHED: {
    "zh-CN": "网络中断，本机无法验证此卡密码，请联网后再试",
    en: "Network down and this card's PIN cannot be checked on this till",
  },
  OFFLINE_DISABLED: {
    "zh-CN": "网络中断，本机不允许离线消费",
    en: "Network down and offline sales are disabled on this till",
  },
  CARD_TYPE_ONLINE_ONLY: { "zh-CN": "此卡类型仅限联网消费", en: "This card type can only be used online" },
  CARD_UNKNOWN: {
    "zh-CN": "网络中断，本机未识别此卡，请联网后再试",
    en: "Network down and this card is not known to this till",
  },
  CARD_NOT_FOUND: { "zh-CN": "卡号不存在", en: "Card not found" },
  CARD_HOTLISTED: { "zh-CN": "此卡已挂失或冻结，不能消费", en: "This card is reported lost or frozen" },
  CARD_IN_DEBT: {
    "zh-CN": "此卡欠款（此前离线消费超出余额），请先充值补足欠款",
    en: "This card owes money (an earlier offline payment went past its balance); top it up first",
  },
  CARD_NOT_ACTIVE: {
    "zh-CN": "此卡状态不可用（挂失/冻结/注销）",
    en: "This card is not active (lost, frozen or cancelled)",
  },
  OFFLINE_LIMIT_TXN: { "zh-CN": "超过离线单笔限额", en: "Over the offline limit for one payment" },
  OFFLINE_LIMIT_CARD_AMOUNT: { "zh-CN": "超过此卡离线累计限额", en: "Over this card's offline total limit" },
  OFFLINE_LIMIT_CARD_COUNT: { "zh-CN": "超过此卡离线笔数限制", en: "Over this card's offline payment count" },
  OFFLINE_LIMIT_TERMINAL_AMOUNT: {
    "zh-CN": "本机离线累计金额已满，请联网",
    en: "This till's offline total is full; reconnect first",
  },
  OFFLINE_LIMIT_TERMINAL_COUNT: {
    "zh-CN": "本机离线笔数已满，请联网",
    en: "This till's offline payment count is full; reconnect first",
  },
  OFFLINE_TOO_LONG: { "zh-CN": "离线时间过长，请联网后再消费", en: "Offline for too long; reconnect first" },
  INSUFFICIENT_BALANCE: { "zh-CN": "卡内余额不足", en: "Insufficient balance" },
  NO_POLICY: { "zh-CN": "本机尚未收到卡类型规则，请联网", en: "Card rules not yet received; reconnect first" },
  COUNT_EXHAUSTED: { "zh-CN": "次卡剩余次数不足", en: "Not enough uses left on this count card" },
  SUB_CARD_LIMIT_TXN: { "zh-CN": "超过附属卡单笔消费限额", en: "Over this sub-card's limit for one payment" },
  SUB_CARD_LIMIT_DAY: { "zh-CN": "超过附属卡当日消费限额", en: "Over this sub-card's daily spending limit" },
  PIN_REQUIRED: { "zh-CN": "此笔消费需要输入会员卡密码", en: "This payment needs the card's PIN" },
  PIN_WRONG: { "zh-CN": "密码错误，请重新输入", en: "Wrong PIN; please try again" },
  PIN_LOCKED: {
    "zh-CN": "密码错误次数过多，此卡已暂时锁定",
    en: "Too many wrong PINs; this card is locked for now",
  },
  POINTS_INSUFFICIENT: { "zh-CN": "积分不足，无法抵扣", en: "Not enough points to redeem" },
  POINTS_NOT_REDEEMABLE: { "zh-CN": "此卡类型不能积分抵扣", en: "Points cannot pay on this card type" },
  COUNT_PACKAGE_UNKNOWN: { "zh-CN": "此卡没有该次卡项目", en: "This card holds no such count package" },
  COUNT_EXPIRED: { "zh-CN": "次卡已过有效期", en: "This count package has expired" },
  ORIGINAL_NOT_FOUND: { "zh-CN": "找不到原交易", en: "The original transaction was not found" },
  ORIGINAL_NOT_REFUNDABLE: {
    "zh-CN": "原交易不能退款（已全额退款、已撤销或类型不符）",
    en: "The original transaction cannot be refunded (refunded in full, voided, or not a sale)",
  },
  REFUND_TOO_LARGE: { "zh-CN": "退款金额超过可退金额", en: "The refund is more than is left to refund" },
  VOID_NOT_ALLOWED: {
    "zh-CN": "只能撤销当日且未退款的交易，请改用退款",
    en: "Only a transaction of today with no refund can be voided; refund it instead",
  },
  TXN_CONFLICT: { "zh-CN": "交易号冲突，请重试", en: "Transaction id conflict; please try again" },
  CARD_ALREADY_ISSUED: {
    "zh-CN": "此卡已发出，不能重复发卡",
    en: "This card is already issued to a member",
  },
  CARD_STATUS_CONFLICT: {
    "zh-CN": "此卡当前状态不能办理此业务",
    en: "This card's status does not allow this operation",
  },
  MEMBER_NOT_FOUND: { "zh-CN": "会员不存在", en: "Member not found" },
  CARD_TYPE_UNKNOWN: { "zh-CN": "卡类型不存在", en: "No such card type in the current rules" },
  NOT_A_PRIMARY_CARD: {
    "zh-CN": "这是附属卡，请用主卡办理",
    en: "This is a sub-card; use the primary card",
  },
  SUB_CARDS_IN_USE: {
    "zh-CN": "此卡还有附属卡在用，请先回收附属卡",
    en: "This card still has sub-cards in use; recycle them first",
  },
  LEVEL_UNCHANGED: { "zh-CN": "此卡已是该卡类型", en: "The card already has this card type" },
  CARD_OP_INVALID: {
    "zh-CN": "资料有误（电话、生日或密码格式），请检查后重试",
    en: "Some details are not valid (phone, birthday or PIN); check and try again",
  },
  OPERATOR_NOT_ALLOWED: {
    "zh-CN": "总部未授权此操作员办理此业务，请店长办理",
    en: "Head office does not allow this operator to do this; ask a supervisor",
  },
  LOOKUP_LIMIT: {
    "zh-CN": "查询过于频繁，请稍后再试",
    en: "Too many member lookups at this till; try again in a few minutes",
  },
  TERMINAL_NOT_REGISTERED: {
    "zh-CN": "总部不认可本机（未登记或密钥不符），请联系实施工程师",
    en: "Head office does not recognise this till (not registered, or another key); call the technician",
  },
  CLOCK_SKEW: {
    "zh-CN": "本机时钟与总部相差过大，请校准时间后再试",
    en: "This till's clock is too far from head office's; set the time and try again",
  },
};

/** With `detail` (offline: the limit and what is left, decline-detail.ts), the words name the figures. */
export function declineText(code: AnyDeclineCode, lang: Language, detail?: DeclineDetail): string {
  return (detail && detailedText(code, lang, detail)) ?? TEXT[code][lang];
}
