/**
 * Approve or decline a debit (DESIGN §4): online against the server when it answers in
 * time, otherwise under the offline rules — with the same transaction id, so the server
 * can never apply it twice. Every approval is durable before this returns.
 *
 * A sale may redeem points (积分抵扣) and use a count package (次卡核销); an amount of 0
 * with only a use is a sale too. Online the server decides them on its ledger; offline
 * only what the cached snapshot says exists, minus what this till spent since
 * (offline-judgement.ts).
 */

import type { AgentConfig } from "../../config/agent-config.js";
import { SerialLock } from "../../lib/serial-lock.js";
import type { TxnMode } from "../../protocol/journal-entry.js";
import type { AuthReply, AuthRequest } from "../../protocol/messages.js";
import type { RefusalNotice } from "../../protocol/refusal-notice.js";
import type { CardId, CardSnapshot } from "../../rules/card.js";
import type { DeclineDetail } from "../../rules/decline-detail.js";
import { type AnyDeclineCode, declineText, type Language } from "../../rules/decline-text.js";
import type { HotlistReason } from "../../rules/hotlist-reason.js";
import type { OfflineLimits } from "../../rules/offline-rules.js";
import { afterCheck, pinRequired, verifyPin } from "../../rules/pin.js";
import { cardTypeOf, type PolicyDocument, pinRulesOf } from "../../rules/policy.js";
import type { CountUseAsk } from "../../rules/sale-rules.js";
import { crashPoint } from "../faults/crash-points.js";
import { onlineEntryBetween } from "../journal/account-cards.js";
import type { CachedCard } from "../journal/journal-state.js";
import type { TerminalLedger } from "../journal/terminal-ledger.js";
import type { Logger } from "../logger.js";
import { businessDay } from "./business-day.js";
import type { Decision } from "./decision.js";
import { judgeOfflineSale } from "./offline-judgement.js";
import { offlineSaleEntry, onlineSaleEntry } from "./sale-entry.js";
import type { SaleIntents } from "./sale-intents.js";
import { unsyncedOffline } from "./unsynced-spend.js";

/** The link to the server as the decider sees it. */
export interface OnlineAuthoriser {
  isConnected(): boolean;
  /**
   * Resolves with the server's reply, "timeout" when none arrives within `timeoutMs`, or
   * head office's refusal of this till (protocol/refusal-notice.ts).
   */
  authorise(req: Omit<AuthRequest, "corr" | "v">, timeoutMs: number): Promise<AuthReply | "timeout" | RefusalNotice>;
}

export interface DeciderDeps {
  terminalId: string;
  ledger: TerminalLedger;
  online: OnlineAuthoriser;
  policy: () => PolicyDocument | undefined;
  hotlist: () => ReadonlySet<string>;
  /** Why a listed card is listed, when head office said (a shortfall is a debt: CARD_IN_DEBT). */
  hotlistReason?: (cardId: string) => HotlistReason | undefined;
  now: () => number;
  log: Logger;
  /**
   * The intent made durable before every online ask (issue 13, defect 1: no debit without
   * the till's record; sale-intents.ts). Absent only when the agent runs with its internal
   * `sale.intentLog: false`, which the benchmark uses to measure what the step costs.
   */
  intents?: SaleIntents | undefined;
  settings: {
    offline: OfflineLimits;
    authTimeoutMs: number;
    timeZone: string;
    language: Language;
  };
}

export interface SaleRequest {
  txnId: string;
  cardId: CardId;
  gross: number;
  operatorId: string;
  /** The PIN the member typed, when the card type asks for one at this amount. Never logged. */
  pin?: string | undefined;
  /** Points to pay part of the bill with (积分抵扣); cut to the policy's share, declined beyond what is held. */
  redeemPoints?: number | undefined;
  /** A count-card use (次卡核销) with the sale. */
  countUse?: CountUseAsk | undefined;
}

export function deciderSettings(config: AgentConfig): DeciderDeps["settings"] {
  return {
    offline: config.offline,
    authTimeoutMs: config.server.authTimeoutMs,
    timeZone: config.terminal.timeZone,
    language: config.terminal.language,
  };
}

export class Decider {
  private readonly lock = new SerialLock();

  constructor(private readonly deps: DeciderDeps) {}

  /**
   * New limits and settings from a config reload (agent/runtime/reload.ts). A sale reads
   * its settings once, when it starts, so one already deciding finishes under the rules
   * it began with; the next sale gets these.
   */
  reconfigure(settings: DeciderDeps["settings"]): void {
    this.deps.settings = settings;
  }

