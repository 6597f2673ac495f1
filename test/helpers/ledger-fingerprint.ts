/**
 * What a refused request must leave as it was at head office: the row count of every
 * table (a transaction, a hold, an audit row, a member, a package…), every account's
 * balance and points, and every card's status and type. Compared before and after with
 * t.same, so the difference names the table or account that moved.
 */
import type { Queryable } from "../../server/db/db.js";

/** Tables that change by themselves while nothing is asked: the tills' heartbeats. */
const LIVE_TABLES = new Set(["terminal_status", "schema_migrations"]);

export async function ledgerFingerprint(db: Queryable): Promise<Record<string, unknown>> {
  const { rows: tables } = await db.query<{ name: string }>(
    "SELECT table_name AS name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY 1",
  );
  const out: Record<string, unknown> = {};
  for (const { name } of tables) {
    if (LIVE_TABLES.has(name)) continue;
    const { rows } = await db.query<{ n: string }>(`SELECT count(*)::text AS n FROM "${name}"`);
    out[`rows of ${name}`] = rows[0]!.n;
  }
  const { rows: accounts } = await db.query<{ id: string; balance: string; points: string }>(
    "SELECT id, balance::text, points::text FROM accounts ORDER BY id",
  );
  for (const a of accounts) out[`account ${a.id}`] = `${a.balance} fen, ${a.points} points`;
  const { rows: cards } = await db.query<{ card_id: string; status: string; card_type: string }>(
    "SELECT card_id, status, card_type FROM cards ORDER BY card_id",
  );
  for (const c of cards) out[`card ${c.card_id}`] = `${c.status} ${c.card_type}`;
  return out;
}
