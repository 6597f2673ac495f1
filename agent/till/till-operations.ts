/**
 * Top-up, refund, void and balance at the till (docs/till-operations.md). The server decides each
 * (protocol/till-ops.ts: money coming back to a card is never approved offline); the
 * till then journals what the server applied — durable before the cashier sees it, as
 * for a sale — caches the card as the server returned it, and prints the receipt.
 */
import type { CardTap } from "../../drivers/readers/card-reader.js";
import { CardtermError } from "../../protocol/errors.js";
import { balanceDelta, type JournalEntry, type PaymentMethod } from "../../protocol/journal-entry.js";
import type { TillOpReply } from "../../protocol/till-ops.js";
import { type CardSnapshot, maskCardId } from "../../rules/card.js";
import { declineText } from "../../rules/decline-text.js";
import { assertMinor } from "../../rules/money.js";
import { onlineEntryBetween } from "../journal/account-cards.js";
import type { TerminalLedger } from "../journal/terminal-ledger.js";
import type { Logger } from "../logger.js";
import type { ReceiptOutcome } from "../receipts/print-queue.js";
import { businessDay } from "../sale/business-day.js";
import type { ReceiptSink } from "../sale/sale-service.js";
import type { TapSource } from "../sale/tap-source.js";
import type { TillOpBody, TillOpCall, TillOpServer } from "../sync/till-op-client.js";
import { receiptFor } from "./till-receipts.js";

export interface TillOpsDeps {
  ledger: TerminalLedger;
  server: TillOpServer;
  taps: TapSource;
  receipts: ReceiptSink;
  newTxnId: () => string;
  now: () => number;
  afterCommit: () => void;
  cardTypeName: (cardType: string) => string | null;
  log: Logger;
  settings: {
    storeName: string;
    terminalId: string;
    timeZone: string;
    language: "zh-CN" | "en";
    tapTimeoutMs: number;
    opTimeoutMs: number;
    receiptWaitMs: number;
  };
}

export interface CardInput {
  cardUid?: string | undefined;
  readerId?: string | undefined;
}

export type TillOutcome =
  | { approved: true; txnId: string; entry: JournalEntry; card: CardSnapshot; receipt: ReceiptOutcome | null }
  | { approved: false; txnId: string; code: string; reason: string; card: CardSnapshot | null };

export interface BalanceOutcome {
  card: CardSnapshot;
  balance: number;
  points: number;
  source: "online" | "cached";
  asOf: string | null;
}

export class TillOperations {
  /** Public so the card operations (card-operations.ts) share this link, cache and settings. */
  constructor(readonly deps: TillOpsDeps) {}

  async topUp(input: CardInput & { amount: number; payment: PaymentMethod }, operatorId: string): Promise<TillOutcome> {
    assertMinor(input.amount, "top-up amount");
    const tap = await this.tap(input);
    const txnId = this.deps.newTxnId();
    const call = { op: "topup", txnId, cardId: tap.cardId, amount: input.amount, payment: input.payment } as const;
    return this.apply(txnId, call, operatorId);
  }

  /** `uses`: count uses to give back as well — only ever when named (server/till/reversals.ts). */
  refund(
    input: { originalTxnId: string; amount?: number | undefined; uses?: number | undefined },
    operatorId: string,
  ): Promise<TillOutcome> {
    if (input.amount !== undefined) assertMinor(input.amount, "refund amount");
    const txnId = this.deps.newTxnId();
    const call = {
      op: "refund",
      txnId,
      originalTxnId: input.originalTxnId,
      ...(input.amount !== undefined ? { amount: input.amount } : {}),
      ...(input.uses !== undefined ? { uses: input.uses } : {}),
    } as const;
    return this.apply(txnId, call, operatorId);
  }

  voidTxn(input: { originalTxnId: string }, operatorId: string): Promise<TillOutcome> {
    const txnId = this.deps.newTxnId();
    return this.apply(txnId, { op: "void", txnId, originalTxnId: input.originalTxnId }, operatorId);
  }

  /** Online when the server answers; otherwise the till's cached copy, said to be so. */
  async balance(input: CardInput, operatorId: string): Promise<BalanceOutcome> {
    const tap = await this.tap(input);
    const { ledger, now } = this.deps;
    try {
      const reply = await this.deps.server.call(
        { op: "balance", cardId: tap.cardId, ...this.envelope(operatorId) },
        this.deps.settings.opTimeoutMs,
      );
      if (reply.ok) {
        await this.remember(reply, null);
        return {
          card: reply.card,
          balance: ledger.knownBalance(tap.cardId) ?? reply.card.balance,
          points: reply.card.points,
          source: "online",
          asOf: new Date(now()).toISOString(),
        };
      }
      throw new CardtermError("CT_NOT_FOUND", declineText(reply.code, this.deps.settings.language));
    } catch (err) {
      if (!(err instanceof CardtermError) || err.code !== "CT_SERVER_TIMEOUT") throw err;
      const cached = ledger.card(tap.cardId);
      if (!cached)
        throw new CardtermError("CT_NOT_FOUND", "this card is not known on this till and the server is not reachable");
      return {
        card: cached,
        balance: ledger.knownBalance(tap.cardId) ?? cached.balance,
        points: cached.points,
        source: "cached",
        asOf: new Date(cached.refreshedAt).toISOString(),
      };
    }
  }

  /** The next tap on any reader (or `readerId`), within the tap time-out: an operator card at log-in. */
  nextTap(readerId?: string): Promise<CardTap> {
    return this.deps.taps.waitForTap(this.deps.settings.tapTimeoutMs, readerId);
  }