  /**
   * One decision per account at a time, with the till operations (account-locks.ts; alone
   * while the till does not know the card's account): two online replies for one account
   * can then never be cached in the wrong order (an older snapshot over a newer one), nor
   * one card's snapshot hold or lack another's entry unknown to the till (issue 13 defect
   * 2). Different accounts still decide in parallel; the offline check + commit is
   * serialised for all.
   */
  decideSale(req: SaleRequest): Promise<Decision> {
    const settings = this.deps.settings;
    const { ledger } = this.deps;
    return ledger.accountLocks.run(ledger.accountOf(req.cardId), () => this.decideSaleNow(req, settings));
  }

  private async decideSaleNow(req: SaleRequest, settings: DeciderDeps["settings"]): Promise<Decision> {
    this.deps.ledger.assertUsable();
    const at = this.deps.now();
    const day = businessDay(at, settings.timeZone);
    if (this.deps.online.isConnected()) return this.decideOnline(req, at, day, settings);
    return this.lock.run(() => this.decideOffline(req, at, day, settings));
  }

  /**
   * Intent first (durable, or the till never asks), then the ask. Its outcome settles the
   * intent: the journal entry (online, or offline after a timeout with the same txnId — the
   * server confirms any hold by it) or the server's decline. Anything else — declined
   * offline after a timeout, a commit that failed, an error — leaves the server perhaps
   * holding money for a sale this till will not record: the resolver releases it.
   */
  private async decideOnline(
    req: SaleRequest,
    at: number,
    day: string,
    settings: DeciderDeps["settings"],
  ): Promise<Decision> {
    const { intents, ledger } = this.deps;
    const request = this.authRequest(req, at, day);
    const intent = {
      txnId: req.txnId,
      cardId: req.cardId,
      accountId: ledger.accountOf(req.cardId) ?? null,
      amount: req.gross,
      operatorId: req.operatorId,
      businessDay: day,
      at: request.at,
    };
    await intents?.record(intent);
    crashPoint("sale:after-intent");
    let settled = false;
    try {
      const { nextSeq, ackedSeq } = ledger.summary();
      const asked = { onlineThrough: nextSeq - 1, ackedAtAsk: ackedSeq };
      const reply = await this.deps.online.authorise(request, settings.authTimeoutMs);
      // Head office refused this till (not registered, another key, its clock): declined in
      // its words, not decided offline, and — an unsealed word — no contact noted, nothing cached.
      if (reply !== "timeout" && "refused" in reply)
        return this.declined(req, "online", reply.refused, null, settings.language);
      if (reply !== "timeout") {
        const decision = await this.fromOnline(req, reply, day, asked, settings.language);
        settled = true;
        return decision;
      }
      this.deps.log.warn(
        { txnId: req.txnId },
        "online authorisation timed out; deciding offline with the same transaction id",
      );
      const decision = await this.lock.run(() => this.decideOffline(req, at, day, settings));
      settled = decision.approved;
      return decision;
    } finally {
      if (settled) intents?.settled(req.txnId);
      else intents?.release(intent);
    }
  }

  /** What the server is asked, with what this till spent offline and has not uploaded yet (DESIGN §4 rule 8). */
  private authRequest(req: SaleRequest, at: number, day: string): Omit<AuthRequest, "corr" | "v"> {
    const { ledger } = this.deps;
    const unsynced = unsyncedOffline(
      { cardId: req.cardId, accountId: ledger.accountOf(req.cardId) },
      ledger.pending(),
      (id) => ledger.accountOf(id),
      { packageId: req.countUse?.packageId, day },
    );
    return {
      txnId: req.txnId,
      terminalId: this.deps.terminalId,
      operatorId: req.operatorId,
      cardId: req.cardId,
      kind: "sale",
      gross: req.gross,
      businessDay: day,
      at: new Date(at).toISOString(),
      // The account's, on all its cards; the card's own day for a sub-card's daily limit.
      unsyncedOfflineMinor: unsynced.minor,
      unsyncedOfflineCardMinor: unsynced.cardMinor,
      ...(unsynced.others.length > 0 ? { unsyncedOfflineOthers: unsynced.others } : {}),
      ...(req.pin ? { pin: req.pin } : {}),
      ...((req.redeemPoints ?? 0) > 0
        ? { redeemPoints: req.redeemPoints, unsyncedOfflinePoints: unsynced.points }
        : {}),
      ...(req.countUse ? { countUse: req.countUse, unsyncedOfflineUses: unsynced.uses } : {}),
    };
  }

  /** The card cache is advisory: failing to update it never undoes a decision already durable. */
  private async remember(
    card: CardSnapshot,
    seen: { appliedSeq: number; onlineThrough: number; ackedAtAsk: number },
  ): Promise<void> {
    try {
      await this.deps.ledger.rememberCard(card, seen, this.deps.now());
    } catch (err) {
      this.deps.log.warn(
        { err: (err as Error).message },
        "card snapshot not cached; the journal still counts the sale",
      );
    }
  }

