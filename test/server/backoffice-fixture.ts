/**
 * The back-office tests' ledger: the demo chain (ledger-fixture.ts) plus empty
 * back-office tables and generated ids starting afresh, so ids are predictable.
 */

import type { Actor } from "../../server/backoffice/actor.js";
import type { Db } from "../../server/db/db.js";
import { resetLedger } from "./ledger-fixture.js";

export const ALICE: Actor = { id: "hq-alice", via: "cli" };
export const ZHANG = "ic:04A1B2C3"; // gold, 1000.00, 500 points, account A0001
export const LI = "ic:04D5E6F7"; // silver, 300.00
export const WANG = "ic:0A0B0C0D"; // standard, 50.00
export const FROZEN = "ic:0BADCAFE"; // standard, frozen

export async function resetBackoffice(db: Db): Promise<void> {
  await resetLedger(db);
  await db.query("TRUNCATE operators, audit_log, terminal_status RESTART IDENTITY");
  await db.query("ALTER SEQUENCE member_seq RESTART");
  await db.query("ALTER SEQUENCE account_seq RESTART");
}

export async function auditActions(db: Db, subject: string): Promise<string[]> {
  const { rows } = await db.query<{ action: string }>("SELECT action FROM audit_log WHERE subject = $1 ORDER BY id", [
    subject,
  ]);
  return rows.map((r) => r.action);
}

/** Rejects with a CardtermError of this code (t.rejects matches the message). */
export const code = (c: string) => new RegExp(`^${c}: `);
