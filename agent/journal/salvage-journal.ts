/**
 * What a journal that failed verification can still send to the server (docs/reconciliation.md).
 *
 * Approvals stay refused (fail closed), but the money in the entries around a bad one
 * is real: each line whose own seal holds — this terminal's id, content matching its
 * hash, the hash under the terminal key's MAC — is an entry only this till could have
 * written, whatever happened to its neighbours. Those are uploaded; every sequence
 * number in the range without such an entry is a gap, sent with the batch so the server
 * can skip over it (docs/reconciliation.md, "A gap in a till's chain"). The bad line
 * itself is never sent: its content is not the till's, and it stays on the box as
 * evidence, like every file of a journal that failed.
 */
import { checkEntry, describeProblem, type JournalEntry } from "../../protocol/journal-entry.js";

export interface JournalGap {
  seq: number;
  /** Why the till holds no entry it can vouch for at `seq`. */
  reason: string;
}

export interface Salvage {
  /** Verified entries above the acknowledged point, in sequence order, one per sequence number. */
  entries: JournalEntry[];
  /** Sequence numbers in the range with no verified entry, ascending. */
  gaps: JournalGap[];
}

export interface SalvageBounds {
  terminalId: string;
  /** The acknowledged point of a head that verified; null when the head cannot be trusted. */
  ackedSeq: number | null;
  /** The newest entry a slot or head under the terminal's MAC attests (0: none). */
  attestedSeq: number;
}

export function salvageLines(lines: readonly string[], bounds: SalvageBounds, key: Buffer): Salvage {
  const good = new Map<number, JournalEntry>();
  const bad = new Map<number, string>();
  const floor = bounds.ackedSeq ?? 0;
  for (const line of lines) {
    const entry = parseEntry(line);
    if (!entry || entry.seq <= floor) continue;
    const problem = ownSealProblem(entry, bounds.terminalId, key);
    if (!problem) {
      if (!good.has(entry.seq)) good.set(entry.seq, entry);
    } else if (!bad.has(entry.seq)) {
      bad.set(entry.seq, problem);
    }
  }
  const entries = [...good.values()].sort((a, b) => a.seq - b.seq);
  if (entries.length === 0 && bounds.ackedSeq === null) return { entries, gaps: [] };
  // With no trusted head, the range starts at the oldest verified entry: lines below it were
  // compacted away after the server acknowledged them, or never existed — not gaps.
  const from = bounds.ackedSeq ?? (entries[0]?.seq ?? 1) - 1;
  const to = Math.max(entries[entries.length - 1]?.seq ?? 0, bounds.attestedSeq);
  const gaps: JournalGap[] = [];
  for (let seq = from + 1; seq <= to; seq++) {
    if (good.has(seq)) continue;
    gaps.push({ seq, reason: bad.get(seq) ?? `entry #${seq} is missing from journal.log` });
  }
  return { entries, gaps };
}

/** The entry checked on its own (terminal, hash, MAC), not against its neighbours; null when it holds. */
function ownSealProblem(entry: JournalEntry, terminalId: string, key: Buffer): string | null {
  try {
    const problem = checkEntry(entry, { terminalId, seq: entry.seq, prevHash: entry.prevHash }, key);
    return problem ? describeProblem(problem) : null;
  } catch {
    return `entry #${entry.seq} is not a journal entry (fields missing or of the wrong type)`;
  }
}

function parseEntry(line: string): JournalEntry | undefined {
  try {
    const value = JSON.parse(line) as JournalEntry | null;
    return value && typeof value === "object" && Number.isSafeInteger(value.seq) && value.seq > 0 ? value : undefined;
  } catch {
    return undefined;
  }
}
