/** The card-event slip for a card operation the server applied (template: card-event-receipt.ts). */

import type { CardOpName, CardOpOutcome } from "../../protocol/till-card-ops.js";
import type { CardSnapshot } from "../../rules/card.js";
import type { CardEventSlipData } from "../receipts/card-event-receipt.js";
import type { CardEvent, ReceiptRequest } from "../receipts/receipt-data.js";

const EVENT: Record<CardOpName, CardEvent> = {
  issue: "issue",
  subcard: "issue",
  loss: "loss",
  unloss: "unloss",
  freeze: "freeze",
  unfreeze: "unfreeze",
  recycle: "recycle",
  replace: "replace",
  level: "levelChange",
};

export interface CardSlipContext {
  storeName: string;
  terminalId: string;
  operatorId: string;
  /** ISO time of the operation. */
  at: string;
  note?: string | undefined;
  cardTypeName: (cardType: string) => string | null;
}

export function cardEventReceipt(card: CardSnapshot, op: CardOpOutcome, ctx: CardSlipContext): ReceiptRequest {
  const replaced = op.op === "replace" ? op.other : undefined;
  const data: CardEventSlipData = {
    storeName: ctx.storeName,
    terminalId: ctx.terminalId,
    operatorId: ctx.operatorId,
    // Filed and reprinted under the request id: a retried request prints again, marked REPRINT.
    txnId: op.requestId,
    seq: 0,
    at: ctx.at,
    // A replacement's slip is about the old card; the new one is named below it.
    cardId: replaced?.cardId ?? card.cardId,
    memberName: card.memberName,
    cardTypeName: ctx.cardTypeName(card.cardType) ?? card.cardType,
    mode: "online",
    event: EVENT[op.op],
    ...(replaced ? { newCardId: card.cardId, balanceMoved: card.balance } : {}),
    ...(op.op === "subcard" && op.other ? { primaryCardId: op.other.cardId } : {}),
    ...(op.op === "level" && op.fromCardType
      ? {
          fromLevel: ctx.cardTypeName(op.fromCardType) ?? op.fromCardType,
          toLevel: ctx.cardTypeName(card.cardType) ?? card.cardType,
        }
      : {}),
    ...(ctx.note ? { reason: ctx.note } : {}),
  };
  return { template: "card-event", data };
}
