/**
 * Level change (升降级): a card moves to another card type of the current policy, which
 * changes its discount, points and bonus tiers from its next transaction. And the
 * spending limits of a sub-card. Neither touches the hotlist.
 */
import { CardtermError } from "../../protocol/errors.js";
import type { Db } from "../db/db.js";
import { type Actor, audit, checkActor } from "./actor.js";
import type { CardChange } from "./card-issue.js";
import { getCardDetail, lockCard } from "./card-read.js";
import { requireCardType } from "./policy.js";
import { optionalLimit, requireCardId } from "./validate.js";

export interface LevelChange {
  cardId: string;
  cardType: string;
  note?: string | undefined;
}

export async function changeCardLevel(db: Db, params: LevelChange, actor: Actor): Promise<CardChange> {
  checkActor(actor);
  const cardId = requireCardId(params.cardId);
  return db.transaction(async (tx) => {
    const card = await lockCard(tx, cardId);
    const cardType = await requireCardType(tx, params.cardType);
    if (card.status === "replaced" || card.status === "cancelled") {
      throw new CardtermError("CT_CONFLICT", `card ${cardId} is ${card.status}; its level can no longer change`);
    }
    if (card.cardType === cardType) throw new CardtermError("CT_CONFLICT", `card ${cardId} is already ${cardType}`);
    await tx.query("UPDATE cards SET card_type = $2 WHERE card_id = $1", [cardId, cardType]);
    await audit(tx, actor, "card.level", cardId, { from: card.cardType, to: cardType, note: params.note ?? null });
    return { card: await getCardDetail(tx, cardId), hotlistVersion: null };
  });
}

export interface LimitChange {
  cardId: string;
  /** Fen; null = no limit. */
  perTxnLimit: number | null;
  dailyLimit: number | null;
}

export async function setSubCardLimits(db: Db, params: LimitChange, actor: Actor): Promise<CardChange> {
  checkActor(actor);
  const cardId = requireCardId(params.cardId);
  const perTxnLimit = optionalLimit(params.perTxnLimit, "perTxnLimit");
  const dailyLimit = optionalLimit(params.dailyLimit, "dailyLimit");
  return db.transaction(async (tx) => {
    const card = await lockCard(tx, cardId);
    if (card.primaryCardId === null)
      throw new CardtermError("CT_CONFLICT", `card ${cardId} is a primary card; limits are for sub-cards`);
    await tx.query("UPDATE cards SET per_txn_limit = $2, daily_limit = $3 WHERE card_id = $1", [
      cardId,
      perTxnLimit,
      dailyLimit,
    ]);
    await audit(tx, actor, "card.limits", cardId, {
      from: { perTxnLimit: card.perTxnLimit, dailyLimit: card.dailyLimit },
      to: { perTxnLimit, dailyLimit },
    });
    return { card: await getCardDetail(tx, cardId), hotlistVersion: null };
  });
}