  private async fromOnline(
    req: SaleRequest,
    reply: AuthReply,
    day: string,
    asked: { onlineThrough: number; ackedAtAsk: number },
    language: Language,
  ): Promise<Decision> {
    const { ledger, now } = this.deps;
    ledger.noteContact(now());
    const seen = { appliedSeq: reply.appliedSeq ?? 0, ...asked };
    if (!reply.approved) {
      if (reply.card) await this.remember(reply.card, seen);
      return this.declined(req, "online", reply.code, reply.card, language);
    }
    // Approved and held at the server; until this commit the till has no record of it.
    crashPoint("sale:after-approval-before-commit");
    const entry = await this.lock.run(() =>
      ledger.commit(onlineSaleEntry(req, reply, new Date(now()).toISOString(), day), now()),
    );
    // The reply's balance includes this entry and every online entry authorised before it —
    // unless another online entry of the account was journaled between the ask and this
    // commit (a till operation, a card new to the till): then the snapshot cannot say
    // whether it holds that one, and claims only what it surely holds (what was journaled
    // before the ask). This entry then counts twice until the next snapshot: less known, never more.
    const raced = onlineEntryBetween(ledger, reply.card.accountId, asked.onlineThrough, entry.seq);
    await this.remember(reply.card, raced ? seen : { ...seen, onlineThrough: entry.seq });
    return {
      approved: true,
      mode: "online",
      txnId: req.txnId,
      entry,
      card: reply.card,
      balanceAfter: reply.balanceAfter,
      countUse: reply.countUse,
    };
  }

  /** Runs under the lock: the facts gathered here cannot change before the commit. */
  private async decideOffline(
    req: SaleRequest,
    at: number,
    day: string,
    settings: DeciderDeps["settings"],
  ): Promise<Decision> {
    const { ledger } = this.deps;
    const card = ledger.card(req.cardId);
    const policy = this.deps.policy();
    const cardType = card && policy ? cardTypeOf(policy, card.cardType) : undefined;
    if (!policy || (card && !cardType))
      return this.declined(req, "offline", "NO_POLICY", card ?? null, settings.language);
    const onHotlist = this.deps.hotlist().has(req.cardId);
    const hotlistReason = onHotlist ? this.deps.hotlistReason?.(req.cardId) : undefined;
    const facts = { limits: settings.offline, card, cardType, onHotlist, hotlistReason, at, day };
    const judged = judgeOfflineSale(ledger, req, facts);
    if (!judged.ok) return this.declined(req, "offline", judged.code, card ?? null, settings.language, judged.detail);
    const { price } = judged;
    // Rule 9 on all the account gives (stored value and points); a card with no PIN on file has none to check.
    if (card && cardType && card.hasPin !== false && pinRequired(cardType, price.net + price.pointsValue)) {
      const pinCode = await this.checkPinOffline(req, card, policy, at);
      if (pinCode) return this.declined(req, "offline", pinCode, card, settings.language);
    }
    const entry = await ledger.commit(offlineSaleEntry(req, price, new Date(at).toISOString(), day));
    const balanceAfter = card ? (ledger.knownBalance(req.cardId) ?? null) : null;
    return {
      approved: true,
      mode: "offline",
      txnId: req.txnId,
      entry,
      card: card ?? null,
      balanceAfter,
      countUse: judged.countUse,
    };
  }

  /** DESIGN §4 rule 9, offline: the counter is durable before the PIN is compared. */
  private async checkPinOffline(
    req: SaleRequest,
    card: CachedCard,
    policy: PolicyDocument,
    at: number,
  ): Promise<AnyDeclineCode | undefined> {
    if (req.pin === undefined || req.pin === "") return "PIN_REQUIRED";
    if (!card.pinHash) return "PIN_NOT_CACHED";
    const { ledger } = this.deps;
    const gate = await ledger.beginPinAttempt(card.cardId, at, pinRulesOf(policy));
    if (!gate.allowed) return gate.code;
    const outcome = afterCheck(gate.next, verifyPin(req.pin, card.pinHash));
    await ledger.endPinAttempt(card.cardId, outcome.next);
    return outcome.result.ok ? undefined : outcome.result.code;
  }

  private declined(
    req: SaleRequest,
    mode: TxnMode,
    code: AnyDeclineCode,
    card: Decision["card"] | undefined,
    language: Language = this.deps.settings.language,
    detail?: DeclineDetail,
  ): Decision {
    const reason = declineText(code, language, detail);
    this.deps.log.info({ txnId: req.txnId, mode, code }, "declined");
    return { approved: false, mode, txnId: req.txnId, code, reason, card: card ?? null };
  }
}
