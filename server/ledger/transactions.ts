/**
 * The transactions table as the ledger code reads it back.
 */
import type { TxnKind, TxnMode } from "../../protocol/journal-entry.js";
import type { Queryable } from "../db/db.js";
import { toSafeInt, toSafeIntOrNull } from "../db/int.js";

export interface StoredTxn {
  txnId: string;
  terminalId: string;
  seq: number | null;
  kind: TxnKind;
  mode: TxnMode;
  source: "online-auth" | "journal";
  cardId: string;
  accountId: string | null;
  gross: number;
  discount: number;
  net: number;
  bonus: number;
  points: number;
  balanceAfter: number | null;
  businessDay: string;
}

export interface TxnRow {
  txn_id: string;
  terminal_id: string;
  seq: unknown;
  kind: TxnKind;
  mode: TxnMode;
  source: StoredTxn["source"];
  card_id: string;
  account_id: string | null;
  gross: unknown;
  discount: unknown;
  net: unknown;
  bonus: unknown;
  points: unknown;
  balance_after: unknown;
  business_day: string;
}

const COLUMNS = `txn_id, terminal_id, seq, kind, mode, source, card_id, account_id, gross, discount, net, bonus,
  points, balance_after, business_day`;

/** The columns toStoredTxn reads, qualified with a table alias (for joins). */
export const txnColumns = (alias: string) =>
  COLUMNS.split(",")
    .map((c) => `${alias}.${c.trim()}`)
    .join(", ");

export async function findTransaction(q: Queryable, txnId: string): Promise<StoredTxn | undefined> {
  const { rows } = await q.query<TxnRow>(`SELECT ${COLUMNS} FROM transactions WHERE txn_id = $1`, [txnId]);
  return rows[0] ? toStoredTxn(rows[0]) : undefined;
}

export async function findTransactions(q: Queryable, txnIds: readonly string[]): Promise<StoredTxn[]> {
  if (txnIds.length === 0) return [];
  const { rows } = await q.query<TxnRow>(`SELECT ${COLUMNS} FROM transactions WHERE txn_id = ANY($1::text[])`, [
    txnIds,
  ]);
  return rows.map(toStoredTxn);
}

export function toStoredTxn(r: TxnRow): StoredTxn {
  return {
    txnId: r.txn_id,
    terminalId: r.terminal_id,
    seq: toSafeIntOrNull(r.seq, "transactions.seq"),
    kind: r.kind,
    mode: r.mode,
    source: r.source,
    cardId: r.card_id,
    accountId: r.account_id,
    gross: toSafeInt(r.gross, "transactions.gross"),
    discount: toSafeInt(r.discount, "transactions.discount"),
    net: toSafeInt(r.net, "transactions.net"),
    bonus: toSafeInt(r.bonus, "transactions.bonus"),
    points: toSafeInt(r.points, "transactions.points"),
    balanceAfter: toSafeIntOrNull(r.balance_after, "transactions.balance_after"),
    businessDay: r.business_day,
  };
}
