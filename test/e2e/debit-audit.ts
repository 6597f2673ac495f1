/**
 * The auditor's questions (no debit without the till's record: docs/reconciliation.md), asked
 * of a real ledger and a real till's data directory after the till has drained: is there a
 * debit at the server that the till never recorded? is a hold still waiting? does each card's
 * balance equal what was paid in minus what the till journaled?
 *
 * "Debit" is any sale transaction of the terminal at the server that moves money: today
 * every row of `transactions`; once online approvals are holds, a released hold moved
 * nothing and is not one (the column is looked up, so the same audit runs on both).
 */
import { JournalArchive } from "../../agent/journal/journal-archive.js";
import { TerminalLedger } from "../../agent/journal/terminal-ledger.js";
import { balanceDelta, type JournalEntry } from "../../protocol/journal-entry.js";
import type { Queryable } from "../../server/db/db.js";
import { toSafeInt } from "../../server/db/int.js";

export interface ServerDebit {
  txnId: string;
  cardId: string;
  net: number;
  mode: string;
  /** The hold's state where holds exist (held, confirmed, released), else null. */
  hold: string | null;
}

/** Every entry the till ever journaled: its archive (acknowledged) and what is still pending. Read-only. */
export async function tillJournal(dataDir: string, terminalId: string, key: Buffer): Promise<JournalEntry[]> {
  const archived = await new JournalArchive(`${dataDir}/archive`, 90).read();
  const ledger = await TerminalLedger.open({ dataDir, terminalId, key, readOnly: true });
  try {
    const integrity = ledger.checkIntegrity();
    if (!integrity.ok) throw new Error(`the till's journal does not verify: ${JSON.stringify(integrity)}`);
    const bySeq = new Map<number, JournalEntry>();
    for (const e of [...archived, ...ledger.pending()]) bySeq.set(e.seq, e);
    return [...bySeq.values()].sort((a, b) => a.seq - b.seq);
  } finally {
    await ledger.close();
  }
}

/** The name of the hold-state column of `transactions`, if the schema has one. */
async function holdColumn(q: Queryable): Promise<string | undefined> {
  const { rows } = await q.query<{ column_name: string }>(
    `SELECT column_name FROM information_schema.columns
     WHERE table_name = 'transactions' AND column_name IN ('hold_state', 'hold', 'state')`,
  );
  return rows[0]?.column_name;
}

/** The terminal's sale transactions at the server, with their hold state where there is one. */
export async function serverSales(q: Queryable, terminalId: string): Promise<ServerDebit[]> {
  const col = await holdColumn(q);
  const { rows } = await q.query<{ txn_id: string; card_id: string; net: unknown; mode: string; hold: string | null }>(
    `SELECT txn_id, card_id, net, mode, ${col ? `${col}::text` : "NULL"} AS hold
     FROM transactions WHERE terminal_id = $1 AND kind = 'sale' ORDER BY recorded_at, txn_id`,
    [terminalId],
  );
  return rows.map((r) => ({ txnId: r.txn_id, cardId: r.card_id, net: toSafeInt(r.net), mode: r.mode, hold: r.hold }));
}

/** Server sales that take money from an account: all of them, less released holds. */
export async function serverDebits(q: Queryable, terminalId: string): Promise<ServerDebit[]> {
  return (await serverSales(q, terminalId)).filter((s) => s.hold !== "released");
}

/** Holds nobody has confirmed or released yet. */
export async function openHolds(q: Queryable, terminalId: string): Promise<ServerDebit[]> {
  return (await serverSales(q, terminalId)).filter((s) => s.hold === "held");
}

/** Transaction ids of the terminal's rows in `journal_entries` (what its uploaded journal says), with their count. */
export async function serverJournalTxns(q: Queryable, terminalId: string): Promise<Map<string, number>> {
  const { rows } = await q.query<{ txn_id: string; n: unknown }>(
    "SELECT txn_id, count(*) AS n FROM journal_entries WHERE terminal_id = $1 GROUP BY txn_id",
    [terminalId],
  );
  return new Map(rows.map((r) => [r.txn_id, toSafeInt(r.n)]));
}

/** Debits at the server with no journal entry of the same txn id: the defect, one row per unrecorded charge. */
export async function debitsWithoutJournal(q: Queryable, terminalId: string): Promise<ServerDebit[]> {
  const journaled = await serverJournalTxns(q, terminalId);
  return (await serverDebits(q, terminalId)).filter((d) => !journaled.has(d.txnId));
}

/** A card's balance at the server beside opening + head-office top-ups − the till's journaled change. */
export interface BalanceCheck {
  cardId: string;
  balance: number;
  expected: number;
}

/**
 * For each card (each on an account of its own): the account's balance must equal its
 * opening balance plus its head-office top-ups (with bonus) plus the stored-value change of
 * every entry in the till's journal — nothing else may have moved it.
 */
export async function balancesAgainstJournal(
  q: Queryable,
  cardIds: readonly string[],
  journal: readonly JournalEntry[],
): Promise<BalanceCheck[]> {
  const out: BalanceCheck[] = [];
  for (const cardId of cardIds) {
    const { rows } = await q.query<{ balance: unknown; opening: unknown; hq: unknown }>(
      `SELECT a.balance, a.opening_balance AS opening,
         (SELECT coalesce(sum(t.net + t.bonus), 0) FROM transactions t
          WHERE t.account_id = a.id AND t.kind = 'topup' AND t.terminal_id IS NULL) AS hq
       FROM cards c JOIN accounts a ON a.id = c.account_id WHERE c.card_id = $1`,
      [cardId],
    );
    const r = rows[0];
    if (!r) throw new Error(`card ${cardId} is not in the ledger`);
    const tillDelta = journal.filter((e) => e.cardId === cardId).reduce((sum, e) => sum + balanceDelta(e), 0);
    out.push({ cardId, balance: toSafeInt(r.balance), expected: toSafeInt(r.opening) + toSafeInt(r.hq) + tillDelta });
  }
  return out;
}
