/**
 * Offline declines that name the limit and what is left ("本卡离线额度剩余
 * ¥35.00"), so the cashier can offer a smaller payment instead of guessing. The till knows
 * the figures only offline (its own limits and what it spent); online declines keep the
 * plain words of decline-text.ts.
 *
 * `roomOf` turns the facts the offline rules judged into the figures of the rule that
 * failed; `detailedText` words them. Pure, shared by any caller that has the facts.
 */

import type { SubCardLimits } from "./card.js";
import type { AnyDeclineCode, Language } from "./decline-text.js";
import { formatYuan, type Minor } from "./money.js";
import type { OfflineFacts } from "./offline-rules.js";

export interface DeclineDetail {
  /** The amount limit that would be passed, fen. */
  limitMinor?: Minor;
  /** What is left under that limit (or of the known balance), fen; never below 0. */
  leftMinor?: Minor;
  /** The count limit that is full. */
  limitCount?: number;
  /** The longest time offline allowed, ms. */
  limitMs?: number;
}

const left = (limit: Minor, used: Minor): Minor => Math.max(0, limit - used);

/** The figures behind an offline rule's decline (rules/offline-rules.ts), or undefined for a rule without any. */
export function roomOf(code: AnyDeclineCode, f: OfflineFacts): DeclineDetail | undefined {
  const L = f.limits;
  switch (code) {
    case "OFFLINE_LIMIT_TXN":
      return { limitMinor: L.perTransactionMinor };
    case "OFFLINE_LIMIT_CARD_AMOUNT":
      return { limitMinor: L.perCardMinor, leftMinor: left(L.perCardMinor, f.cardOfflineMinor) };
    case "OFFLINE_LIMIT_CARD_COUNT":
      return { limitCount: L.perCardCount };
    case "OFFLINE_LIMIT_TERMINAL_AMOUNT":
      return { limitMinor: L.terminalMinor, leftMinor: left(L.terminalMinor, f.terminalOfflineMinor) };
    case "OFFLINE_LIMIT_TERMINAL_COUNT":
      return { limitCount: L.terminalCount };
    case "OFFLINE_TOO_LONG":
      return { limitMs: L.maxOfflineAgeMs };
    case "INSUFFICIENT_BALANCE":
      return { leftMinor: Math.max(0, f.knownBalance) };
    default:
      return undefined;
  }
}

/** The figures behind a sub-card's own limit (rules/sub-card.ts), given what it spent today. */
export function subCardRoom(code: AnyDeclineCode, sub: SubCardLimits, spentToday: Minor): DeclineDetail | undefined {
  if (code === "SUB_CARD_LIMIT_TXN" && sub.perTxnLimit != null) return { limitMinor: sub.perTxnLimit };
  if (code === "SUB_CARD_LIMIT_DAY" && sub.dailyLimit != null)
    return { limitMinor: sub.dailyLimit, leftMinor: left(sub.dailyLimit, spentToday) };
  return undefined;
}

type Words = (d: Required<DeclineDetail>) => string;
const y = formatYuan;

/** Whole hours when it is whole hours, else minutes. */
function span(ms: number, lang: Language): string {
  const hours = ms / 3_600_000;
  if (Number.isInteger(hours)) return lang === "zh-CN" ? `${hours} 小时` : `${hours} hours`;
  const minutes = Math.round(ms / 60_000);
  return lang === "zh-CN" ? `${minutes} 分钟` : `${minutes} minutes`;
}

const WORDS: Partial<Record<AnyDeclineCode, { "zh-CN": Words; en: Words }>> = {
  OFFLINE_LIMIT_TXN: {
    "zh-CN": (d) => `超过离线单笔限额 ${y(d.limitMinor)}`,
    en: (d) => `Over the offline limit for one payment (${y(d.limitMinor)})`,
  },
  OFFLINE_LIMIT_CARD_AMOUNT: {
    "zh-CN": (d) => `超过此卡离线累计限额 ${y(d.limitMinor)}，本卡离线额度剩余 ${y(d.leftMinor)}`,
    en: (d) =>
      `Over this card's offline total limit of ${y(d.limitMinor)}; ${y(d.leftMinor)} left on this card offline`,
  },
  OFFLINE_LIMIT_CARD_COUNT: {
    "zh-CN": (d) => `此卡离线笔数已满（限 ${d.limitCount} 笔），请联网后再消费`,
    en: (d) => `This card's offline payments are used up (${d.limitCount} allowed); reconnect first`,
  },
  OFFLINE_LIMIT_TERMINAL_AMOUNT: {
    "zh-CN": (d) => `超过本机离线累计限额 ${y(d.limitMinor)}，本机离线额度剩余 ${y(d.leftMinor)}，请联网`,
    en: (d) => `Over this till's offline total limit of ${y(d.limitMinor)}; ${y(d.leftMinor)} left; reconnect first`,
  },
  OFFLINE_LIMIT_TERMINAL_COUNT: {
    "zh-CN": (d) => `本机离线笔数已满（限 ${d.limitCount} 笔），请联网`,
    en: (d) => `This till's offline payment count is full (${d.limitCount} allowed); reconnect first`,
  },
  OFFLINE_TOO_LONG: {
    "zh-CN": (d) => `离线已超过 ${span(d.limitMs, "zh-CN")}，请联网后再消费`,
    en: (d) => `Offline for more than ${span(d.limitMs, "en")}; reconnect first`,
  },
  INSUFFICIENT_BALANCE: {
    "zh-CN": (d) => `卡内余额不足，本机所知余额 ${y(d.leftMinor)}`,
    en: (d) => `Insufficient balance: ${y(d.leftMinor)} known on this till`,
  },
  SUB_CARD_LIMIT_TXN: {
    "zh-CN": (d) => `超过附属卡单笔消费限额 ${y(d.limitMinor)}`,
    en: (d) => `Over this sub-card's limit for one payment (${y(d.limitMinor)})`,
  },
  SUB_CARD_LIMIT_DAY: {
    "zh-CN": (d) => `超过附属卡当日消费限额 ${y(d.limitMinor)}，今日剩余 ${y(d.leftMinor)}`,
    en: (d) => `Over this sub-card's daily limit of ${y(d.limitMinor)}; ${y(d.leftMinor)} left today`,
  },
};

/** The words with the figures, or undefined when the code has no such words or a figure they need is missing. */
export function detailedText(code: AnyDeclineCode, lang: Language, detail: DeclineDetail): string | undefined {
  const words = WORDS[code]?.[lang];
  if (!words) return undefined;
  const needed = NEEDS[code] ?? [];
  if (needed.some((k) => detail[k] === undefined)) return undefined;
  return words(detail as Required<DeclineDetail>);
}

const NEEDS: Partial<Record<AnyDeclineCode, (keyof DeclineDetail)[]>> = {
  OFFLINE_LIMIT_TXN: ["limitMinor"],
  OFFLINE_LIMIT_CARD_AMOUNT: ["limitMinor", "leftMinor"],
  OFFLINE_LIMIT_CARD_COUNT: ["limitCount"],
  OFFLINE_LIMIT_TERMINAL_AMOUNT: ["limitMinor", "leftMinor"],
  OFFLINE_LIMIT_TERMINAL_COUNT: ["limitCount"],
  OFFLINE_TOO_LONG: ["limitMs"],
  INSUFFICIENT_BALANCE: ["leftMinor"],
  SUB_CARD_LIMIT_TXN: ["limitMinor"],
  SUB_CARD_LIMIT_DAY: ["limitMinor", "leftMinor"],
};
