/**
 * Issuing a card (发卡): a primary card to a new member, to an existing member (a new
 * account) or onto an existing account; or a sub-card (附属卡) sharing a primary card's
 * account, optionally with its own spending limits (rules/sub-card.ts). A PIN is
 * stored only as its scrypt hash (rules/pin.ts).
 *
 * A recycled card (status cancelled, 回收) may be issued again: the physical card comes
 * back into stock. Its row then belongs to the new account; its old transactions keep
 * the old account id, so no history moves.
 */
import { CardtermError } from "../../protocol/errors.js";
import { hashPin } from "../../rules/pin.js";
import type { Db, Queryable } from "../db/db.js";
import { syncCardsHotlist } from "../ledger/hotlist.js";
import { openAccount } from "./accounts.js";
import { type Actor, audit, checkActor } from "./actor.js";
import { type CardDetail, findCardDetail, getCardDetail, lockCard } from "./card-read.js";
import { insertMember, type NewMember } from "./members.js";
import { requireCardType } from "./policy.js";
import { optionalLimit, requireCardId, requireId } from "./validate.js";

export interface CardIssue {
  cardId: string;
  /** Required for a primary card; a sub-card defaults to its primary's type. */
  cardType?: string | undefined;
  /** Who gets it — exactly one of these four. */
  member?: NewMember | undefined;
  memberId?: string | undefined;
  accountId?: string | undefined;
  primaryCardId?: string | undefined;
  /** Sub-card limits in fen; null or absent = none. */
  perTxnLimit?: number | null | undefined;
  dailyLimit?: number | null | undefined;
  /** 4–12 digits; stored hashed. */
  pin?: string | undefined;
}

export interface CardChange {
  card: CardDetail;
  /** The hotlist version this change made, or null when the hotlist did not change. */
  hotlistVersion: number | null;
}

interface Holder {
  accountId: string;
  primaryCardId: string | null;
  cardType: string | undefined;
}

export async function issueCard(db: Db, params: CardIssue, actor: Actor): Promise<CardChange> {
  checkActor(actor);
  const cardId = requireCardId(params.cardId);
  const targets = [params.member, params.memberId, params.accountId, params.primaryCardId].filter((x) => x != null);
  if (targets.length !== 1) {
    throw new CardtermError(
      "CT_BAD_REQUEST",
      "give exactly one of member (a new member), memberId, accountId or primaryCardId",
    );
  }
  const perTxnLimit = optionalLimit(params.perTxnLimit, "perTxnLimit");
  const dailyLimit = optionalLimit(params.dailyLimit, "dailyLimit");
  if ((perTxnLimit !== null || dailyLimit !== null) && !params.primaryCardId) {
    throw new CardtermError("CT_BAD_REQUEST", "spending limits are for sub-cards: give primaryCardId");
  }
  // Hashed before the transaction: scrypt takes a tenth of a second and holds no lock.
  const pinHash = params.pin === undefined ? null : hashPin(params.pin);
  return db.transaction(async (tx) => {
    const holder = await holderOf(tx, params, actor);
    const cardType = await requireCardType(tx, params.cardType ?? holder.cardType);
    const row = { ...holder, cardId, cardType, pinHash, perTxnLimit, dailyLimit };
    const reissued = await placeCard(tx, row);
    const hotlistVersion = reissued ? await syncCardsHotlist(tx, [cardId]) : null;
    await audit(tx, actor, reissued ? "card.reissue" : "card.issue", cardId, {
      accountId: holder.accountId,
      cardType,
      primaryCardId: holder.primaryCardId,
      perTxnLimit,
      dailyLimit,
      pin: pinHash !== null,
    });
    return { card: await getCardDetail(tx, cardId), hotlistVersion };
  });
}

async function holderOf(tx: Queryable, p: CardIssue, actor: Actor): Promise<Holder> {
  if (p.member) {
    const member = await insertMember(tx, p.member, actor);
    return { accountId: await openAccount(tx, member.memberId), primaryCardId: null, cardType: undefined };
  }
  if (p.memberId != null) {
    return {
      accountId: await openAccount(tx, requireId(p.memberId, "memberId")),
      primaryCardId: null,
      cardType: undefined,
    };
  }
  if (p.accountId != null) {
    const { rows } = await tx.query("SELECT 1 FROM accounts WHERE id = $1", [p.accountId]);
    if (rows.length === 0) throw new CardtermError("CT_NOT_FOUND", `account ${p.accountId} does not exist`);
    return { accountId: p.accountId, primaryCardId: null, cardType: undefined };
  }
  const primary = await lockCard(tx, requireCardId(p.primaryCardId, "primaryCardId"));
  if (primary.primaryCardId !== null) {
    throw new CardtermError(
      "CT_CONFLICT",
      `${primary.cardId} is itself a sub-card of ${primary.primaryCardId}; give the primary card`,
    );
  }
  if (primary.status !== "active") {
    throw new CardtermError("CT_CONFLICT", `primary card ${primary.cardId} is ${primary.status}, not active`);
  }
  return { accountId: primary.accountId, primaryCardId: primary.cardId, cardType: primary.cardType };
}

interface CardRow extends Omit<Holder, "cardType"> {
  cardId: string;
  cardType: string;
  pinHash: string | null;
  perTxnLimit: number | null;
  dailyLimit: number | null;
}

/** Inserts the card, or takes back a recycled one; returns whether it was a recycled card. */
async function placeCard(tx: Queryable, c: CardRow): Promise<boolean> {
  const values = [c.cardId, c.accountId, c.cardType, c.primaryCardId, c.perTxnLimit, c.dailyLimit, c.pinHash];
  const inserted = await tx.query(
    `INSERT INTO cards (card_id, account_id, card_type, status, primary_card_id, per_txn_limit, daily_limit, pin_hash)
     VALUES ($1, $2, $3, 'active', $4, $5, $6, $7) ON CONFLICT (card_id) DO NOTHING RETURNING card_id`,
    values,
  );
  if (inserted.rows.length > 0) return false;
  const existing = await findCardDetail(tx, c.cardId);
  if (existing?.status !== "cancelled") {
    throw new CardtermError(
      "CT_CONFLICT",
      `card ${c.cardId} is already issued (${existing?.status ?? "unknown"}); only a recycled card can be issued again`,
    );
  }
  await tx.query(
    `UPDATE cards SET account_id = $2, card_type = $3, status = 'active', primary_card_id = $4, per_txn_limit = $5,
       daily_limit = $6, pin_hash = $7, replaced_by = NULL, issued_at = now(), status_at = now()
     WHERE card_id = $1`,
    values,
  );
  return true;
}
