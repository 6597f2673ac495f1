/**
 * When this till last heard from the server: the offline rules refuse to go on trusting
 * a snapshot for ever (rule 7, offline.maxAge: docs/architecture.md#the-offline-rules).
 * Kept in the journal head, written with the next ack or card refresh, never on its own.
 */
import type { LedgerState } from "./ledger-state.js";

export class ContactTime {
  constructor(private readonly state: LedgerState) {}

  lastContactAt(): number | null {
    return this.state.doc.lastContactAt;
  }

  /**
   * Record a contact without forcing a write; it is persisted with the next ack or card
   * refresh. Lost in a power cut, it only makes the last contact look older — the
   * cautious side of the offline age rule.
   */
  note(at: number): void {
    this.state.doc.lastContactAt = at;
  }
}
