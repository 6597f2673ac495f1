/**
 * Approve or decline a debit (docs/architecture.md#a-sale-from-tap-to-receipt): online against
 * the server when it answers in time, otherwise under the offline rules — with the same
 * transaction id, so the server can never apply it twice. Every approval is durable before this
 * returns.
 *
 * A sale may redeem points (积分抵扣) and use a count package (次卡核销); an amount of 0
 * with only a use is a sale too. Online the server decides them on its ledger; offline
 * only what the cached snapshot says exists, minus what this till spent since
 * (offline-judgement.ts).
 */

import type { AgentConfig } from "../../config/agent-config.js";
import { SerialLock } from "../../lib/serial-lock.js";
import type { AuthReply, AuthRequest } from "../../protocol/messages.js";
import type { RefusalNotice } from "../../protocol/refusal-notice.js";
import type { AnyDeclineCode, Language } from "../../rules/decline-text.js";
import type { HotlistReason } from "../../rules/hotlist-reason.js";
import type { OfflineLimits } from "../../rules/offline-rules.js";
import { afterCheck, verifyPin } from "../../rules/pin.js";
import type { PolicyDocument } from "../../rules/policy.js";
import { crashPoint } from "../faults/crash-points.js";
import type { TerminalLedger } from "../journal/terminal-ledger.js";
import type { Logger } from "../logger.js";
import { businessDay } from "./business-day.js";
import type { Decision } from "./decision.js";
import {
  type Asked,
  declinedDecision,
  offlineVerdict,
  onlineAsk,
  onlineVerdict,
  type PinCheck,
  type SaleFacts,
} from "./sale-core.js";
import type { SaleIntents } from "./sale-intents.js";
import type { SaleRequest } from "./sale-request.js";

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
   * The intent made durable before every online ask (no debit without the till's record:
   * docs/reconciliation.md; sale-intents.ts). Absent only when the agent runs with its internal
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

export function deciderSettings(config: AgentConfig): DeciderDeps["settings"] {
  return {
    offline: config.offline,
    authTimeoutMs: config.server.authTimeoutMs,
    timeZone: config.terminal.timeZone,
    language: config.terminal.language,
  };
}

export class Decider {
  /** The offline check and every commit of a sale, one at a time (lib/serial-lock.ts). */
  private readonly commitLock = new SerialLock();

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
   * One decision per account at a time, with the till operations (account-locks.ts; alone while
   * the till does not know the card's account): two online replies for one account can then
   * never be cached in the wrong order (an older snapshot over a newer one), nor one card's
   * snapshot hold or lack another's entry unknown to the till (the limits are per account:
   * offline rules 5 and 8). Different accounts still decide in parallel; the offline check +
   * commit is serialised for all.
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
    const decision = this.deps.online.isConnected()
      ? await this.decideOnline(req, at, day, settings)
      : await this.commitLock.run(() => this.decideOffline(req, at, day, settings));
    if (!decision.approved)
      this.deps.log.info({ txnId: req.txnId, mode: decision.mode, code: decision.code }, "declined");
    return decision;
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
    const { request, intent, asked } = onlineAsk(ledger.saleSnapshot(req.cardId), req, {
      terminalId: this.deps.terminalId,
      at,
      day,
    });
    await intents?.record(intent);
    crashPoint("sale:after-intent");
    let settled = false;
    try {
      const reply = await this.deps.online.authorise(request, settings.authTimeoutMs);
      // Head office refused this till (not registered, another key, its clock): declined in
      // its words, not decided offline, and — an unsealed word — no contact noted, nothing cached.
      if (reply !== "timeout" && "refused" in reply)
        return declinedDecision(req, "online", reply.refused, null, settings.language);
      if (reply !== "timeout") {
        const decision = await this.fromOnline(req, reply, day, asked, settings.language);
        settled = true;
        return decision;
      }
      this.deps.log.warn(
        { txnId: req.txnId },
        "online authorisation timed out; deciding offline with the same transaction id",
      );
      const decision = await this.commitLock.run(() => this.decideOffline(req, at, day, settings));
      settled = decision.approved;
      return decision;
    } finally {
      if (settled) intents?.settled(req.txnId);
      else intents?.release(intent);
    }
  }

  private async fromOnline(
    req: SaleRequest,
    reply: AuthReply,
    day: string,
    asked: Asked,
    language: Language,
  ): Promise<Decision> {
    const { ledger, now } = this.deps;
    ledger.noteContact(now());
    const seen = { appliedSeq: reply.appliedSeq ?? 0, ...asked };
    const verdict = onlineVerdict(req, reply, { repliedAt: now(), day, language });
    if (!verdict.approved) {
      if (reply.card) await this.cached(() => ledger.rememberCard(reply.card!, seen, now()));
      return verdict.decision;
    }
    // Approved and held at the server; until this commit the till has no record of it.
    crashPoint("sale:after-approval-before-commit");
    const entry = await this.commitLock.run(() => ledger.commit(verdict.entry, now()));
    const card = verdict.decision.card!;
    await this.cached(() => ledger.cards.rememberApproved(card, seen, entry.seq, now()));
    return { ...verdict.decision, entry };
  }

  /** The card cache is advisory: failing to update it never undoes a decision already durable. */
  private async cached(remember: () => Promise<void>): Promise<void> {
    try {
      await remember();
    } catch (err) {
      this.deps.log.warn(
        { err: (err as Error).message },
        "card snapshot not cached; the journal still counts the sale",
      );
    }
  }

  /** Runs under the commit lock: the snapshot judged on cannot change before the commit. */
  private async decideOffline(
    req: SaleRequest,
    at: number,
    day: string,
    settings: DeciderDeps["settings"],
  ): Promise<Decision> {
    const { ledger } = this.deps;
    const onHotlist = this.deps.hotlist().has(req.cardId);
    const facts: SaleFacts = {
      ledger: ledger.saleSnapshot(req.cardId),
      onHotlist,
      hotlistReason: onHotlist ? this.deps.hotlistReason?.(req.cardId) : undefined,
    };
    const verdict = offlineVerdict(facts, req, {
      policy: this.deps.policy(),
      limits: settings.offline,
      language: settings.language,
      at,
      day,
    });
    if (!verdict.approved) return verdict.decision;
    if (verdict.pin) {
      const code = await this.checkPin(verdict.pin, at);
      if (code) return declinedDecision(req, "offline", code, verdict.decision.card, settings.language);
    }
    const entry = await ledger.commit(verdict.entry);
    return { ...verdict.decision, entry };
  }

  /** Rule 9 offline: the counter is durable before the PIN is compared (pin-counters.ts). */
  private async checkPin(check: PinCheck, at: number): Promise<AnyDeclineCode | undefined> {
    const { pins } = this.deps.ledger;
    const gate = await pins.begin(check.cardId, at, check.rules);
    if (!gate.allowed) return gate.code;
    const outcome = afterCheck(gate.next, verifyPin(check.pin, check.pinHash));
    await pins.end(check.cardId, outcome.next);
    return outcome.result.ok ? undefined : outcome.result.code;
  }
}
