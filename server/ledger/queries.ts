/**
 * Read-only views of the ledger for the CLI, the demo and tests.
 */

import type { HotlistDocument } from "../../protocol/messages.js";
import type { CardSnapshot } from "../../rules/card.js";
import type { PolicyDocument } from "../../rules/policy.js";
import type { Queryable } from "../db/db.js";
import { toSafeInt, toSafeIntOrNull } from "../db/int.js";
import { hotlistDocument } from "./hotlist.js";
import { currentPolicy } from "./policy-store.js";
import { loadCard } from "./rows.js";
import { terminalStatus } from "./terminal-status.js";

export interface CardTotals {
  count: number;
  /** Signed effect on stored value: −net per sale, net + bonus per top-up. */
  delta: number;
  /** Signed effect on points: earned − redeemed (a refund's or void's redeemed points given back count +). */
  points: number;
}

export interface LedgerTotals {
  count: number;
  byCard: Record<string, CardTotals>;
}

/** An account whose balance or points are not its opening figures plus its transactions. */
export interface Discrepancy {
  accountId: string;
  balance: number;
  expectedBalance: number;
  points: number;
  expectedPoints: number;
  /** Its count packages whose uses left are not their uses granted minus the uses recorded. */
  packages?: { packageId: string; remainingUses: number; expectedRemainingUses: number }[];
}

export interface AlertRow {
  kind: string;
  terminalId: string | null;
  seq: number | null;
  txnId: string | null;
  detail: string;
}

export interface ShortfallRow {
  txnId: string;
  cardId: string;
  accountId: string | null;
  amount: number;
}

/** SQL for a transaction's signed effect on stored value (protocol balanceDelta). */
/** A transaction's effect on the balance, as protocol/journal-entry.ts balanceDelta says. */
const signed = (t = "") =>
  `CASE ${t}kind WHEN 'sale' THEN -${t}net WHEN 'refund' THEN ${t}net
     WHEN 'void' THEN (CASE ${t}void_of WHEN 'topup' THEN -(${t}net + ${t}bonus) ELSE ${t}net END)
     ELSE ${t}net + ${t}bonus END`;

/** SQL for a transaction's signed effect on points (protocol pointsDelta): a refund or void gives redeemed points back. */
const signedPoints = (t = "") =>
  `${t}points + CASE WHEN ${t}kind IN ('refund', 'void') THEN ${t}points_redeemed ELSE -${t}points_redeemed END`;

/** SQL for a transaction's uses taken off its package (protocol usesDelta, negated): given back ones count −. */
const usesTaken = (t = "") => `CASE WHEN ${t}kind IN ('refund', 'void') THEN -${t}uses ELSE ${t}uses END`;

export const getCard = (q: Queryable, cardId: string): Promise<CardSnapshot | undefined> => loadCard(q, cardId);

export async function getAccountBalance(
  q: Queryable,
  accountId: string,
): Promise<{ balance: number; points: number } | undefined> {
  const { rows } = await q.query<{ balance: unknown; points: unknown }>(
    "SELECT balance, points FROM accounts WHERE id = $1",
    [accountId],
  );
  const r = rows[0];
  return r && { balance: toSafeInt(r.balance, "balance"), points: toSafeInt(r.points, "points") };
}

export async function ledgerTotals(q: Queryable): Promise<LedgerTotals> {
  const { rows } = await q.query<{ card_id: string; n: unknown; delta: unknown; points: unknown }>(
    `SELECT card_id, count(*) AS n, sum(${signed()}) AS delta, sum(${signedPoints()}) AS points
     FROM transactions GROUP BY card_id`,
  );
  const byCard: Record<string, CardTotals> = {};
  let count = 0;
  for (const r of rows) {
    const n = toSafeInt(r.n, "count");
    byCard[r.card_id] = { count: n, delta: toSafeInt(r.delta, "sum"), points: toSafeInt(r.points, "sum") };
    count += n;
  }
  return { count, byCard };
}

/**
 * Every account must equal its opening balance and points plus the sum of its
 * transactions (points: earned − redeemed, with what refunds and voids gave back), and
 * every count package its uses granted minus the uses its transactions took net of those
 * given back.
 */
