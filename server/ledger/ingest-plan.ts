/**
 * Which entries of a journal batch extend the terminal's verified chain (DESIGN §5).
 * Pure: the caller supplies the terminal's state and the hashes already stored.
 *
 * Only entries that extend the contiguous chain are applied, in seq order: an entry
 * past a gap is held (not rejected — the terminal resends from ackedSeq + 1); an
 * entry at or below the acked head is a duplicate when its content hashes to the stored
 * hash and carries the terminal's MAC, and a conflict (rejected, original kept) when it
 * does not; the next entry must pass checkEntry (seq, prevHash, hash, MAC) or it is
 * rejected.
 */
import { timingSafeEqual } from "node:crypto";
import { checkEntry, describeProblem, hashBody, type JournalEntry, macOf } from "../../protocol/journal-entry.js";
import type { AlertInput } from "./alerts.js";

export interface ChainHead {
  terminalId: string;
  ackedSeq: number;
  lastHash: string;
  key: Buffer;
}

export interface IngestPlan {
  /** Entries to apply, in seq order; each follows the one before it. */
  apply: JournalEntry[];
  rejected: { seq: number; reason: string }[];
  alerts: AlertInput[];
  duplicates: number;
  held: number;
  /** The chain head after applying `apply`. */
  head: { seq: number; hash: string };
}

export function planBatch(
  chain: ChainHead,
  entries: readonly JournalEntry[],
  storedHashes: ReadonlyMap<number, string>,
): IngestPlan {
  const plan: IngestPlan = {
    apply: [],
    rejected: [],
    alerts: [],
    duplicates: 0,
    held: 0,
    head: { seq: chain.ackedSeq, hash: chain.lastHash },
  };
  const known = new Map(storedHashes);
  for (const entry of [...entries].sort((a, b) => a.seq - b.seq)) {
    if (entry.seq <= plan.head.seq) judgeRepeat(plan, chain, entry, known.get(entry.seq));
    else if (entry.seq > plan.head.seq + 1) plan.held++;
    else if (extend(plan, chain, entry)) known.set(entry.seq, entry.hash);
  }
  return plan;
}

function judgeRepeat(plan: IngestPlan, chain: ChainHead, entry: JournalEntry, storedHash: string | undefined): void {
  // The claimed hash alone proves nothing: an entry edited after the fact may still carry
  // the original's hash. A duplicate is one whose content hashes to the stored hash.
  if (storedHash === entry.hash && sealedBy(entry, chain.key)) {
    plan.duplicates++;
    return;
  }
  const reason =
    storedHash === undefined
      ? `entry #${entry.seq} is at or below the acknowledged sequence ${chain.ackedSeq} but no stored entry matches`
      : `entry #${entry.seq} differs from the entry #${entry.seq} already applied; the original is kept`;
  reject(plan, chain, entry, reason, "seq-conflict");
}

/** Whether the entry's content hashes to its hash and its MAC is the terminal's. */
function sealedBy(entry: JournalEntry, key: Buffer): boolean {
  if (hashBody(entry) !== entry.hash) return false;
  const mac = Buffer.from(macOf(entry.hash, key), "hex");
  const given = Buffer.from(entry.mac, "hex");
  return mac.length === given.length && timingSafeEqual(mac, given);
}

function extend(plan: IngestPlan, chain: ChainHead, entry: JournalEntry): boolean {
  const expected = { terminalId: chain.terminalId, seq: plan.head.seq + 1, prevHash: plan.head.hash };
  const problem = checkEntry(entry, expected, chain.key);
  if (problem) {
    reject(plan, chain, entry, describeProblem(problem), "entry-rejected");
    return false;
  }
  plan.apply.push(entry);
  plan.head = { seq: entry.seq, hash: entry.hash };
  return true;
}

function reject(
  plan: IngestPlan,
  chain: ChainHead,
  entry: JournalEntry,
  reason: string,
  kind: "seq-conflict" | "entry-rejected",
): void {
  plan.rejected.push({ seq: entry.seq, reason });
  plan.alerts.push({ kind, terminalId: chain.terminalId, seq: entry.seq, txnId: entry.txnId, detail: reason });
}
