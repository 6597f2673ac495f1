/**
 * What a till says about its own journal when it fails verification (docs/reconciliation.md,
 * "A gap in a till's chain"): in its status, its heartbeat and its metrics, and what head
 * office stores of it.
 *
 * `failedSeq` is the first sequence number the till cannot vouch for (the entry edited,
 * missing or out of place), null when the failure is not one entry's (the head, a cached
 * card, a write whose outcome is uncertain). `reason` is a short stable kind for reports
 * and alert rules; `problem` the sentence a technician reads.
 */

export const INTEGRITY_REASONS = [
  /** An entry's content does not match its hash. */
  "entry-edited",
  /** An entry's MAC is not the terminal key's (re-hashed or re-signed without the key). */
  "entry-forged",
  /** An entry does not follow the one before it (one deleted or moved). */
  "chain-broken",
  /** An entry found where another sequence number was expected. */
  "sequence-gap",
  "wrong-terminal",
  "entry-unreadable",
  /** Entries the journal attests are no longer there (cut off the end). */
  "entries-missing",
  /** The entry the journal attested was replaced by another. */
  "entry-replaced",
  /** journal.json: not valid, its MAC does not match, missing, or another terminal's. */
  "head-invalid",
  /** journal.log: its header does not match its MAC, or the file is missing. */
  "log-invalid",
  /** A cached card (balance, status) was edited. */
  "card-edited",
  /** A write failed in a way that leaves the state on disk uncertain (a full or failing disk). */
  "write-uncertain",
] as const;
export type IntegrityReason = (typeof INTEGRITY_REASONS)[number];

/** The journal's integrity as a till reports it (heartbeat, status). */
export type JournalIntegrity =
  | { ok: true }
  | { ok: false; failedSeq: number | null; reason: IntegrityReason; problem: string };

/** The sentence for reports and alerts: "journal integrity failed at seq 2 (entry-edited): …". */
export function describeIntegrity(i: JournalIntegrity): string {
  if (i.ok) return "journal integrity ok";
  const at = i.failedSeq === null ? "" : ` at seq ${i.failedSeq}`;
  return `journal integrity failed${at} (${i.reason}): ${i.problem}`;
}

/**
 * The heartbeat's `integrity` field. Open-ended reason (any short kind), so a server
 * older than a new kind still records the heartbeat instead of dropping it.
 */
export const journalIntegritySchema = {
  type: "object",
  required: ["ok"],
  properties: {
    ok: { type: "boolean" },
    failedSeq: { anyOf: [{ type: "integer", minimum: 1 }, { type: "null" }] },
    reason: { type: "string", minLength: 1, maxLength: 40 },
    problem: { type: "string", maxLength: 500 },
  },
  // A failure says where and why; "ok" needs nothing more.
  anyOf: [{ properties: { ok: { const: true } } }, { required: ["failedSeq", "reason", "problem"] }],
} as const;

/** A heartbeat's problem text is bounded by its schema: cut a long one rather than lose the heartbeat. */
export function forHeartbeat(i: JournalIntegrity): JournalIntegrity {
  return i.ok ? { ok: true } : { ...i, problem: i.problem.slice(0, 500) };
}
