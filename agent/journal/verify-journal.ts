/**
 * Start-up verification of the journal (fail closed, DESIGN §5): the chain from the last
 * acknowledged entry through every pending one, the sequence with no gap, the MAC of
 * each, and nothing missing up to the newest attested entry. Returns the first problem
 * in words that name the entry.
 */

import { maskCardId } from "../../protocol/card.js";
import { checkEntry, describeProblem, type JournalEntry } from "../../protocol/journal-entry.js";
import type { CachedCard, JournalHead } from "./journal-state.js";
import { type Attestation, cardSealOk, headMac } from "./seals.js";

export type Integrity = { ok: true } | { ok: false; problem: string };

/** Every cached card must carry its MAC: a raised balance or a reactivated lost card is refused. */
export function verifyCards(cards: Iterable<CachedCard>, key: Buffer, where: string): Integrity {
  for (const card of cards) {
    if (!cardSealOk(card, key)) {
      return {
        ok: false,
        problem: `cached card ${maskCardId(card.cardId)} in ${where} was edited (its MAC does not match)`,
      };
    }
  }
  return { ok: true };
}

export function verifyHead(head: JournalHead, key: Buffer): Integrity {
  if (head.headMac === headMac(head, key)) return { ok: true };
  return {
    ok: false,
    problem: `the journal head (acknowledged through entry #${head.ackedSeq}, attested through entry #${head.attestedSeq}) does not match its MAC: entries were cut or the head was edited`,
  };
}

export interface Chain {
  pending: JournalEntry[];
  nextSeq: number;
  headHash: string;
  /** Lines past the attested point that an interrupted commit left unreadable. */
  dropped: number;
}

/**
 * Walk the log's lines. Lines of entries the server has acknowledged may still be there
 * (until compaction) and are skipped; every other line must continue the chain. A bad
 * line is forgiven only where a power cut can leave one: the last line, past everything
 * attested — a commit that never reported its approval.
 */
export function verifyChain(
  lines: readonly string[],
  from: { terminalId: string; ackedSeq: number; ackedHash: string },
  attested: Attestation,
  key: Buffer,
): { ok: true; chain: Chain } | { ok: false; problem: string } {
  let expected = { terminalId: from.terminalId, seq: from.ackedSeq + 1, prevHash: from.ackedHash };
  const pending: JournalEntry[] = [];
  let dropped = 0;
  for (const [i, line] of lines.entries()) {
    let entry: JournalEntry | undefined;
    try {
      entry = JSON.parse(line) as JournalEntry;
    } catch {
      entry = undefined;
    }
    if (entry && pending.length === 0 && Number.isSafeInteger(entry.seq) && entry.seq <= from.ackedSeq) continue;
    const problem = entry
      ? checkEntry(entry, expected, key)
      : { kind: "unreadable" as const, seq: expected.seq, line: i + 1 };
    if (!problem) {
      pending.push(entry!);
      expected = { ...expected, seq: entry!.seq + 1, prevHash: entry!.hash };
      continue;
    }
    if (i === lines.length - 1 && expected.seq > attested.seq) {
      dropped = 1;
      break;
    }
    return {
      ok: false,
      problem:
        problem.kind === "unreadable"
          ? `entry #${problem.seq} (line ${problem.line} of journal.log) is not readable JSON`
          : describeProblem(problem),
    };
  }
  const chain = { pending, nextSeq: expected.seq, headHash: expected.prevHash, dropped };
  const attestedProblem = checkAttested(chain, from, attested);
  return attestedProblem ? { ok: false, problem: attestedProblem } : { ok: true, chain };
}

function checkAttested(chain: Chain, from: { ackedSeq: number; ackedHash: string }, a: Attestation): string | null {
  const last = chain.nextSeq - 1;
  if (a.seq > last) {
    return `entry #${last + 1} is missing: the journal attests entries through #${a.seq} but its last entry is #${last} (entries cut)`;
  }
  if (a.seq < from.ackedSeq) return null; // an attestation older than the ack: nothing left to compare
  const hash = a.seq === from.ackedSeq ? from.ackedHash : chain.pending[a.seq - from.ackedSeq - 1]?.hash;
  if (hash !== a.hash) return `entry #${a.seq} is not the entry the journal attested (replaced entries)`;
  return null;
}
