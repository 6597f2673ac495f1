/**
 * Which entries of a journal batch extend the terminal's verified chain
 * (docs/architecture.md#the-servers-ingest). Pure: the caller supplies the terminal's state and
 * the hashes already stored.
 *
 * Only entries that extend the contiguous chain are applied, in seq order: an entry
 * past a gap is held (not rejected — the terminal resends from ackedSeq + 1); an
 * entry at or below the acked head is a duplicate when its content hashes to the stored
 * hash and carries the terminal's MAC, and a conflict (rejected, original kept) when it
 * does not; the next entry must pass checkEntry (seq, prevHash, hash, MAC) or it is
 * rejected.
 *
 * Skip-over (docs/reconciliation.md, "A gap in a till's chain"): a
 * till whose journal failed verification declares the sequence numbers it cannot send.
 * An entry past them is applied only when every number between is declared and the
 * entry's own seal holds (terminal, hash, MAC — only the till could have made it); the
 * numbers are then skipped (recorded, nothing applied for them) and the chain goes on
 * from that entry. A skipped number stays open: an entry that turns up for it later
 * with its own seal and the hash the entry after it named fills it.
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

/** The gaps a batch declares (seq → the till's reason), and the open gaps (seq → expected hash) its repeats may fill. */
export interface GapContext {
  declared: ReadonlyMap<number, string>;
  open: ReadonlyMap<number, string | null>;
}

export interface SkippedGap {
  seq: number;
  /** The hash the real entry must have: the prevHash of the entry right after it (null when that is a gap too). */
  expectedHash: string | null;
  reason: string;
  /** The entry whose own seal allowed the skip. */
  skippedBy: number;
}

const NO_GAPS: GapContext = { declared: new Map(), open: new Map() };

export interface IngestPlan {
  /** Entries to apply, in seq order; each follows the one before it, or a skipped gap, or fills one. */
  apply: JournalEntry[];
  rejected: { seq: number; reason: string }[];
  alerts: AlertInput[];
  duplicates: number;
  held: number;
  /** Gaps skipped over by this batch, and earlier gaps it filled. */
  skipped: SkippedGap[];
  filled: number[];
  /** The chain head after applying `apply`. */
  head: { seq: number; hash: string };
}

export function planBatch(
  chain: ChainHead,
  entries: readonly JournalEntry[],
  storedHashes: ReadonlyMap<number, string>,
  gaps: GapContext = NO_GAPS,
): IngestPlan {
  const plan: IngestPlan = {
    apply: [],
    rejected: [],
    alerts: [],
    duplicates: 0,
    held: 0,
    skipped: [],
    filled: [],
    head: { seq: chain.ackedSeq, hash: chain.lastHash },
  };
  const known = new Map(storedHashes);
  for (const entry of [...entries].sort((a, b) => a.seq - b.seq)) {
    if (entry.seq <= plan.head.seq) {
      if (fillsGap(plan, chain, entry, gaps.open)) known.set(entry.seq, entry.hash);
      else judgeRepeat(plan, chain, entry, known.get(entry.seq));
    } else if (entry.seq > plan.head.seq + 1) {
      if (!skipOver(plan, chain, entry, gaps.declared)) plan.held++;
    } else if (extend(plan, chain, entry)) known.set(entry.seq, entry.hash);
  }
  return plan;
}

/** An entry for a gap skipped earlier: applied if its own seal holds and it is the entry the next one named. */
function fillsGap(
  plan: IngestPlan,
  chain: ChainHead,
  entry: JournalEntry,
  open: ReadonlyMap<number, string | null>,
): boolean {
  if (!open.has(entry.seq) || plan.filled.includes(entry.seq)) return false;
  const expected = open.get(entry.seq);
  if (ownSealProblem(entry, chain) || (expected != null && entry.hash !== expected)) return false;
  plan.apply.push(entry);
  plan.filled.push(entry.seq);
  return true;
}

/** Past declared gaps to an entry whose own seal holds: skip them and go on from it. */
function skipOver(
  plan: IngestPlan,
  chain: ChainHead,
  entry: JournalEntry,
  declared: ReadonlyMap<number, string>,
): boolean {
  for (let seq = plan.head.seq + 1; seq < entry.seq; seq++) if (!declared.has(seq)) return false;
  const problem = ownSealProblem(entry, chain);
  if (problem) {
    reject(plan, chain, entry, describeProblem(problem), "entry-rejected");
    return true;
  }
  for (let seq = plan.head.seq + 1; seq < entry.seq; seq++) {
    const expectedHash = seq === entry.seq - 1 ? entry.prevHash : null;
    plan.skipped.push({ seq, expectedHash, reason: declared.get(seq)!, skippedBy: entry.seq });
  }
  plan.apply.push(entry);
  plan.head = { seq: entry.seq, hash: entry.hash };
  return true;
}

/** The entry on its own — terminal, hash, MAC — not against the entry before it. */
function ownSealProblem(entry: JournalEntry, chain: ChainHead) {
  return checkEntry(entry, { terminalId: chain.terminalId, seq: entry.seq, prevHash: entry.prevHash }, chain.key);
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
