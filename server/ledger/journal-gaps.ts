/**
 * Gaps in a till's chain (docs/reconciliation.md, "A gap in a till's
 * chain"): sequence numbers a till whose journal failed verification declared it cannot
 * send, skipped over once a later entry's own MAC held. Kept in journal_gaps with the
 * hash the real entry must have (the prevHash of the entry after it), so a real entry
 * that turns up later (a restored journal) fills its gap instead of being refused.
 */
import type { JournalBatch } from "../../protocol/messages.js";
import type { Queryable } from "../db/db.js";
import { toSafeInt } from "../db/int.js";
import type { GapContext, SkippedGap } from "./ingest-plan.js";
import { raiseIntegrityAlert } from "./integrity-alert.js";

/** What the planner needs: the gaps this batch declares and the open gaps its repeats might fill. */
export async function gapContext(
  tx: Queryable,
  terminalId: string,
  ackedSeq: number,
  batch: JournalBatch,
): Promise<GapContext> {
  const declared = new Map((batch.gaps ?? []).map((g) => [g.seq, g.reason]));
  const seqs = [...new Set(batch.entries.map((e) => e.seq).filter((s) => s <= ackedSeq))];
  if (seqs.length === 0) return { declared, open: new Map() };
  const { rows } = await tx.query<{ seq: unknown; expected_hash: string | null }>(
    `SELECT seq, expected_hash FROM journal_gaps
     WHERE terminal_id = $1 AND seq = ANY($2::bigint[]) AND filled_at IS NULL`,
    [terminalId, seqs],
  );
  return { declared, open: new Map(rows.map((r) => [toSafeInt(r.seq, "journal_gaps.seq"), r.expected_hash])) };
}

/** Record what the plan skipped and filled, in the batch's transaction; a skip raises the till's integrity alert. */
export async function recordGaps(
  tx: Queryable,
  terminalId: string,
  skipped: readonly SkippedGap[],
  filled: readonly number[],
): Promise<void> {
  if (skipped.length > 0) {
    await tx.query(
      `INSERT INTO journal_gaps (terminal_id, seq, expected_hash, reason, skipped_by_seq)
       SELECT $1, s, h, r, b FROM unnest($2::bigint[], $3::text[], $4::text[], $5::bigint[]) AS x(s, h, r, b)
       ON CONFLICT (terminal_id, seq) DO NOTHING`,
      [
        terminalId,
        skipped.map((g) => g.seq),
        skipped.map((g) => g.expectedHash),
        skipped.map((g) => g.reason),
        skipped.map((g) => g.skippedBy),
      ],
    );
    const first = skipped[0]!;
    const list = skipped.map((g) => `#${g.seq}`).join(", ");
    await raiseIntegrityAlert(
      tx,
      terminalId,
      first.seq,
      `terminal ${terminalId}: journal integrity failed at seq ${first.seq}; entries ${list} skipped over (the till holds no verifiable copy: ${first.reason}), the entries after them applied`,
    );
  }
  if (filled.length > 0) {
    await tx.query(
      "UPDATE journal_gaps SET filled_at = now() WHERE terminal_id = $1 AND seq = ANY($2::bigint[]) AND filled_at IS NULL",
      [terminalId, filled],
    );
  }
}

export interface GapRow {
  seq: number;
  reason: string;
  skippedAt: string;
  filledAt: string | null;
}

/** A till's gaps, open ones and filled ones, for reports. */
export async function journalGaps(q: Queryable, terminalId?: string): Promise<(GapRow & { terminalId: string })[]> {
  const { rows } = await q.query<{
    terminal_id: string;
    seq: unknown;
    reason: string;
    skipped_at: Date | string;
    filled_at: Date | string | null;
  }>(
    `SELECT terminal_id, seq, reason, skipped_at, filled_at FROM journal_gaps
     WHERE $1::text IS NULL OR terminal_id = $1 ORDER BY terminal_id, seq`,
    [terminalId ?? null],
  );
  const iso = (v: Date | string) => new Date(v).toISOString();
  return rows.map((r) => ({
    terminalId: r.terminal_id,
    seq: toSafeInt(r.seq, "journal_gaps.seq"),
    reason: r.reason,
    skippedAt: iso(r.skipped_at),
    filledAt: r.filled_at === null ? null : iso(r.filled_at),
  }));
}
