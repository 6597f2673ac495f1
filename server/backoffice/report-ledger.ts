/**
 * Head office's views of the ledger's state: the stored-value liability (储值负债),
 * shortfalls, alerts, and how each terminal is doing.
 */
import type { Queryable } from "../db/db.js";
import { toSafeInt, toSafeIntOrNull } from "../db/int.js";
import { hotlistVersion } from "../ledger/hotlist.js";
import { currentPolicy } from "../ledger/policy-store.js";
import { integrityOf, type TerminalStatus } from "../ledger/terminal-status.js";
import { isoTime } from "./actor.js";

export interface Liability {
  accounts: number;
  /** Stored value the chain owes its members: the sum of positive balances. */
  liability: number;
  /** What members owe (shortfalls): the sum of negative balances, ≤ 0. */
  owed: number;
  /** liability + owed. */
  net: number;
  /** Of all stored value ever credited, the part that was bonus (赠送), not paid in. */
  bonusIssued: number;
  pointsOutstanding: number;
}

export async function liabilityReport(q: Queryable): Promise<Liability> {
  const { rows } = await q.query<Record<string, unknown>>(
    `SELECT count(*) AS accounts, coalesce(sum(greatest(balance, 0)), 0) AS liability,
       coalesce(sum(least(balance, 0)), 0) AS owed, coalesce(sum(points), 0) AS points,
       (SELECT coalesce(sum(bonus), 0) FROM transactions WHERE kind = 'topup') AS bonus
     FROM accounts`,
  );
  const r = rows[0]!;
  const liability = toSafeInt(r.liability);
  const owed = toSafeInt(r.owed);
  return {
    accounts: toSafeInt(r.accounts),
    liability,
    owed,
    net: liability + owed,
    bonusIssued: toSafeInt(r.bonus),
    pointsOutstanding: toSafeInt(r.points),
  };
}

export interface ShortfallReportRow {
  txnId: string;
  cardId: string;
  accountId: string | null;
  amount: number;
  /** The account's balance now (a top-up may have covered it since). */
  balanceNow: number | null;
  recordedAt: string;
}

export async function shortfallReport(q: Queryable, opts: { open?: boolean } = {}): Promise<ShortfallReportRow[]> {
  const { rows } = await q.query<Record<string, unknown>>(
    `SELECT s.txn_id, s.card_id, s.account_id, s.amount, a.balance, s.recorded_at
     FROM shortfalls s LEFT JOIN accounts a ON a.id = s.account_id
     WHERE NOT $1::boolean OR a.balance IS NULL OR a.balance < 0 ORDER BY s.id`,
    [opts.open === true],
  );
  return rows.map((r) => ({
    txnId: r.txn_id as string,
    cardId: r.card_id as string,
    accountId: r.account_id as string | null,
    amount: toSafeInt(r.amount),
    balanceNow: toSafeIntOrNull(r.balance),
    recordedAt: isoTime(r.recorded_at as Date),
  }));
}

export interface AlertReportRow {
  at: string;
  kind: string;
  terminalId: string | null;
  seq: number | null;
  txnId: string | null;
  detail: string;
  /** When the state it reports ended (a journal-integrity alert once the till's journal verifies); null: open or an event. */
  clearedAt: string | null;
}

export async function alertReport(
  q: Queryable,
  opts: { kind?: string; limit?: number } = {},
): Promise<AlertReportRow[]> {
  const { rows } = await q.query<Record<string, unknown>>(
    `SELECT at, kind, terminal_id, seq, txn_id, detail, cleared_at FROM alerts WHERE $1::text IS NULL OR kind = $1
     ORDER BY id DESC LIMIT $2`,
    [opts.kind ?? null, opts.limit ?? 100],
  );
  return rows.map((r) => ({
    at: isoTime(r.at as Date),
    kind: r.kind as string,
    terminalId: r.terminal_id as string | null,
    seq: toSafeIntOrNull(r.seq),
    txnId: r.txn_id as string | null,
    detail: r.detail as string,
    clearedAt: r.cleared_at == null ? null : isoTime(r.cleared_at as Date),
  }));
}

export interface TerminalReportRow {
  terminalId: string;
  storeId: string | null;
  ackedSeq: number;
  presence: string | null;
  presenceAt: string | null;
  heartbeatAt: string | null;
  /** Journal entries waiting on the till, as of its last heartbeat. */
  pending: number | null;
  policyVersion: number | null;
  hotlistVersion: number | null;
  /** The till's journal integrity, as its last heartbeat said (null: an older till that does not say). */
  integrity: TerminalStatus["integrity"];
  /** Sequence numbers skipped over in its chain and not filled since (journal-gaps.ts). */
  openGaps: number[];
  /** The till holds an older policy or hotlist than the server's current one. */
  behind: boolean;
}

export async function terminalReport(q: Queryable): Promise<TerminalReportRow[]> {
  const policy = (await currentPolicy(q))?.version ?? null;
  const hotlist = await hotlistVersion(q);
  const { rows } = await q.query<Record<string, unknown>>(
    `SELECT t.id, t.store_id, t.acked_seq, s.presence, s.presence_at, s.heartbeat_at, s.pending,
       s.policy_version, s.hotlist_version, s.integrity_ok, s.integrity_failed_seq, s.integrity_reason,
       s.integrity_problem, s.integrity_since,
       (SELECT array_agg(g.seq ORDER BY g.seq) FROM journal_gaps g
        WHERE g.terminal_id = t.id AND g.filled_at IS NULL) AS open_gaps
     FROM terminals t LEFT JOIN terminal_status s ON s.terminal_id = t.id ORDER BY t.id`,
  );
  return rows.map((r) => {
    const pv = toSafeIntOrNull(r.policy_version);
    const hv = toSafeIntOrNull(r.hotlist_version);
    return {
      terminalId: r.id as string,
      storeId: r.store_id as string | null,
      ackedSeq: toSafeInt(r.acked_seq),
      presence: r.presence as string | null,
      presenceAt: r.presence_at as string | null,
      heartbeatAt: r.heartbeat_at as string | null,
      pending: toSafeIntOrNull(r.pending),
      policyVersion: pv,
      hotlistVersion: hv,
      behind: (policy !== null && pv !== null && pv < policy) || (hv !== null && hv < hotlist),
      integrity: integrityOf(r),
      openGaps: ((r.open_gaps as unknown[] | null) ?? []).map((seq) => toSafeInt(seq)),
    };
  });
}
