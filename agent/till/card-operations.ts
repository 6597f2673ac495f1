/**
 * Card operations at the till: issue, sub-card, loss, unloss, freeze, unfreeze,
 * recycle, replace and level change. The server's back office decides each, online only
 * (protocol/till-card-ops.ts); the till then keeps the server's word — the card cache
 * and, at once, its view of the hotlist (hotlist-overlay.ts) — and prints the slip.
 *
 * Card events are not written to the journal. The journal is the outbox for money the
 * till approved: what it holds must reach the ledger exactly once, so it is durable before
 * the approval shows. A card event moves no money and is never decided at the till; it
 * exists only once the server has committed it, with its audit row naming this till and
 * operator, in the same transaction. A journal copy would be a second record of something
 * the ledger already holds, for ingest, reconcile and the daily close to tell apart from
 * money. So the till keeps them in its log and on the slip, and the server's audit log is
 * the record of them.
 */

import { CardtermError } from "../../protocol/errors.js";
import type { CardOpName, CardOpOutcome, TillNewMember } from "../../protocol/till-card-ops.js";
import type { TillOpDeclineCode, TillOpReply } from "../../protocol/till-ops.js";
import type { CardSnapshot } from "../../rules/card.js";
import { isCardId, maskCardId, cardId as toCardId } from "../../rules/card.js";
import { declineText } from "../../rules/decline-text.js";
import type { TerminalLedger } from "../journal/terminal-ledger.js";
import { maskCardText } from "../logger.js";
import type { ReceiptOutcome } from "../receipts/print-queue.js";
import { businessDay } from "../sale/business-day.js";
import type { TillOpBody, TillOpCall } from "../sync/till-op-client.js";
import { cardEventReceipt } from "./card-receipts.js";
import type { HotlistOverlay } from "./hotlist-overlay.js";
import type { TillOpsDeps } from "./till-operations.js";

export interface CardOpsDeps
  extends Pick<TillOpsDeps, "server" | "taps" | "receipts" | "newTxnId" | "now" | "cardTypeName" | "log" | "settings"> {
  ledger: Pick<TerminalLedger, "card" | "rememberCard">;
  hotlist: Pick<HotlistOverlay, "mark">;
}

/** A card given by uid (a card id, or a bare uid taken as an IC card) or, when absent, by the next tap. */
export interface CardGiven {
  cardUid?: string | undefined;
  readerId?: string | undefined;
}

export interface IssueInput extends CardGiven {
  cardType: string;
  member?: TillNewMember | undefined;
  memberId?: string | undefined;
  pin?: string | undefined;
}

export interface SubCardInput extends CardGiven {
  /** The sub-card's own daily spending limit, fen. */
  dailyLimit?: number | undefined;
  perTxnLimit?: number | undefined;
  pin?: string | undefined;
}

export type CardOpResult =
  | {
      ok: true;
      op: CardOpName;
      requestId: string;
      card: CardSnapshot;
      other: CardSnapshot | null;
      memberId: string | null;
      replayed: boolean;
      receipt: ReceiptOutcome | null;
    }
  | {
      ok: false;
      op: CardOpName;
      requestId: string;
      code: TillOpDeclineCode;
      message: string;
      card: CardSnapshot | null;
    };

/** Who asks, and under which request id (the POS app's idempotency key, or a new one). */
export interface CardOpCaller {
  operatorId: string;
  requestId?: string | undefined;
}

type StatusOp = "loss" | "unloss" | "freeze" | "unfreeze" | "recycle";

export class CardOperations {
  constructor(private readonly deps: CardOpsDeps) {}

  async issue(input: IssueInput, who: CardOpCaller): Promise<CardOpResult> {
    const cardId = await this.cardOf(input);
    const target = input.member ? { member: input.member } : { memberId: input.memberId ?? "" };
    const pin = input.pin === undefined ? {} : { pin: input.pin };
    return this.run({ op: "issue", cardId, cardType: input.cardType, ...target, ...pin }, who);
  }

  async subcard(primaryUid: string, input: SubCardInput, who: CardOpCaller): Promise<CardOpResult> {
    const primaryCardId = normaliseCardUid(primaryUid);
    const cardId = await this.cardOf(input);
    return this.run(
      {
        op: "subcard",
        cardId,
        primaryCardId,
        ...(input.dailyLimit === undefined ? {} : { dailyLimit: input.dailyLimit }),
        ...(input.perTxnLimit === undefined ? {} : { perTxnLimit: input.perTxnLimit }),
        ...(input.pin === undefined ? {} : { pin: input.pin }),
      },
      who,
    );
  }

  changeStatus(op: StatusOp, cardUid: string, input: { note?: string | undefined }, who: CardOpCaller) {
    return this.run({ op, cardId: normaliseCardUid(cardUid), ...noteOf(input) }, who);
  }

