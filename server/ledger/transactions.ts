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
  /** Points earned; points redeemed (a sale paid partly by points) are apart, with the fen they stood for. */
  points: number;
  pointsRedeemed: number;
  redeemedMinor: number;
  /** A count-card use: the package and how many uses (0 when none). */
  packageId: string | null;
  uses: number;
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
  points_redeemed: unknown;
  redeemed_minor: unknown;
  package_id: string | null;
  uses: unknown;
  balance_after: unknown;
  business_day: string;
}

const COLUMNS = `txn_id, terminal_id, seq, kind, mode, source, card_id, account_id, gross, discount, net, bonus,
  points, points_redeemed, redeemed_minor, package_id, uses, balance_after, business_day`;

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
    pointsRedeemed: toSafeInt(r.points_redeemed ?? 0, "transactions.points_redeemed"),
    redeemedMinor: toSafeInt(r.redeemed_minor ?? 0, "transactions.redeemed_minor"),
    packageId: r.package_id ?? null,
    uses: toSafeInt(r.uses ?? 0, "transactions.uses"),
    balanceAfter: toSafeIntOrNull(r.balance_after, "transactions.balance_after"),
    businessDay: r.business_day,
  };
}
