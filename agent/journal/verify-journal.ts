/**
 * Start-up verification of the journal (fail closed, docs/architecture.md#the-journal): the
 * chain from the last acknowledged entry through every pending one, the sequence with no gap,
 * the MAC of each, and nothing missing up to the newest attested entry. Returns the first
 * problem in words that name the entry.
 */

import { checkEntry, describeProblem, type EntryProblem, type JournalEntry } from "../../protocol/journal-entry.js";
import type { IntegrityReason, JournalIntegrity } from "../../protocol/journal-integrity.js";
import { maskCardId } from "../../rules/card.js";
import type { CachedCard, JournalHead } from "./journal-state.js";
import { type Attestation, cardSealOk, headMac } from "./seals.js";

/** As the till reports it (protocol/journal-integrity.ts): the problem, its kind and the first entry in doubt. */
export type Integrity = JournalIntegrity;
export type IntegrityFailure = Extract<Integrity, { ok: false }>;

export function broken(reason: IntegrityReason, problem: string, failedSeq: number | null = null): IntegrityFailure {
  return { ok: false, problem, reason, failedSeq };
}

const ENTRY_REASONS: Record<EntryProblem["kind"], IntegrityReason> = {
  "hash-mismatch": "entry-edited",
  "mac-mismatch": "entry-forged",
  "chain-broken": "chain-broken",
  "sequence-gap": "sequence-gap",
  "wrong-terminal": "wrong-terminal",
};

/** An entry that fails its check, as the integrity of the journal at sequence `seq` (the one expected there). */
export function entryFailure(problem: EntryProblem, seq: number): IntegrityFailure {
  return broken(ENTRY_REASONS[problem.kind], describeProblem(problem), seq);
}

/** Every cached card must carry its MAC: a raised balance or a reactivated lost card is refused. */
export function verifyCards(cards: Iterable<CachedCard>, key: Buffer, where: string): Integrity {
  for (const card of cards) {
    if (!cardSealOk(card, key)) {
      return broken(
        "card-edited",
        `cached card ${maskCardId(card.cardId)} in ${where} was edited (its MAC does not match)`,
      );
    }
  }
  return { ok: true };
}

export function verifyHead(head: JournalHead, key: Buffer): Integrity {
  if (head.headMac === headMac(head, key)) return { ok: true };
  return broken(
    "head-invalid",
    `the journal head (acknowledged through entry #${head.ackedSeq}, attested through entry #${head.attestedSeq}) does not match its MAC: entries were cut or the head was edited`,
  );
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
): { ok: true; chain: Chain } | IntegrityFailure {
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
    return problem.kind === "unreadable"
      ? broken(
          "entry-unreadable",
          `entry #${problem.seq} (line ${problem.line} of journal.log) is not readable JSON`,
          problem.seq,
        )
      : entryFailure(problem, expected.seq);
  }
  const chain = { pending, nextSeq: expected.seq, headHash: expected.prevHash, dropped };
  return checkAttested(chain, from, attested) ?? { ok: true, chain };
}

function checkAttested(
  chain: Chain,
  from: { ackedSeq: number; ackedHash: string },
  a: Attestation,
): IntegrityFailure | null {
  const last = chain.nextSeq - 1;
  if (a.seq > last) {
    return broken(
      "entries-missing",
      `entry #${last + 1} is missing: the journal attests entries through #${a.seq} but its last entry is #${last} (entries cut)`,
      last + 1,
    );
  }
  if (a.seq < from.ackedSeq) return null; // an attestation older than the ack: nothing left to compare
  const hash = a.seq === from.ackedSeq ? from.ackedHash : chain.pending[a.seq - from.ackedSeq - 1]?.hash;
  if (hash !== a.hash) {
    return broken("entry-replaced", `entry #${a.seq} is not the entry the journal attested (replaced entries)`, a.seq);
  }
  return null;
}
