/**
 * How many member lookups a till may make: a session on a till could
 * otherwise walk through phone numbers one by one and read out the chain's members. The
 * limit lives at the server because a till can be tampered with; the till's own count is
 * a courtesy at most.
 *
 * Counted from the audit rows (`member.find`, one per answered lookup), not in memory:
 * - a restart forgets nothing — a script cannot reset its allowance by waiting for a deploy;
 * - several server instances behind a shared subscription answer the same till's requests
 *   in turn, and each sees the others' rows; the per-terminal advisory lock below makes a
 *   burst split across instances count one after another, never past the limit together.
 * The rolling window is the database's clock (`now()`, the audit rows' own default), so
 * the servers' clocks cannot disagree about it.
 *
 * A refused lookup is audited (`member.find.limited`) but does not count: a cashier whose
 * till was refused regains lookups as the old ones leave the window, however often they
 * retried. The first refusal in a window raises one alert (`lookup-limit`) for head office.
 */
import { DEFAULT_MEMBER_LOOKUP_LIMIT, type MemberLookupLimit } from "../../protocol/till-member-find.js";
import type { Queryable } from "../db/db.js";
import { recordAlerts } from "../ledger/alerts.js";

export type { MemberLookupLimit };
export { DEFAULT_MEMBER_LOOKUP_LIMIT };

/** The audit action of an answered lookup (server/till/member-find.ts writes it). */
export const LOOKUP_ACTION = "member.find";
/** The audit action of a refused one. */
export const LIMITED_ACTION = "member.find.limited";

/** The `via` of the till's audit rows (backoffice/actor.ts audit). */
export const tillVia = (terminalId: string) => `till:${terminalId}`;

/**
 * Inside the lookup's transaction: serialises this till's lookups, then answers whether
 * one more fits. Only a positive `max` limits; 0 turns the limit off (documented).
 */
export async function lookupAllowed(tx: Queryable, terminalId: string, limit: MemberLookupLimit): Promise<boolean> {
  if (limit.max <= 0) return true;
  // Held to the end of the transaction, which also writes the audit row that counts.
  await tx.query("SELECT pg_advisory_xact_lock(hashtext($1))", [`member-find:${terminalId}`]);
  const { rows } = await tx.query<{ n: unknown }>(
    `SELECT count(*) AS n FROM audit_log
     WHERE via = $1 AND action = $2 AND at > now() - $3::bigint * interval '1 millisecond'`,
    [tillVia(terminalId), LOOKUP_ACTION, limit.windowMs],
  );
  return Number(rows[0]?.n ?? 0) < limit.max;
}

/** One alert per till per window: a script that keeps hammering does not bury the others. */
export async function alertLookupLimit(tx: Queryable, terminalId: string, limit: MemberLookupLimit): Promise<void> {
  const { rows } = await tx.query(
    `SELECT 1 FROM alerts WHERE kind = 'lookup-limit' AND terminal_id = $1
       AND at > now() - $2::bigint * interval '1 millisecond' LIMIT 1`,
    [terminalId, limit.windowMs],
  );
  if (rows.length > 0) return;
  await recordAlerts(tx, [
    {
      kind: "lookup-limit",
      terminalId,
      detail: `till ${terminalId} reached ${limit.max} member lookups in ${Math.round(limit.windowMs / 60_000)} min; further lookups refused until older ones leave the window — check who is using it`,
    },
  ]);
}
