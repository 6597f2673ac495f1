/**
 * Accounts (账户): the stored value and points a member's cards share. The balance only
 * ever moves with a transaction row (a sale or top-up), so reconcile() can prove it.
 */
import { CardtermError } from "../../protocol/errors.js";
import type { Queryable } from "../db/db.js";
import { toSafeInt, toSafeIntOrNull } from "../db/int.js";
import { type CardDetail, listAccountCards } from "./card-read.js";

export interface Account {
  accountId: string;
  memberId: string;
  memberName: string;
  balance: number;
  points: number;
  cards: CardDetail[];
  recent: AccountTxn[];
}

export interface AccountTxn {
  txnId: string;
  kind: string;
  source: string;
  terminalId: string | null;
  cardId: string;
  net: number;
  bonus: number;
  points: number;
  balanceAfter: number | null;
  at: string;
  businessDay: string;
}

/** A new, empty account for a member (inside the caller's transaction); returns its id. */
export async function openAccount(tx: Queryable, memberId: string): Promise<string> {
  const { rows } = await tx.query<{ id: string }>(
    `INSERT INTO accounts (id, member_id, balance, points, opening_balance, opening_points)
     SELECT 'A' || nextval('account_seq'), id, 0, 0, 0, 0 FROM members WHERE id = $1 RETURNING id`,
    [memberId],
  );
  if (!rows[0]) throw new CardtermError("CT_NOT_FOUND", `member ${memberId} does not exist`);
  return rows[0].id;
}

export async function getAccount(q: Queryable, accountId: string, recentLimit = 20): Promise<Account> {
  const { rows } = await q.query<{ id: string; member_id: string; name: string; balance: unknown; points: unknown }>(
    `SELECT a.id, a.member_id, m.name, a.balance, a.points FROM accounts a JOIN members m ON m.id = a.member_id
     WHERE a.id = $1`,
    [accountId],
  );
  const a = rows[0];
  if (!a) throw new CardtermError("CT_NOT_FOUND", `account ${accountId} does not exist`);
  return {
    accountId: a.id,
    memberId: a.member_id,
    memberName: a.name,
    balance: toSafeInt(a.balance, "balance"),
    points: toSafeInt(a.points, "points"),
    cards: await listAccountCards(q, accountId),
    recent: await recentTransactions(q, accountId, recentLimit),
  };
}

/** The accounts of a member, with their cards (for `member show`). */
export async function memberAccounts(q: Queryable, memberId: string): Promise<Account[]> {
  const { rows } = await q.query<{ id: string }>("SELECT id FROM accounts WHERE member_id = $1 ORDER BY id", [
    memberId,
  ]);
  const out: Account[] = [];
  for (const r of rows) out.push(await getAccount(q, r.id, 5));
  return out;
}

async function recentTransactions(q: Queryable, accountId: string, limit: number): Promise<AccountTxn[]> {
  const { rows } = await q.query<{
    txn_id: string;
    kind: string;
    source: string;
    terminal_id: string | null;
    card_id: string;
    net: unknown;
    bonus: unknown;
    points: unknown;
    balance_after: unknown;
    at: string;
    business_day: string;
  }>(
    `SELECT txn_id, kind, source, terminal_id, card_id, net, bonus, points, balance_after, at, business_day
     FROM transactions WHERE account_id = $1 ORDER BY recorded_at DESC, txn_id LIMIT $2`,
    [accountId, limit],
  );
  return rows.map((r) => ({
    txnId: r.txn_id,
    kind: r.kind,
    source: r.source,
    terminalId: r.terminal_id,
    cardId: r.card_id,
    net: toSafeInt(r.net),
    bonus: toSafeInt(r.bonus),
    points: toSafeInt(r.points),
    balanceAfter: toSafeIntOrNull(r.balance_after),
    at: r.at,
    businessDay: r.business_day,
  }));
}
