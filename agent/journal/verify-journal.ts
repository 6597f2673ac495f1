/**
 * Start-up verification of the pending journal (fail closed, DESIGN §5): the chain from
 * the last acknowledged entry through every pending one, the sequence with no gap, and
 * the MAC of each. Returns the first problem in words that name the entry.
 */

import { maskCardId } from "../../protocol/card.js";
import { checkEntry, describeProblem } from "../../protocol/journal-entry.js";
import type { CachedCard, JournalDoc } from "./journal-state.js";
import { cardSealOk, headMac } from "./seals.js";

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
  // A journal that has ever been written carries a head MAC; only a pristine one may lack it.
  if (doc.nextSeq > 1 && doc.headMac !== headMac(doc, key)) {
    return {
      ok: false,
      problem: `the journal head (next entry #${doc.nextSeq}, acknowledged through entry #${doc.ackedSeq}) does not match its MAC: entries were cut or the head was edited`,
    };
  }
  return { ok: true };
}
