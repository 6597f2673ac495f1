/**
 * A card as head office sees it: status, type, account and member, sub-card links and
 * limits, whether it is on the hotlist. (Terminals get the smaller CardSnapshot.)
 */

import { CardtermError } from "../../protocol/errors.js";
import type { CardStatus } from "../../rules/card.js";
import type { Queryable } from "../db/db.js";
import { toSafeInt, toSafeIntOrNull } from "../db/int.js";
import { isoTime } from "./actor.js";

export interface CardDetail {
  cardId: string;
  accountId: string;
  memberId: string;
  memberName: string;
  cardType: string;
  status: CardStatus;
  /** The primary card, for a sub-card (附属卡); null for a primary. */
  primaryCardId: string | null;
  perTxnLimit: number | null;
  dailyLimit: number | null;
  hasPin: boolean;
  /** For a replaced card: the card that took its place. */
  replacedBy: string | null;
  hotlisted: boolean;
  balance: number;
  /**
   * Of the balance's money, what online approvals took and their tills have not yet
   * confirmed (docs/reconciliation.md): already out of `balance`, given back if released.
   */
  held: number;
  points: number;
  issuedAt: string;
  statusAt: string;
}

interface CardRow {
  card_id: string;
  account_id: string;
  member_id: string;
  member_name: string;
  card_type: string;
  status: CardStatus;
  primary_card_id: string | null;
  per_txn_limit: unknown;
  daily_limit: unknown;
  has_pin: boolean;
  replaced_by: string | null;
  hotlisted: boolean;
  balance: unknown;
  held: unknown;
  points: unknown;
  issued_at: Date | string;
  status_at: Date | string;
}

const SELECT = `SELECT c.card_id, c.account_id, a.member_id, m.name AS member_name, c.card_type, c.status,
    c.primary_card_id, c.per_txn_limit, c.daily_limit, c.pin_hash IS NOT NULL AS has_pin, c.replaced_by,
    EXISTS (SELECT 1 FROM hotlist_cards h WHERE h.card_id = c.card_id) AS hotlisted,
    a.balance, a.points, c.issued_at, c.status_at,
    (SELECT coalesce(sum(t.net), 0) FROM transactions t WHERE t.account_id = a.id AND t.hold_state = 'held') AS held
  FROM cards c JOIN accounts a ON a.id = c.account_id JOIN members m ON m.id = a.member_id`;

const toDetail = (r: CardRow): CardDetail => ({
  cardId: r.card_id,
  accountId: r.account_id,
  memberId: r.member_id,
  memberName: r.member_name,
  cardType: r.card_type,
  status: r.status,
  primaryCardId: r.primary_card_id,
  perTxnLimit: toSafeIntOrNull(r.per_txn_limit),
  dailyLimit: toSafeIntOrNull(r.daily_limit),
  hasPin: r.has_pin,
  replacedBy: r.replaced_by,
  hotlisted: r.hotlisted,
  balance: toSafeInt(r.balance, "balance"),
  held: toSafeInt(r.held ?? 0, "held"),
  points: toSafeInt(r.points, "points"),
  issuedAt: isoTime(r.issued_at),
  statusAt: isoTime(r.status_at),
});

export async function findCardDetail(q: Queryable, cardId: string): Promise<CardDetail | undefined> {
  const { rows } = await q.query<CardRow>(`${SELECT} WHERE c.card_id = $1`, [cardId]);
  return rows[0] && toDetail(rows[0]);
}

export async function getCardDetail(q: Queryable, cardId: string): Promise<CardDetail> {
  const card = await findCardDetail(q, cardId);
  if (!card) throw new CardtermError("CT_NOT_FOUND", `card ${cardId} is not in the ledger`);
  return card;
}

export async function listAccountCards(q: Queryable, accountId: string): Promise<CardDetail[]> {
  const { rows } = await q.query<CardRow>(`${SELECT} WHERE c.account_id = $1 ORDER BY c.issued_at, c.card_id`, [
    accountId,
  ]);
  return rows.map(toDetail);
}

/**
 * Locks the card row (and its account row: a status change and a top-up or sale on the
 * same account then run one after the other) until the transaction ends.
 */
export async function lockCard(tx: Queryable, cardId: string): Promise<CardDetail> {
  const { rows } = await tx.query<{ card_id: string }>(
    `SELECT c.card_id FROM cards c JOIN accounts a ON a.id = c.account_id WHERE c.card_id = $1 FOR UPDATE OF c, a`,
    [cardId],
  );
  if (!rows[0]) throw new CardtermError("CT_NOT_FOUND", `card ${cardId} is not in the ledger`);
  return getCardDetail(tx, cardId);
}
