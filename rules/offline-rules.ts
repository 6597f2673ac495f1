/**
 * The offline approval rules (docs/architecture.md#the-offline-rules), as one pure function.
 *
 * The caller (the agent's decider) gathers the facts under its commit lock, so that the
 * check and the durable commit are one step; this function only judges them.
 */
import type { CardSnapshot } from "./card.js";
import type { HotlistReason } from "./hotlist-reason.js";
import type { Minor } from "./money.js";
import type { CardTypePolicy } from "./policy.js";

export interface OfflineLimits {
  enabled: boolean;
  perTransactionMinor: Minor;
  perCardMinor: Minor;
  perCardCount: number;
  terminalMinor: Minor;
  terminalCount: number;
  maxOfflineAgeMs: number;
  allowUnknownCards: boolean;
}

export interface OfflineFacts {
  limits: OfflineLimits;
  /** The card's cached snapshot, or undefined when the terminal has never seen it online. */
  card: CardSnapshot | undefined;
  cardType: CardTypePolicy | undefined;
  onHotlist: boolean;
  /** Why it is listed, when the server said: a shortfall is declined as a debt, not a block. */
  hotlistReason?: HotlistReason | undefined;
  /** The amount to debit (after discount). */
  amount: Minor;
  /** The card's cached balance minus its debits not yet acknowledged by the server. */
  knownBalance: Minor;
  cardOfflineMinor: Minor;
  cardOfflineCount: number;
  terminalOfflineMinor: Minor;
  terminalOfflineCount: number;
  /** Milliseconds since the last successful contact with the server (Infinity if never). */
  sinceLastContactMs: number;
}

export const DECLINE_CODES = [
  "OFFLINE_DISABLED",
  "CARD_TYPE_ONLINE_ONLY",
  "CARD_UNKNOWN",
  "CARD_HOTLISTED",
  "CARD_IN_DEBT",
  "CARD_NOT_ACTIVE",
  "OFFLINE_LIMIT_TXN",
  "OFFLINE_LIMIT_CARD_AMOUNT",
  "OFFLINE_LIMIT_CARD_COUNT",
  "OFFLINE_LIMIT_TERMINAL_AMOUNT",
  "OFFLINE_LIMIT_TERMINAL_COUNT",
  "OFFLINE_TOO_LONG",
  "INSUFFICIENT_BALANCE",
  "NO_POLICY",
  "PIN_NOT_CACHED",
] as const;
export type DeclineCode = (typeof DECLINE_CODES)[number];

export type OfflineVerdict = { approve: true } | { approve: false; code: DeclineCode };

/** Rules 1–3 first (the card may be judged at all), then limits, age, balance; the first that fails is the reason. */
export function judgeOffline(f: OfflineFacts): OfflineVerdict {
  const no = (code: DeclineCode): OfflineVerdict => ({ approve: false, code });
  const { limits } = f;
  if (!limits.enabled) return no("OFFLINE_DISABLED");
  if (f.onHotlist) return no(f.hotlistReason === "shortfall" ? "CARD_IN_DEBT" : "CARD_HOTLISTED");
  if (!f.card && !limits.allowUnknownCards) return no("CARD_UNKNOWN");
  if (f.card && f.card.status !== "active") return no("CARD_NOT_ACTIVE");
  if (f.card && !f.cardType) return no("NO_POLICY");
  if (f.cardType && !f.cardType.offlineAllowed) return no("CARD_TYPE_ONLINE_ONLY");
  if (f.amount > limits.perTransactionMinor) return no("OFFLINE_LIMIT_TXN");
  if (f.cardOfflineMinor + f.amount > limits.perCardMinor) return no("OFFLINE_LIMIT_CARD_AMOUNT");
  if (f.cardOfflineCount + 1 > limits.perCardCount) return no("OFFLINE_LIMIT_CARD_COUNT");
  if (f.terminalOfflineMinor + f.amount > limits.terminalMinor) return no("OFFLINE_LIMIT_TERMINAL_AMOUNT");
  if (f.terminalOfflineCount + 1 > limits.terminalCount) return no("OFFLINE_LIMIT_TERMINAL_COUNT");
  if (f.sinceLastContactMs > limits.maxOfflineAgeMs) return no("OFFLINE_TOO_LONG");
  if (f.card && f.knownBalance < f.amount) return no("INSUFFICIENT_BALANCE");
  return { approve: true };
}
