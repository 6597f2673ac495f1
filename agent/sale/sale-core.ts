/**
 * The sale's core, pure: from the ledger's snapshot (agent/journal/sale-snapshot.ts), the
 * hotlist, the request, the policy and the moment, what to ask the server, what the
 * server's reply means, and the offline verdict — a decision, or the entry to commit. No
 * I/O: the decider (decider.ts) takes the snapshot, runs these, and does the effects — the
 * intent, the ask, the PIN counter, the one commit — like the server's ingest plan and its
 * database step (server/ingest/).
 *
 * The one effect inside a verdict is the offline PIN check: its retry counter must be
 * durable before the PIN is compared (rule 9, docs/architecture.md#the-offline-rules), so
 * the verdict names the check and the decider runs it before the commit.
 */
import { balanceDelta, type TxnMode } from "../../protocol/journal-entry.js";
import type { AuthReply, AuthRequest } from "../../protocol/messages.js";
import type { CardId } from "../../rules/card.js";
import type { DeclineDetail } from "../../rules/decline-detail.js";
import { type AnyDeclineCode, declineText, type Language } from "../../rules/decline-text.js";
import type { HotlistReason } from "../../rules/hotlist-reason.js";
import type { OfflineLimits } from "../../rules/offline-rules.js";
import { pinRequired } from "../../rules/pin.js";
import { cardTypeOf, type PinRules, type PolicyDocument, pinRulesOf } from "../../rules/policy.js";
import type { Intent } from "../journal/intent-log.js";
import type { LedgerSnapshot } from "../journal/sale-snapshot.js";
import type { NewEntry } from "../journal/terminal-ledger.js";
import type { Decision } from "./decision.js";
import { judgeOfflineSale } from "./offline-judgement.js";
import { offlineSaleEntry, onlineSaleEntry } from "./sale-entry.js";
import type { SaleRequest } from "./sale-request.js";
import { unsyncedOffline } from "./unsynced-spend.js";

/** What the sale is judged on: the ledger's snapshot and the hotlist at the same moment. */
export interface SaleFacts {
  ledger: LedgerSnapshot;
  onHotlist: boolean;
  /** Why the card is listed, when head office said (a shortfall is a debt: CARD_IN_DEBT). */
  hotlistReason?: HotlistReason | undefined;
}

export type Declined = Extract<Decision, { approved: false }>;
export type Approved = Extract<Decision, { approved: true }>;

export function declinedDecision(
  req: SaleRequest,
  mode: TxnMode,
  code: AnyDeclineCode,
  card: Decision["card"] | undefined,
  language: Language,
  detail?: DeclineDetail,
): Declined {
  const reason = declineText(code, language, detail);
  return { approved: false, mode, txnId: req.txnId, code, reason, card: card ?? null };
}

/** Where the journal stood at the ask: what the reply's snapshot can be said to hold (card-cache.ts). */
export interface Asked {
  onlineThrough: number;
  ackedAtAsk: number;
}

/**
 * The online ask: the intent made durable first, the request with what this till spent
 * offline and has not uploaded yet (rule 8), and where the journal stood.
 */
export function onlineAsk(
  snap: LedgerSnapshot,
  req: SaleRequest,
  ctx: { terminalId: string; at: number; day: string },
): { request: Omit<AuthRequest, "corr" | "v">; intent: Intent; asked: Asked } {
  const accountId = snap.card?.accountId;
  const unsynced = unsyncedOffline(
    { cardId: req.cardId, accountId },
    snap.pending,
    (id) => snap.accountOfPending.get(id),
    {
      packageId: req.countUse?.packageId,
      day: ctx.day,
    },
  );
  const request = {
    txnId: req.txnId,
    terminalId: ctx.terminalId,
    operatorId: req.operatorId,
    cardId: req.cardId,
    kind: "sale" as const,
    gross: req.gross,
    businessDay: ctx.day,
    at: new Date(ctx.at).toISOString(),
    // The account's, on all its cards; the card's own day for a sub-card's daily limit.
    unsyncedOfflineMinor: unsynced.minor,
    unsyncedOfflineCardMinor: unsynced.cardMinor,
    ...(unsynced.others.length > 0 ? { unsyncedOfflineOthers: unsynced.others } : {}),
    ...(req.pin ? { pin: req.pin } : {}),
    ...((req.redeemPoints ?? 0) > 0 ? { redeemPoints: req.redeemPoints, unsyncedOfflinePoints: unsynced.points } : {}),
    ...(req.countUse ? { countUse: req.countUse, unsyncedOfflineUses: unsynced.uses } : {}),
  };
  const intent = {
    txnId: req.txnId,
    cardId: req.cardId,
    accountId: accountId ?? null,
    amount: req.gross,
    operatorId: req.operatorId,
    businessDay: ctx.day,
    at: request.at,
  };
  return { request, intent, asked: { onlineThrough: snap.nextSeq - 1, ackedAtAsk: snap.ackedSeq } };
}

