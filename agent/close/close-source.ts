/**
 * Where the daily close gets its entries: the day's archive file (entries the server has
 * acknowledged) plus the pending journal (not yet acknowledged). The close is rebuilt
 * from these every time, never kept as counters (docs/daily-close.md).
 *
 * An ack archives entries before it trims them from the pending journal, so for a moment
 * (or after a crash in between) one entry can be in both: the archive's copy is kept,
 * each sequence number once (journal-archive.ts does the same within the archive).
 */
import type { JournalEntry } from "../../protocol/journal-entry.js";
import type { JournalArchive } from "../journal/journal-archive.js";
import type { TerminalLedger } from "../journal/terminal-ledger.js";

export interface CloseSource {
  /** The entries of one business day, in sequence order, each sequence once. */
  entriesOf(day: string): Promise<JournalEntry[]>;
  /** The highest sequence number the server has acknowledged. */
  ackedSeq(): number;
}

export async function closeEntries(
  archive: Pick<JournalArchive, "read">,
  pending: readonly JournalEntry[],
  day: string,
): Promise<JournalEntry[]> {
  const bySeq = new Map<number, JournalEntry>();
  for (const e of await archive.read([day])) if (!bySeq.has(e.seq)) bySeq.set(e.seq, e);
  for (const e of pending) if (e.businessDay === day && !bySeq.has(e.seq)) bySeq.set(e.seq, e);
  return [...bySeq.values()].sort((a, b) => a.seq - b.seq);
}

/** The source over a running (or read-only) ledger and its archive. */
export function closeSource(
  ledger: Pick<TerminalLedger, "pending" | "summary">,
  archive: Pick<JournalArchive, "read">,
): CloseSource {
  return {
    // pending() is read first: an ack racing this call then moves entries into the
    // archive we read after, rather than out of a list we already read.
    entriesOf: async (day) => {
      const pending = [...ledger.pending()];
      return closeEntries(archive, pending, day);
    },
    ackedSeq: () => ledger.summary().ackedSeq,
  };
}
