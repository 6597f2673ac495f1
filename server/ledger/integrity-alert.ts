/**
 * The alert for a till whose journal failed verification (docs/reconciliation.md, "A gap in a
 * till's chain"). It is a state, not an event: raised once when the till first says so (its
 * heartbeat) or first declares gaps (the ingest), not once per heartbeat; replaced when the
 * failure moves to another entry; cleared when a heartbeat says the journal verifies again.
 *
 * One open alert per till is enforced by a partial unique index (migration 13), so two
 * server instances handling two heartbeats at once still raise one.
 */
import { describeIntegrity, type JournalIntegrity } from "../../protocol/journal-integrity.js";
import type { Queryable } from "../db/db.js";

const KIND = "journal-integrity";

/** Raise the till's alert unless one is open already (whatever its seq: the first word stands until cleared). */
export async function raiseIntegrityAlert(
  q: Queryable,
  terminalId: string,
  seq: number | null,
  detail: string,
): Promise<void> {
  await q.query(
    `INSERT INTO alerts (kind, terminal_id, seq, detail) VALUES ($1, $2, $3, $4)
     ON CONFLICT (terminal_id) WHERE kind = 'journal-integrity' AND cleared_at IS NULL DO NOTHING`,
    [KIND, terminalId, seq, detail],
  );
}

/** What a heartbeat's integrity does to the alert: raise, replace (another entry failed) or clear. */
export async function followIntegrity(q: Queryable, terminalId: string, integrity: JournalIntegrity): Promise<void> {
  if (integrity.ok) {
    await clearIntegrityAlert(q, terminalId);
    return;
  }
  // Failed elsewhere than the open alert says: a new incident, so the old alert is closed first.
  await q.query(
    `UPDATE alerts SET cleared_at = now()
     WHERE kind = $1 AND terminal_id = $2 AND cleared_at IS NULL AND seq IS DISTINCT FROM $3`,
    [KIND, terminalId, integrity.failedSeq],
  );
  await raiseIntegrityAlert(
    q,
    terminalId,
    integrity.failedSeq,
    `terminal ${terminalId}: ${describeIntegrity(integrity)}`,
  );
}

export async function clearIntegrityAlert(q: Queryable, terminalId: string): Promise<void> {
  await q.query("UPDATE alerts SET cleared_at = now() WHERE kind = $1 AND terminal_id = $2 AND cleared_at IS NULL", [
    KIND,
    terminalId,
  ]);
}
