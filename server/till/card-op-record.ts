/**
 * Exactly once for card operations (protocol/till-card-ops.ts): each applied request is
 * kept as one audit row, written in the same transaction as the change itself — so a
 * change without its record, or a record without its change, cannot exist. A retry finds
 * the row and gets the stored outcome.
 *
 * The audit log rather than a table of its own: the row is also the trace head office
 * reads ("till T001 asked for this, request …"), and it needs no schema migration. Its
 * subject names terminal and request id (ids are the till's, unique only per till).
 */
import { createHash } from "node:crypto";
import { canonicalJson } from "../../protocol/journal-entry.js";
import type { CardOpRequest } from "../../protocol/till-card-ops.js";
import { type Actor, audit } from "../backoffice/actor.js";
import type { Queryable } from "../db/db.js";

const ACTION = "till.request";

/** What a retry needs to answer as the first time did. */
export interface CardOpRecord {
  op: CardOpRequest["op"];
  fingerprint: string;
  /** The card left in place (the reply's `card`), and the other card it touched. */
  cardId: string;
  otherCardId?: string;
  memberId?: string;
  fromCardType?: string;
  hotlistVersion: number | null;
}

export function requestKey(terminalId: string, requestId: string): string {
  return `till-request:${terminalId}:${requestId}`;
}

/**
 * Holds the request's key until the transaction ends: a retry that arrives while the
 * first attempt is still running waits for it, then finds its record.
 */
export async function lockRequest(tx: Queryable, key: string): Promise<void> {
  const lockId = createHash("sha256").update(key).digest().readBigInt64BE(0);
  await tx.query("SELECT pg_advisory_xact_lock($1::bigint)", [lockId.toString()]);
}

export async function findRecord(q: Queryable, key: string): Promise<CardOpRecord | undefined> {
  const { rows } = await q.query<{ detail: CardOpRecord | string }>(
    "SELECT detail FROM audit_log WHERE subject = $1 AND action = $2 ORDER BY id LIMIT 1",
    [key, ACTION],
  );
  const detail = rows[0]?.detail;
  if (detail === undefined) return undefined;
  return typeof detail === "string" ? (JSON.parse(detail) as CardOpRecord) : detail;
}

export async function saveRecord(tx: Queryable, actor: Actor, key: string, record: CardOpRecord): Promise<void> {
  await audit(tx, actor, ACTION, key, { ...record });
}

/**
 * The request's own fields (not who, when or the correlation id), hashed: the same id
 * with different fields is another request, not a retry. The PIN is in the hash, never
 * in the row.
 */
export function fingerprint(req: CardOpRequest): string {
  const fields = Object.fromEntries(Object.entries(req).filter(([k]) => !ENVELOPE.has(k)));
  return createHash("sha256").update(canonicalJson(fields)).digest("hex");
}

const ENVELOPE = new Set(["v", "corr", "terminalId", "operatorId", "businessDay", "at"]);
