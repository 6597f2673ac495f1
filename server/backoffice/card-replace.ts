/**
 * Replacing a card (补卡): a new card takes the old one's place on the same account, so
 * the balance and points "move" without a transaction (they belong to the account). The
 * old card becomes 'replaced', names its successor and goes on the hotlist; sub-cards
 * of the old card become sub-cards of the new one.
 */
import { CardtermError } from "../../protocol/errors.js";
import { hashPin } from "../../rules/pin.js";
import type { Db } from "../db/db.js";
import { syncCardsHotlist } from "../ledger/hotlist.js";
import { type Actor, audit, checkActor } from "./actor.js";
import type { CardChange } from "./card-issue.js";
import { getCardDetail, lockCard } from "./card-read.js";
import { requireCardId } from "./validate.js";

export interface CardReplacement {
  cardId: string;
  newCardId: string;
  /** A new PIN; absent = the new card keeps the old card's PIN. */
  pin?: string | undefined;
  note?: string | undefined;
}

export interface ReplaceResult extends CardChange {
  /** The old card, now replaced. */
  old: CardChange["card"];
}

export async function replaceCard(db: Db, params: CardReplacement, actor: Actor): Promise<ReplaceResult> {
  checkActor(actor);
  const oldId = requireCardId(params.cardId);
  const newId = requireCardId(params.newCardId, "newCardId");
  if (oldId === newId) throw new CardtermError("CT_BAD_REQUEST", "the new card must be a different card");
  const pinHash = params.pin === undefined ? null : hashPin(params.pin);
  return db.transaction(async (tx) => {
    const old = await lockCard(tx, oldId);
    if (!["active", "lost", "frozen"].includes(old.status)) {
      throw new CardtermError("CT_CONFLICT", `cannot replace card ${oldId}: it is ${old.status}`);
    }
    const inserted = await tx.query(
      `INSERT INTO cards (card_id, account_id, card_type, status, primary_card_id, per_txn_limit, daily_limit, pin_hash)
       SELECT $2, account_id, card_type, 'active', primary_card_id, per_txn_limit, daily_limit, coalesce($3, pin_hash)
       FROM cards WHERE card_id = $1
       ON CONFLICT (card_id) DO NOTHING RETURNING card_id`,
      [oldId, newId, pinHash],
    );
    if (inserted.rows.length === 0) throw new CardtermError("CT_CONFLICT", `card ${newId} is already issued`);
    await tx.query("UPDATE cards SET status = 'replaced', replaced_by = $2, status_at = now() WHERE card_id = $1", [
      oldId,
      newId,
    ]);
    await tx.query("UPDATE cards SET primary_card_id = $2 WHERE primary_card_id = $1 AND card_id <> $2", [
      oldId,
      newId,
    ]);
    const hotlistVersion = await syncCardsHotlist(tx, [oldId, newId]);
    await audit(tx, actor, "card.replace", oldId, { from: old.status, newCardId: newId, note: params.note ?? null });
    await audit(tx, actor, "card.issue", newId, { replaces: oldId, accountId: old.accountId, cardType: old.cardType });
    return { card: await getCardDetail(tx, newId), old: await getCardDetail(tx, oldId), hotlistVersion };
  });
}
