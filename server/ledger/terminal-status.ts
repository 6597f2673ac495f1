/**
 * What each terminal last said about itself: presence (retained `online` / last-will
 * `offline`) and heartbeats (devices, journal queue depth and integrity, policy, hotlist
 * and operators versions).
 * Head office reads it to see which tills are behind or broken.
 */

import type { IntegrityReason, JournalIntegrity } from "../../protocol/journal-integrity.js";
import type { Heartbeat, Presence } from "../../protocol/messages.js";
import type { Queryable } from "../db/db.js";
import { toSafeInt } from "../db/int.js";
import { followIntegrity } from "./integrity-alert.js";

export interface TerminalStatus {
  terminalId: string;
  presence: "online" | "offline" | null;
  presenceAt: string | null;
  heartbeatAt: string | null;
  pending: number | null;
  policyVersion: number | null;
  hotlistVersion: number | null;
  /** Head office's operators document the till holds; null when it has none or (an older till) does not say. */
  operatorsVersion: number | null;
  devices: Record<string, string>;
  /** The journal's integrity as the till last said (null: it never said, an older till), and since when. */
  integrity: (JournalIntegrity & { since: string | null }) | null;
}

export async function recordPresence(q: Queryable, terminalId: string, p: Presence): Promise<void> {
  await q.query(
    `INSERT INTO terminal_status (terminal_id, presence, presence_at) VALUES ($1, $2, $3)
     ON CONFLICT (terminal_id) DO UPDATE SET presence = EXCLUDED.presence, presence_at = EXCLUDED.presence_at`,
    [terminalId, p.state, p.at],
  );
}

export async function recordHeartbeat(q: Queryable, terminalId: string, h: Heartbeat): Promise<void> {
  await recordHeartbeatRow(q, terminalId, h);
  // An older till that does not say leaves the integrity (and its alert) as it was.
  if (h.integrity) await recordIntegrity(q, terminalId, h.integrity, h.at);
}

async function recordHeartbeatRow(q: Queryable, terminalId: string, h: Heartbeat): Promise<void> {
  await q.query(
    `INSERT INTO terminal_status (terminal_id, heartbeat_at, pending, policy_version, hotlist_version, devices,
       operators_version)
     VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7)
     ON CONFLICT (terminal_id) DO UPDATE SET heartbeat_at = EXCLUDED.heartbeat_at, pending = EXCLUDED.pending,
       policy_version = EXCLUDED.policy_version, hotlist_version = EXCLUDED.hotlist_version, devices = EXCLUDED.devices,
       operators_version = EXCLUDED.operators_version`,
    // An older till that does not say: null (unknown), not a stale number from before.
    [
      terminalId,
      h.at,
      h.pending,
      h.policyVersion,
      h.hotlistVersion,
      JSON.stringify(h.devices),
      h.operatorsVersion ?? null,
    ],
  );
}

/**
 * The till's journal integrity (docs/reconciliation.md, "A gap in a till's chain"), kept until
 * it says otherwise, with when it first said this failure (the since of a standing failure does
 * not move).
 */
async function recordIntegrity(q: Queryable, terminalId: string, i: JournalIntegrity, at: string): Promise<void> {
  const failed = i.ok ? null : i;
  await q.query(
    `UPDATE terminal_status SET integrity_ok = $2, integrity_failed_seq = $3, integrity_reason = $4,
       integrity_problem = $5,
       integrity_since = CASE WHEN integrity_ok IS NOT DISTINCT FROM $2
         AND integrity_failed_seq IS NOT DISTINCT FROM $3 THEN coalesce(integrity_since, $6) ELSE $6 END
     WHERE terminal_id = $1`,
    [terminalId, i.ok, failed?.failedSeq ?? null, failed?.reason ?? null, failed?.problem ?? null, at],
  );
  await followIntegrity(q, terminalId, i);
}

export async function terminalStatus(q: Queryable, terminalId: string): Promise<TerminalStatus | undefined> {
  const { rows } = await q.query<{
    presence: "online" | "offline" | null;
    presence_at: string | null;
    heartbeat_at: string | null;
    pending: unknown;
    policy_version: unknown;
    hotlist_version: unknown;
    operators_version: unknown;
    devices: Record<string, string> | string | null;
    integrity_ok: boolean | null;
    integrity_failed_seq: unknown;
    integrity_reason: string | null;
    integrity_problem: string | null;
    integrity_since: string | null;
  }>("SELECT * FROM terminal_status WHERE terminal_id = $1", [terminalId]);
  const r = rows[0];
  if (!r) return undefined;
  const intOrNull = (v: unknown) => (v === null || v === undefined ? null : toSafeInt(v));
  return {
    terminalId,
    presence: r.presence,
    presenceAt: r.presence_at,
    heartbeatAt: r.heartbeat_at,
    pending: intOrNull(r.pending),
    policyVersion: intOrNull(r.policy_version),
    hotlistVersion: intOrNull(r.hotlist_version),
    operatorsVersion: intOrNull(r.operators_version),
    devices: typeof r.devices === "string" ? JSON.parse(r.devices) : (r.devices ?? {}),
    integrity: integrityOf(r),
  };
}

/** terminal_status's integrity columns as the till said them; null when it never did. */
export function integrityOf(r: {
  integrity_ok?: boolean | null;
  integrity_failed_seq?: unknown;
  integrity_reason?: string | null;
  integrity_problem?: string | null;
  integrity_since?: string | null;
}): TerminalStatus["integrity"] {
  if (r.integrity_ok === null || r.integrity_ok === undefined) return null;
  const since = r.integrity_since ?? null;
  if (r.integrity_ok) return { ok: true, since };
  const failedSeq = r.integrity_failed_seq == null ? null : toSafeInt(r.integrity_failed_seq);
  const reason = (r.integrity_reason ?? "unknown") as IntegrityReason;
  return { ok: false, failedSeq, reason, problem: r.integrity_problem ?? "", since };
}

/** Terminal id → the operators document version its last heartbeat named (the terminals report's column). */
export async function operatorsVersions(q: Queryable): Promise<Map<string, number | null>> {
  const { rows } = await q.query<{ terminal_id: string; operators_version: unknown }>(
    "SELECT terminal_id, operators_version FROM terminal_status",
  );
  return new Map(rows.map((r) => [r.terminal_id, r.operators_version == null ? null : toSafeInt(r.operators_version)]));
}