  async replace(cardUid: string, input: { newCardUid?: string; readerId?: string; note?: string }, who: CardOpCaller) {
    const cardId = normaliseCardUid(cardUid);
    const newCardId = await this.cardOf({ cardUid: input.newCardUid, readerId: input.readerId });
    return this.run({ op: "replace", cardId, newCardId, ...noteOf(input) }, who);
  }

  level(cardUid: string, input: { cardType: string; note?: string | undefined }, who: CardOpCaller) {
    return this.run(
      { op: "level", cardId: normaliseCardUid(cardUid), cardType: input.cardType, ...noteOf(input) },
      who,
    );
  }

  private async cardOf(given: CardGiven): Promise<string> {
    if (given.cardUid !== undefined) return normaliseCardUid(given.cardUid);
    const tap = await this.deps.taps.waitForTap(this.deps.settings.tapTimeoutMs, given.readerId);
    return tap.cardId;
  }

  private async run(body: DistributiveOmit<CardOpBody, "requestId">, who: CardOpCaller): Promise<CardOpResult> {
    const { server, settings, log, now } = this.deps;
    const requestId = who.requestId ?? this.deps.newTxnId();
    const at = now();
    const call = {
      ...body,
      requestId,
      operatorId: who.operatorId,
      businessDay: businessDay(at, settings.timeZone),
      at: new Date(at).toISOString(),
    } as TillOpCall;
    const reply = await server.call(call, settings.opTimeoutMs);
    if (!reply.ok || !reply.cardOp) {
      const code: TillOpDeclineCode = reply.ok ? "TXN_CONFLICT" : reply.code;
      const card = reply.ok ? reply.card : (reply.card ?? null);
      if (card) await this.remember(card, reply);
      log.info(
        { op: body.op, requestId, code, detail: reply.ok ? "no card operation" : maskCardText(reply.message) },
        "card operation declined",
      );
      return { ok: false, op: body.op, requestId, code, message: declineText(code, settings.language), card };
    }
    const op = reply.cardOp;
    for (const card of [reply.card, op.other]) if (card) await this.remember(card, reply);
    if (op.hotlistVersion !== null) {
      for (const [cardId, listed] of Object.entries(op.hotlisted))
        this.deps.hotlist.mark(cardId, listed, op.hotlistVersion);
    }
    log.info(
      {
        op: op.op,
        requestId,
        card: maskCardId(reply.card.cardId),
        status: reply.card.status,
        operatorId: who.operatorId,
        replayed: op.replayed,
      },
      "card operation applied",
    );
    const receipt = await this.print(reply.card, op, who.operatorId, call.at, "note" in body ? body.note : undefined);
    return {
      ok: true,
      op: op.op,
      requestId,
      card: reply.card,
      other: op.other ?? null,
      memberId: op.memberId ?? null,
      replayed: op.replayed,
      receipt,
    };
  }

  /** The card cache is advisory: failing to update it never undoes what the server did. */
  private async remember(card: CardSnapshot, reply: TillOpReply): Promise<void> {
    const { ledger } = this.deps;
    const seen = {
      appliedSeq: (reply.ok ? reply.appliedSeq : undefined) ?? 0,
      onlineThrough: ledger.card(card.cardId)?.onlineThrough ?? 0,
    };
    await ledger.rememberCard(card, seen, this.deps.now()).catch((err: Error) => {
      this.deps.log.warn({ err: err.message }, "card snapshot not cached");
    });
  }

  private async print(
    card: CardSnapshot,
    op: CardOpOutcome,
    operatorId: string,
    at: string,
    note: string | undefined,
  ): Promise<ReceiptOutcome | null> {
    const { settings } = this.deps;
    const request = cardEventReceipt(card, op, {
      storeName: settings.storeName,
      terminalId: settings.terminalId,
      operatorId,
      at,
      note,
      cardTypeName: this.deps.cardTypeName,
    });
    try {
      return await this.deps.receipts.submit(request, settings.receiptWaitMs);
    } catch (err) {
      return { jobId: op.requestId, printed: false, error: (err as Error).message };
    }
  }
}

type CardOpBody = Extract<TillOpBody, { requestId: string }>;
type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

/** Normalised the way a sale's card uid is (SimulatedReader.read): a card id as given, a bare uid as an IC card. */
export function normaliseCardUid(uid: string): string {
  if (isCardId(uid)) return uid;
  try {
    return toCardId("ic", uid);
  } catch {
    throw new CardtermError("CT_BAD_REQUEST", `"${uid}" is not a valid card uid`);
  }
}

function noteOf(input: { note?: string | undefined }): { note?: string } {
  return input.note === undefined || input.note === "" ? {} : { note: input.note };
}
