/**
 * What a batch of journal entries does to holds (holds.ts, docs/reconciliation.md), in
 * the batch's transaction, with the accounts already locked (ingest-apply.ts):
 *
 * - a sale whose txnId is held (its online approval) is the till's record of it: the hold
 *   is confirmed, and no money moves — the approval took it already;
 * - a sale whose hold was released before its entry arrived (the till was away longer than
 *   the hold's deadline) is new money to the ledger: the ingest applies it like any new
 *   entry — exactly once, a shortfall if the account no longer covers it — because the
 *   till recorded it and the member has the goods. Head office hears of each.
 *
 * One statement, and only for batches with sales.
 */
import type { JournalEntry } from "../../protocol/journal-entry.js";
import type { Queryable } from "../db/db.js";
import type { AlertInput } from "./alerts.js";

export async function settleHolds(
  tx: Queryable,
  terminalId: string,
  fresh: readonly JournalEntry[],
  repeats: readonly JournalEntry[],
): Promise<AlertInput[]> {
  const repeated = repeats.filter((e) => e.kind === "sale").map((e) => e.txnId);
  const applied = fresh.filter((e) => e.kind === "sale");
  if (repeated.length === 0 && applied.length === 0) return [];
  const { rows } = await tx.query<{ txn_id: string; released_by: string; released_at: string }>(
    `WITH confirmed AS (
       UPDATE transactions SET hold_state = 'confirmed', hold_resolved_at = now(), hold_resolved_by = 'journal'
       WHERE txn_id = ANY($1::text[]) AND hold_state = 'held' RETURNING txn_id
     )
     UPDATE released_holds SET applied_late_at = now()
     WHERE txn_id = ANY($2::text[]) AND applied_late_at IS NULL
     RETURNING txn_id, released_by, released_at::text`,
    [repeated, applied.map((e) => e.txnId)],
  );
  const bySeq = new Map(applied.map((e) => [e.txnId, e]));
  return rows.map((r) => {
    const e = bySeq.get(r.txn_id)!;
    const by = r.released_by === "expiry" ? "the expiry job" : "the till";
    return {
      kind: "hold-applied-after-release",
      terminalId,
      seq: e.seq,
      txnId: e.txnId,
      detail: `entry #${e.seq} (sale of ${e.net} fen on ${e.cardId}) arrived after ${by} released its hold at ${r.released_at}: the till recorded it, so it is applied now, once`,
    };
  });
}
