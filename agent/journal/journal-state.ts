/**
 * The documents the terminal keeps on disk, and their defaults.
 *
 * `journal.json` is rewritten durably on every commit, so it holds only what a commit
 * changes: the sequence counter, the chain head and the entries not yet acknowledged by
 * the server (the outbox). The card cache lives in `cards.json`, written only when the
 * server acknowledges entries or sends fresh card data — so the cost of a commit does
 * not grow with the number of cards the terminal knows.
 */
import type { CardSnapshot } from "../../protocol/card.js";
import { GENESIS_HASH, type JournalEntry } from "../../protocol/journal-entry.js";
import type { PinAttempts } from "../../protocol/pin.js";

export interface JournalDoc {
  format: 1;
  terminalId: string;
  /** Sequence number the next entry gets; the first entry is 1. */
  nextSeq: number;
  /** Hash of the newest entry (the chain head), GENESIS_HASH before the first. */
  headHash: string;
  /** Highest sequence acknowledged by the server as applied; entries ≤ it are trimmed. */
  ackedSeq: number;
  /** Hash of entry `ackedSeq`: where verification of `pending` starts. */
  ackedHash: string;
  /** Entries not yet acknowledged, in sequence order. */
  pending: JournalEntry[];
  /** Epoch ms of the last successful contact with the server, or null. */
  lastContactAt: number | null;
  /** Cards learnt since the last flush into cards.json (see TerminalLedger). */
  cardOverlay?: Record<string, CachedCard>;
  /** MAC over the head fields with the terminal key (see seals.ts). */
  headMac?: string;
  /** Offline PIN retry counters by card, persisted before each check (protocol/pin.ts). */
  pinAttempts?: Record<string, PinAttempts>;
}

export function emptyJournal(terminalId: string): JournalDoc {
  return {
    format: 1,
    terminalId,
    nextSeq: 1,
    headHash: GENESIS_HASH,
    ackedSeq: 0,
    ackedHash: GENESIS_HASH,
    pending: [],
    lastContactAt: null,
    cardOverlay: {},
  };
}

/**
 * A card as cached on the box: the server's snapshot, and which of this terminal's
 * journal entries it already includes. The server applies online approvals at once and
 * journal entries in sequence order, so a snapshot includes every entry up to
 * `includedThrough` and every online entry up to `onlineThrough`; offline entries in
 * between are not in it yet.
 */
export interface CachedCard extends CardSnapshot {
  includedThrough: number;
  onlineThrough: number;
  refreshedAt: number;
  /** MAC over the record with the terminal key (see seals.ts). */
  mac?: string;
}

export function includes(
  card: Pick<CachedCard, "includedThrough" | "onlineThrough">,
  e: { seq: number; mode: string },
): boolean {
  return e.seq <= card.includedThrough || (e.mode === "online" && e.seq <= card.onlineThrough);
}

export interface CardCacheDoc {
  format: 1;
  cards: Record<string, CachedCard>;
}
