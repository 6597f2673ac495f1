/**
 * Alerts for head office: things the server refused or could not square (a forged or
 * conflicting journal entry, a shortfall of money, points or uses, an unknown terminal, a till message
 * that fails its seal). Recorded, never thrown.
 */
import type { Queryable } from "../db/db.js";

export type AlertKind =
  | "unknown-terminal"
  | "terminal-mismatch"
  | "entry-rejected"
  | "seq-conflict"
  | "txn-conflict"
  | "unknown-card"
  | "shortfall"
  /** An offline redemption took the account's points below zero (ingest-redemptions.ts). */
  | "points-shortfall"
  /** An offline count use took a package below zero uses. */
  | "count-shortfall"
  /** A journal entry used a count package the ledger does not have. */
  | "unknown-package"
  /** A till reached its member-lookup limit (server/till/lookup-limit.ts): once per window. */
  | "lookup-limit"
  /** A till released an online approval it never recorded (a crash, a full disk: holds.ts). */
  | "hold-released"
  /** A hold nobody confirmed within the hold TTL was released by the expiry job. */
  | "hold-expired"
  /** A till asked to release a hold that is not its own; nothing moved. */
  | "hold-release-refused"
  /** A journal entry arrived after its hold was released and was applied then (ingest-holds.ts). */
  | "hold-applied-after-release"
  /**
   * A till's journal failed verification (its heartbeat, or gaps it declared): one open
   * per till, cleared when its heartbeat says the journal verifies (integrity-alert.ts).
   */
  | "journal-integrity"
  /**
   * A till's message refused before any handler saw it (server/mqtt/message-guard.ts,
   * docs/security.md): no seal, a seal that does not match the terminal's key, a clock
   * outside the window, an id already taken. Once per terminal and kind every 10 minutes.
   */
  | "message-unsigned"
  | "message-forged"
  | "message-stale"
  | "message-replayed";

export interface AlertInput {
  kind: AlertKind;
  terminalId?: string | null;
  seq?: number | null;
  txnId?: string | null;
  detail: string;
}

export async function recordAlerts(q: Queryable, alerts: readonly AlertInput[]): Promise<void> {
  if (alerts.length === 0) return;
  const rows = alerts.map((a) => ({
    kind: a.kind,
    terminal_id: a.terminalId ?? null,
    seq: a.seq ?? null,
    txn_id: a.txnId ?? null,
    detail: a.detail,
  }));
  await q.query(
    `INSERT INTO alerts (kind, terminal_id, seq, txn_id, detail)
     SELECT kind, terminal_id, seq, txn_id, detail
     FROM jsonb_to_recordset($1::jsonb) AS x(kind text, terminal_id text, seq bigint, txn_id text, detail text)`,
    [JSON.stringify(rows)],
  );
}
