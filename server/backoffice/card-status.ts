/**
 * Card status changes (docs/architecture.md#the-domain): loss 挂失, unloss 解挂, freeze 冻结,
 * unfreeze 解冻, recycle 注销/回收. Each is allowed only from the statuses listed below, and each
 * updates the hotlist in the same transaction, so the version terminals are sent already holds
 * the change (a card not active is listed: offline rule 3).
 */

import { CardtermError } from "../../protocol/errors.js";
import type { CardStatus } from "../../rules/card.js";
import type { Db, Queryable } from "../db/db.js";
import { syncCardsHotlist } from "../ledger/hotlist.js";
import { type Actor, audit, checkActor } from "./actor.js";
import type { CardChange } from "./card-issue.js";
import { getCardDetail, lockCard } from "./card-read.js";
import { requireCardId } from "./validate.js";

export type StatusAction = "loss" | "unloss" | "freeze" | "unfreeze" | "recycle";

export const STATUS_ACTIONS: Readonly<Record<StatusAction, { from: readonly CardStatus[]; to: CardStatus }>> = {
  loss: { from: ["active", "frozen"], to: "lost" },
  unloss: { from: ["lost"], to: "active" },
  freeze: { from: ["active"], to: "frozen" },
  unfreeze: { from: ["frozen"], to: "active" },
  // A recycled card (回收) is "cancelled": out of use, and back in stock to be issued again.
  recycle: { from: ["active", "lost", "frozen"], to: "cancelled" },
};

export interface StatusChange {
  cardId: string;
  /** Why, in the operator's words (kept in the audit row). */
  note?: string | undefined;
}

export async function changeCardStatus(
  db: Db,
  action: StatusAction,
  params: StatusChange,
  actor: Actor,
): Promise<CardChange> {
  checkActor(actor);
  const rule = STATUS_ACTIONS[action];
  if (!rule) throw new CardtermError("CT_BAD_REQUEST", `unknown card action ${JSON.stringify(action)}`);
  const cardId = requireCardId(params.cardId);
  return db.transaction(async (tx) => {
    const card = await lockCard(tx, cardId);
    if (!rule.from.includes(card.status)) {
      throw new CardtermError(
        "CT_CONFLICT",
        `cannot ${action} card ${cardId}: it is ${card.status} (${action} needs ${rule.from.join(" or ")})`,
      );
    }
    if (action === "recycle") await refuseWithActiveSubCards(tx, cardId);
    await tx.query("UPDATE cards SET status = $2, status_at = now() WHERE card_id = $1", [cardId, rule.to]);
    const hotlistVersion = await syncCardsHotlist(tx, [cardId]);
    await audit(tx, actor, `card.${action}`, cardId, {
      from: card.status,
      to: rule.to,
      note: params.note ?? null,
      hotlistVersion,
    });
    return { card: await getCardDetail(tx, cardId), hotlistVersion };
  });
}

/** Sub-cards would be left pointing at a card that is gone; head office recycles them first. */
async function refuseWithActiveSubCards(tx: Queryable, cardId: string): Promise<void> {
  const { rows } = await tx.query<{ card_id: string }>(
    "SELECT card_id FROM cards WHERE primary_card_id = $1 AND status IN ('active', 'lost', 'frozen') ORDER BY card_id",
    [cardId],
  );
  if (rows.length > 0) {
    const subs = rows.map((r) => r.card_id).join(", ");
    throw new CardtermError("CT_CONFLICT", `card ${cardId} still has sub-cards in use (${subs}); recycle them first`);
  }
}

export const lossCard = (db: Db, p: StatusChange, a: Actor) => changeCardStatus(db, "loss", p, a);
export const unlossCard = (db: Db, p: StatusChange, a: Actor) => changeCardStatus(db, "unloss", p, a);
export const freezeCard = (db: Db, p: StatusChange, a: Actor) => changeCardStatus(db, "freeze", p, a);
export const unfreezeCard = (db: Db, p: StatusChange, a: Actor) => changeCardStatus(db, "unfreeze", p, a);
export const recycleCard = (db: Db, p: StatusChange, a: Actor) => changeCardStatus(db, "recycle", p, a);