export async function reconcile(q: Queryable): Promise<Discrepancy[]> {
  const { rows } = await q.query<{ id: string; balance: unknown; eb: unknown; points: unknown; ep: unknown }>(
    `SELECT a.id, a.balance, a.opening_balance + coalesce(sum(${signed("t.")}), 0) AS eb,
       a.points, a.opening_points + coalesce(sum(${signedPoints("t.")}), 0) AS ep
     FROM accounts a LEFT JOIN transactions t ON t.account_id = a.id
     GROUP BY a.id, a.balance, a.opening_balance, a.points, a.opening_points`,
  );
  const packages = await packageDiscrepancies(q);
  return rows
    .map((r): Discrepancy => {
      const d = {
        accountId: r.id,
        balance: toSafeInt(r.balance),
        expectedBalance: toSafeInt(r.eb),
        points: toSafeInt(r.points),
        expectedPoints: toSafeInt(r.ep),
      };
      const own = packages.get(r.id);
      return own ? { ...d, packages: own } : d;
    })
    .filter((d) => d.balance !== d.expectedBalance || d.points !== d.expectedPoints || d.packages);
}

async function packageDiscrepancies(q: Queryable): Promise<Map<string, NonNullable<Discrepancy["packages"]>>> {
  const { rows } = await q.query<{ package_id: string; account_id: string; remaining_uses: unknown; er: unknown }>(
    `SELECT p.package_id, p.account_id, p.remaining_uses, p.total_uses - coalesce(sum(${usesTaken("t.")}), 0) AS er
     FROM count_packages p LEFT JOIN transactions t ON t.package_id = p.package_id
     GROUP BY p.package_id, p.account_id, p.remaining_uses, p.total_uses
     HAVING p.remaining_uses <> p.total_uses - coalesce(sum(${usesTaken("t.")}), 0)
     ORDER BY p.package_id`,
  );
  const byAccount = new Map<string, NonNullable<Discrepancy["packages"]>>();
  for (const r of rows) {
    const list = byAccount.get(r.account_id) ?? [];
    list.push({
      packageId: r.package_id,
      remainingUses: toSafeInt(r.remaining_uses),
      expectedRemainingUses: toSafeInt(r.er),
    });
    byAccount.set(r.account_id, list);
  }
  return byAccount;
}

export async function terminalState(
  q: Queryable,
  terminalId: string,
): Promise<{ ackedSeq: number; lastHash: string } | undefined> {
  const { rows } = await q.query<{ acked_seq: unknown; last_hash: string }>(
    "SELECT acked_seq, last_hash FROM terminals WHERE id = $1",
    [terminalId],
  );
  const r = rows[0];
  return r && { ackedSeq: toSafeInt(r.acked_seq), lastHash: r.last_hash };
}

export async function journalCount(q: Queryable, terminalId: string): Promise<number> {
  const { rows } = await q.query<{ n: unknown }>("SELECT count(*) AS n FROM journal_entries WHERE terminal_id = $1", [
    terminalId,
  ]);
  return toSafeInt(rows[0]?.n ?? 0);
}

export async function listAlerts(q: Queryable): Promise<AlertRow[]> {
  const { rows } = await q.query<{
    kind: string;
    terminal_id: string | null;
    seq: unknown;
    txn_id: string | null;
    detail: string;
  }>("SELECT kind, terminal_id, seq, txn_id, detail FROM alerts ORDER BY id");
  return rows.map((r) => ({
    kind: r.kind,
    terminalId: r.terminal_id,
    seq: toSafeIntOrNull(r.seq),
    txnId: r.txn_id,
    detail: r.detail,
  }));
}

export async function listShortfalls(q: Queryable): Promise<ShortfallRow[]> {
  const { rows } = await q.query<{ txn_id: string; card_id: string; account_id: string | null; amount: unknown }>(
    "SELECT txn_id, card_id, account_id, amount FROM shortfalls ORDER BY id",
  );
  return rows.map((r) => ({
    txnId: r.txn_id,
    cardId: r.card_id,
    accountId: r.account_id,
    amount: toSafeInt(r.amount),
  }));
}

export const getHotlist = (q: Queryable): Promise<HotlistDocument> => hotlistDocument(q);
export const getPolicy = (q: Queryable): Promise<PolicyDocument | undefined> => currentPolicy(q);

/** The queries bound to one database, as HqServer exposes them. */
export function ledgerQueries(q: Queryable) {
  return {
    getCard: (cardId: string) => getCard(q, cardId),
    getAccountBalance: (accountId: string) => getAccountBalance(q, accountId),
    ledgerTotals: () => ledgerTotals(q),
    reconcile: () => reconcile(q),
    terminalState: (terminalId: string) => terminalState(q, terminalId),
    journalCount: (terminalId: string) => journalCount(q, terminalId),
    listAlerts: () => listAlerts(q),
    listShortfalls: () => listShortfalls(q),
    getHotlist: () => getHotlist(q),
    getPolicy: () => getPolicy(q),
    terminalStatus: (terminalId: string) => terminalStatus(q, terminalId),
  };
}

export type LedgerQueries = ReturnType<typeof ledgerQueries>;
