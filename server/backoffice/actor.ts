/**
 * Who makes a back-office change, and the audit row every change writes:
 * head office at the CLI or the HTTP API today, a supervisor at a till (over MQTT) later —
 * the same operations, told apart only by `via`.
 */
import { CardtermError } from "../../protocol/errors.js";
import type { Queryable } from "../db/db.js";

export interface Actor {
  /** The person: a head-office login, a CLI user, or an operator id at a till. */
  id: string;
  via: "cli" | "http" | "till";
  /** The till the change was made at, when `via` is "till". */
  terminalId?: string | undefined;
}

const ACTOR_ID = /^[\p{L}\p{N}_.@:-]{1,64}$/u;

export function checkActor(actor: Actor): void {
  if (!ACTOR_ID.test(actor.id)) {
    throw new CardtermError(
      "CT_BAD_REQUEST",
      `actor ${JSON.stringify(actor.id)} is not a valid name (1–64 letters, digits, _ . @ : -)`,
    );
  }
}

/** One audit row, written in the change's own transaction: no change without its record. */
export async function audit(
  q: Queryable,
  actor: Actor,
  action: string,
  subject: string,
  detail: Record<string, unknown> = {},
): Promise<void> {
  const via = actor.terminalId ? `${actor.via}:${actor.terminalId}` : actor.via;
  await q.query("INSERT INTO audit_log (actor, via, action, subject, detail) VALUES ($1, $2, $3, $4, $5::jsonb)", [
    actor.id,
    via,
    action,
    subject,
    JSON.stringify(detail),
  ]);
}

export interface AuditRow {
  at: string;
  actor: string;
  via: string;
  action: string;
  subject: string;
  detail: Record<string, unknown>;
}

/** The newest audit rows, optionally for one subject (a card, member, operator, policy). */
export async function listAudit(q: Queryable, opts: { subject?: string; limit?: number } = {}): Promise<AuditRow[]> {
  const { rows } = await q.query<{
    at: Date | string;
    actor: string;
    via: string;
    action: string;
    subject: string;
    detail: Record<string, unknown> | string;
  }>(
    `SELECT at, actor, via, action, subject, detail FROM audit_log
     WHERE $1::text IS NULL OR subject = $1 ORDER BY id DESC LIMIT $2`,
    [opts.subject ?? null, opts.limit ?? 100],
  );
  return rows.map((r) => ({
    at: isoTime(r.at),
    actor: r.actor,
    via: r.via,
    action: r.action,
    subject: r.subject,
    detail: typeof r.detail === "string" ? JSON.parse(r.detail) : r.detail,
  }));
}

/** timestamptz comes back as a Date (PGlite, node-postgres); text in case a driver differs. */
export function isoTime(v: Date | string): string {
  return v instanceof Date ? v.toISOString() : new Date(v).toISOString();
}
