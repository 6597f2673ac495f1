/**
 * Start-up verification of the pending journal (fail closed, DESIGN §5): the chain from
 * the last acknowledged entry through every pending one, the sequence with no gap, and
 * the MAC of each. Returns the first problem in words that name the entry.
 */
import { checkEntry, describeProblem } from "../../protocol/journal-entry.js";
import type { JournalDoc } from "./journal-state.js";

export type Integrity = { ok: true } | { ok: false; problem: string };

export function verifyJournal(doc: JournalDoc, key: Buffer): Integrity {
  let expected = { terminalId: doc.terminalId, seq: doc.ackedSeq + 1, prevHash: doc.ackedHash };
  for (const entry of doc.pending) {
    const problem = checkEntry(entry, expected, key);
    if (problem) return { ok: false, problem: describeProblem(problem) };
    expected = { terminalId: doc.terminalId, seq: entry.seq + 1, prevHash: entry.hash };
  }
  if (doc.nextSeq !== expected.seq) {
    return {
      ok: false,
      problem: `the journal expects entry #${doc.nextSeq} next but its last entry is #${expected.seq - 1} (entries lost)`,
    };
  }
  if (doc.headHash !== expected.prevHash) {
    return {
      ok: false,
      problem: `the chain head does not match entry #${expected.seq - 1} (journal edited or truncated)`,
    };
  }
  return { ok: true };
}