/** The server's answer: its decline, or the entry to journal and the approval it becomes. */
export function onlineVerdict(
  req: SaleRequest,
  reply: AuthReply,
  ctx: { repliedAt: number; day: string; language: Language },
): { approved: false; decision: Declined } | { approved: true; entry: NewEntry; decision: Omit<Approved, "entry"> } {
  if (!reply.approved)
    return { approved: false, decision: declinedDecision(req, "online", reply.code, reply.card, ctx.language) };
  return {
    approved: true,
    entry: onlineSaleEntry(req, reply, new Date(ctx.repliedAt).toISOString(), ctx.day),
    decision: {
      approved: true,
      mode: "online",
      txnId: req.txnId,
      card: reply.card,
      balanceAfter: reply.balanceAfter,
      countUse: reply.countUse,
    },
  };
}

/** A PIN to compare once its attempt is counted durably (PinCounters.begin). */
export interface PinCheck {
  cardId: CardId;
  pin: string;
  pinHash: string;
  rules: PinRules;
}

export type OfflineVerdict =
  | { approved: false; decision: Declined }
  | { approved: true; entry: NewEntry; pin: PinCheck | undefined; decision: Omit<Approved, "entry"> };

/** The offline rules on the snapshot (offline-judgement.ts), then the PIN rule, then the entry. */
export function offlineVerdict(
  facts: SaleFacts,
  req: SaleRequest,
  ctx: { policy: PolicyDocument | undefined; limits: OfflineLimits; language: Language; at: number; day: string },
): OfflineVerdict {
  const { card } = facts.ledger;
  const { policy, language } = ctx;
  const decline = (code: AnyDeclineCode, detail?: DeclineDetail) => ({
    approved: false as const,
    decision: declinedDecision(req, "offline", code, card ?? null, language, detail),
  });
  const cardType = card && policy ? cardTypeOf(policy, card.cardType) : undefined;
  if (!policy || (card && !cardType)) return decline("NO_POLICY");
  const { onHotlist, hotlistReason } = facts;
  const c = { limits: ctx.limits, card, cardType, onHotlist, hotlistReason, at: ctx.at, day: ctx.day };
  const judged = judgeOfflineSale(facts.ledger, req, c);
  if (!judged.ok) return decline(judged.code, judged.detail);
  const { price } = judged;
  let pin: PinCheck | undefined;
  // Rule 9 on all the account gives (stored value and points); a card with no PIN on file has none to check.
  if (card && cardType && card.hasPin !== false && pinRequired(cardType, price.net + price.pointsValue)) {
    if (req.pin === undefined || req.pin === "") return decline("PIN_REQUIRED");
    if (!card.pinHash) return decline("PIN_NOT_CACHED");
    pin = { cardId: card.cardId, pin: req.pin, pinHash: card.pinHash, rules: pinRulesOf(policy) };
  }
  const entry = offlineSaleEntry(req, price, new Date(ctx.at).toISOString(), ctx.day);
  // The known balance with this entry in it: the account's lock keeps its other entries out meanwhile.
  const known = facts.ledger.knownBalance;
  const balanceAfter = card && known !== undefined ? known + balanceDelta(entry) : null;
  return {
    approved: true,
    entry,
    pin,
    decision: {
      approved: true,
      mode: "offline",
      txnId: req.txnId,
      card: card ?? null,
      balanceAfter,
      countUse: judged.countUse,
    },
  };
}
