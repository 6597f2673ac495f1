/**
 * Reading a card with its account and member as the CardSnapshot both ends share.
 */
import type { CardSnapshot, CardStatus } from "../../protocol/card.js";
import type { Queryable } from "../db/db.js";
import { toSafeInt } from "../db/int.js";

interface CardRow {
  card_id: string;
  account_id: string;
  card_type: string;
  status: CardStatus;
  member_name: string;
  birthday: string | null;
  balance: unknown;
  points: unknown;
}

const CARD_SELECT = `SELECT c.card_id, c.account_id, c.card_type, c.status, m.name AS member_name, m.birthday,
    a.balance, a.points
  FROM cards c JOIN accounts a ON a.id = c.account_id JOIN members m ON m.id = a.member_id
  WHERE c.card_id = $1`;

/** The card's snapshot; `lockAccount` holds its account row until the transaction ends. */
export async function loadCard(
  q: Queryable,
  cardId: string,
  opts: { lockAccount?: boolean } = {},
): Promise<CardSnapshot | undefined> {
  const sql = opts.lockAccount ? `${CARD_SELECT} FOR UPDATE OF a` : CARD_SELECT;
  const { rows } = await q.query<CardRow>(sql, [cardId]);
  const row = rows[0];
  return row ? toSnapshot(row) : undefined;
}

function toSnapshot(row: CardRow): CardSnapshot {
  const snap: CardSnapshot = {
    cardId: row.card_id,
    accountId: row.account_id,
    memberName: row.member_name,
    cardType: row.card_type,
    status: row.status,
    balance: toSafeInt(row.balance, "accounts.balance"),
    points: toSafeInt(row.points, "accounts.points"),
  };
  if (row.birthday) snap.birthday = row.birthday;
  return snap;
}
