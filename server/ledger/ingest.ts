/**
 * Journal ingest (docs/architecture.md#the-servers-ingest): one batch from one terminal,
 * verified against the terminal's chain and applied exactly once, in ONE database transaction
 * that also moves the terminal's acked head. The JournalAck returned describes what is
 * committed; the caller publishes it only after this resolves.
 */
import type { JournalAck, JournalBatch } from "../../protocol/messages.js";
import type { Db, Queryable } from "../db/db.js";
import { toSafeInt } from "../db/int.js";
import { type AlertInput, recordAlerts } from "./alerts.js";
import { applyEntries } from "./ingest-apply.js";
import { type ChainHead, planBatch } from "./ingest-plan.js";
import { gapContext, recordGaps } from "./journal-gaps.js";

export type IngestOutcome =
  | {
      ok: true;
      ack: JournalAck;
      applied: number;
      duplicates: number;
      held: number;
      shortfalls: number;
      hotlistChanged: boolean;
    }
  /** Nothing to acknowledge: the terminal is not registered (alerted). */
  | { ok: false; reason: string };

/** `topicTerminalId` is the terminal the broker let publish this (the id in the topic). */
export async function ingestBatch(db: Db, topicTerminalId: string, batch: JournalBatch): Promise<IngestOutcome> {
  return db.transaction(async (tx) => {
    const chain = await lockChain(tx, topicTerminalId);
    if (!chain) {
      const reason = `terminal ${topicTerminalId} is not registered; its journal batch is ignored`;
      await recordAlerts(tx, [{ kind: "unknown-terminal", terminalId: topicTerminalId, detail: reason }]);
      return { ok: false, reason };
    }
    if (batch.terminalId !== topicTerminalId) return refuseBatch(tx, chain, batch);
    const gaps = await gapContext(tx, chain.terminalId, chain.ackedSeq, batch);
    const plan = planBatch(chain, batch.entries, await storedHashes(tx, chain, batch), gaps);
    const applied = plan.apply.length > 0 ? await applyEntries(tx, chain.terminalId, plan.apply, plan.head) : undefined;
    await recordGaps(tx, chain.terminalId, plan.skipped, plan.filled);
    await recordAlerts(tx, [...plan.alerts, ...(applied?.alerts ?? [])]);
    return {
      ok: true,
      ack: { v: 1, ackedSeq: plan.head.seq, rejected: plan.rejected },
      applied: plan.apply.length,
      duplicates: plan.duplicates,
      held: plan.held,
      shortfalls: applied?.shortfalls ?? 0,
      hotlistChanged: applied?.hotlistChanged ?? false,
    };
  });
}

/** Reads and locks the terminal's chain head, so batches of one terminal never interleave. */
async function lockChain(tx: Queryable, terminalId: string): Promise<ChainHead | undefined> {
  const { rows } = await tx.query<{ key_hex: string; acked_seq: unknown; last_hash: string }>(
    "SELECT key_hex, acked_seq, last_hash FROM terminals WHERE id = $1 FOR UPDATE",
    [terminalId],
  );
  const row = rows[0];
  if (!row) return undefined;
  return {
    terminalId,
    ackedSeq: toSafeInt(row.acked_seq, "terminals.acked_seq"),
    lastHash: row.last_hash,
    key: Buffer.from(row.key_hex, "hex"),
  };
}

async function storedHashes(tx: Queryable, chain: ChainHead, batch: JournalBatch): Promise<Map<number, string>> {
  const seqs = [...new Set(batch.entries.map((e) => e.seq).filter((s) => s <= chain.ackedSeq))];
  if (seqs.length === 0) return new Map();
  const { rows } = await tx.query<{ seq: unknown; hash: string }>(
    "SELECT seq, hash FROM journal_entries WHERE terminal_id = $1 AND seq = ANY($2::bigint[])",
    [chain.terminalId, seqs],
  );
  return new Map(rows.map((r) => [toSafeInt(r.seq, "journal_entries.seq"), r.hash]));
}

/** A batch published under one terminal's topic but claiming another's id: refused whole. */
async function refuseBatch(tx: Queryable, chain: ChainHead, batch: JournalBatch): Promise<IngestOutcome> {
  const reason = `batch for terminal ${batch.terminalId} was published on terminal ${chain.terminalId}'s topic`;
  const alert: AlertInput = { kind: "terminal-mismatch", terminalId: chain.terminalId, detail: reason };
  await recordAlerts(tx, [alert]);
  const rejected = batch.entries.map((e) => ({ seq: e.seq, reason }));
  return {
    ok: true,
    ack: { v: 1, ackedSeq: chain.ackedSeq, rejected },
    applied: 0,
    duplicates: 0,
    held: 0,
    shortfalls: 0,
    hotlistChanged: false,
  };
}
