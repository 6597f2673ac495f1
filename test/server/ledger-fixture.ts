/**
 * Shared fixtures for the server tests: one in-memory PGlite per test file (it takes
 * seconds to start), wiped and re-seeded with the demo chain before each test.
 *
 * CARDTERM_TEST_DATABASE_URL runs the same tests against a real PostgreSQL instead;
 * the tests wipe its tables, so give it a scratch database and run with `--jobs 1`.
 */
import type { Db } from "../../server/db/db.js";
import { migrate } from "../../server/db/migrations.js";
import { openPgDb } from "../../server/db/pg-db.js";
import { openPgliteDb } from "../../server/db/pglite-db.js";
import { seedDemo } from "../../server/ledger/seed-demo.js";
import { TestTerminal } from "./test-terminal.js";

export const T1 = new TestTerminal("T001", "11".repeat(32));
export const T2 = new TestTerminal("T002", "22".repeat(32));

export async function openTestDb(): Promise<Db> {
  const url = process.env.CARDTERM_TEST_DATABASE_URL;
  const db = url ? await openPgDb(url) : await openPgliteDb();
  await migrate(db);
  return db;
}

const TABLES = [
  "policies",
  "terminals",
  "members",
  "accounts",
  "cards",
  "transactions",
  "journal_entries",
  "shortfalls",
  "hotlist_cards",
  "hotlist_changes",
  "alerts",
  "released_holds",
];

/** Empties the ledger and seeds the demo chain with terminals T001 and T002; resets the test terminals. */
export async function resetLedger(db: Db): Promise<void> {
  await db.query(`TRUNCATE ${TABLES.join(", ")} RESTART IDENTITY CASCADE`);
  await db.query("UPDATE hotlist_meta SET version = 0");
  await seedDemo(db, { terminals: [T1, T2].map((t) => ({ id: t.id, keyHex: t.keyHex })) });
  T1.reset();
  T2.reset();
}