  private tap(input: CardInput): Promise<CardTap> | CardTap {
    const { taps, settings } = this.deps;
    return input.cardUid !== undefined
      ? taps.simulatedTap(input.cardUid, input.readerId)
      : taps.waitForTap(settings.tapTimeoutMs, input.readerId);
  }

  private envelope(operatorId: string) {
    const at = this.deps.now();
    return { operatorId, businessDay: businessDay(at, this.deps.settings.timeZone), at: new Date(at).toISOString() };
  }

  /** Decided and journaled one at a time per account with the sales (account-locks.ts); printed after. */
  private async apply(txnId: string, call: TillOpBody, operatorId: string): Promise<TillOutcome> {
    const { ledger } = this.deps;
    ledger.assertUsable();
    const done = await ledger.accountLocks.run(this.accountOfCall(call), () => this.applyNow(txnId, call, operatorId));
    if (!done.approved) return done;
    return { ...done, receipt: await this.print(done.entry, done.card) };
  }

  /** The account the operation is on, as far as the till knows before it asks. */
  private accountOfCall(call: TillOpBody): string | undefined {
    const { ledger } = this.deps;
    const original = "originalTxnId" in call ? call.originalTxnId : undefined;
    const cardId = "cardId" in call ? call.cardId : ledger.pending().find((e) => e.txnId === original)?.cardId;
    return cardId === undefined ? undefined : ledger.accountOf(cardId);
  }

  private async applyNow(txnId: string, call: TillOpBody, operatorId: string): Promise<TillOutcome> {
    const envelope = this.envelope(operatorId);
    const askedThrough = this.deps.ledger.summary().nextSeq - 1;
    const reply = await this.deps.server.call({ ...call, ...envelope } as TillOpCall, this.deps.settings.opTimeoutMs);
    if (!reply.ok || !reply.txn) {
      const code = reply.ok ? "TXN_CONFLICT" : reply.code;
      const detail = reply.ok ? "no transaction applied" : reply.message;
      this.deps.log.info({ txnId, op: call.op, code, detail }, "till operation declined");
      return {
        approved: false,
        txnId,
        code,
        reason: declineText(code, this.deps.settings.language),
        card: reply.ok ? reply.card : (reply.card ?? null),
      };
    }
    const t = reply.txn;
    const entry = await this.deps.ledger.commit(
      {
        txnId: t.txnId,
        kind: t.kind,
        mode: "online",
        at: envelope.at,
        businessDay: envelope.businessDay,
        operatorId,
        cardId: t.cardId,
        gross: t.gross,
        discount: t.discount,
        net: t.net,
        bonus: t.bonus,
        pointsEarned: t.pointsEarned,
        balanceAfter: t.balanceAfter,
        // What a refund or void gave back besides money, so the close, the ingest (which
        // compares this line with the row the server wrote) and reconcile() all agree.
        ...(t.pointsRedeemed ? { pointsRedeemed: t.pointsRedeemed, redeemedMinor: t.redeemedMinor ?? 0 } : {}),
        ...(t.countPackageId && t.countUses ? { countPackageId: t.countPackageId, countUses: t.countUses } : {}),
        ...(t.payment ? { payment: t.payment } : {}),
        ...(t.originalTxnId ? { originalTxnId: t.originalTxnId } : {}),
        ...(t.voidOf ? { voidOf: t.voidOf } : {}),
      },
      this.deps.now(),
    );
    this.deps.afterCommit();
    // The reply holds this entry and every online one journaled before the ask. Another
    // online entry of the account journaled in between (a sale at another reader) may or
    // may not be in it: then claim only what was journaled before the ask for a debit (it
    // counts twice until the next snapshot: less known, never more) and cache nothing for a
    // credit (the cached cards and the pending entries stay the account).
    const raced = onlineEntryBetween(this.deps.ledger, reply.card.accountId, askedThrough, entry.seq);
    if (!raced) await this.remember(reply, entry.seq);
    else if (balanceDelta(entry) < 0) await this.remember(reply, askedThrough);
    this.deps.log.info({ txnId, op: call.op, card: maskCardId(t.cardId), net: t.net }, "till operation applied");
    return { approved: true, txnId, entry, card: reply.card, receipt: null };
  }

  /** The card cache is advisory: failing to update it never undoes what is journaled. */
  private async remember(reply: Extract<TillOpReply, { ok: true }>, onlineThrough: number | null): Promise<void> {
    const { ledger } = this.deps;
    const seen = {
      appliedSeq: reply.appliedSeq ?? 0,
      onlineThrough: onlineThrough ?? ledger.card(reply.card.cardId)?.onlineThrough ?? 0,
    };
    await ledger.rememberCard(reply.card, seen, this.deps.now()).catch((err: Error) => {
      this.deps.log.warn({ err: err.message }, "card snapshot not cached");
    });
  }

  private async print(entry: JournalEntry, card: CardSnapshot): Promise<ReceiptOutcome | null> {
    const { settings } = this.deps;
    const request = receiptFor(entry, card, {
      storeName: settings.storeName,
      terminalId: settings.terminalId,
      cardTypeName: this.deps.cardTypeName(card.cardType),
    });
    try {
      return await this.deps.receipts.submit(request, settings.receiptWaitMs);
    } catch (err) {
      return { jobId: entry.txnId, printed: false, error: (err as Error).message };
    }
  }
}
