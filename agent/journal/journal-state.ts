/**
 * What the terminal keeps on disk, and its defaults.
 *
 * - `journal.log` (journal-log.ts): the entries, appended one line per commit.
 * - `journal.json` (JournalHead): the small head document — where the server's
 *   acknowledgement stands, the last contact, cards learnt since the last flush, PIN
 *   retry counters — rewritten durably on an ack, a card refresh or a PIN attempt, never
 *   on a commit.
 * - `cards.json`: the card cache, written in batches outside the write lock.
 *
 * In memory the ledger holds all of it as one `JournalDoc`.
 */

import { GENESIS_HASH, type JournalEntry } from "../../protocol/journal-entry.js";
import type { CardSnapshot } from "../../rules/card.js";
import type { PinAttempts } from "../../rules/pin.js";

export interface JournalDoc {
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
  cardOverlay: Record<string, CachedCard>;
  /** Offline PIN retry counters by card, persisted before each check (rules/pin.ts). */
  pinAttempts?: Record<string, PinAttempts>;
}

/** journal.json since the log (format 2). */
export interface JournalHead {
  format: 2;
  terminalId: string;
  ackedSeq: number;
  ackedHash: string;
  /** Entries through this one were on disk when the head was written (seals.ts). */
  attestedSeq: number;
  attestedHash: string;
  lastContactAt: number | null;
  cardOverlay: Record<string, CachedCard>;
  pinAttempts?: Record<string, PinAttempts>;
  /** MAC over the acknowledged and attested points with the terminal key. */
  headMac: string;
}

/** journal.json before the log (format 1): the entries lived inside it. Read once, to migrate. */
export interface LegacyJournalDoc extends Omit<JournalDoc, "cardOverlay"> {
  format: 1;
  cardOverlay?: Record<string, CachedCard>;
  headMac?: string;
}

export function emptyJournal(terminalId: string): JournalDoc {
  return {
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
