/**
 * Operators (操作员): the people who work the tills, per store, with a role, a PIN (kept only as a
 * scrypt hash, rules/pin.ts), an optional operator card and optionally only some of the store's
 * tills. Roles follow docs/architecture.md#the-domain; what each may do is the chain's policy
 * (rules/roles.ts). A disabled operator is kept (their id is on past transactions) and still
 * sent to the tills, as disabled, so none lets them in.
 *
 * Every change raises the operators version in its own transaction (operator-docs.ts
 * builds the documents the tills get from it): a till learns of the change at the next
 * publication — at once through the HTTP API, within a poll from the CLI (doc-watch.ts).
 */
import { CardtermError } from "../../protocol/errors.js";
import { hashPin } from "../../rules/pin.js";
import { ROLES, type Role } from "../../rules/roles.js";
import type { Db, Queryable } from "../db/db.js";
import { type Actor, audit, checkActor, isoTime } from "./actor.js";
import { requireId, requireText } from "./validate.js";

export const OPERATOR_ROLES = ROLES;
export type OperatorRole = Role;

export interface Operator {
  operatorId: string;
  storeId: string;
  name: string;
  role: OperatorRole;
  active: boolean;
  /** The operator card's uid, or null. */
  cardUid: string | null;
  /** Only these tills of the store; null = every till of it. */
  terminals: string[] | null;
  createdAt: string;
}

export interface NewOperator {
  operatorId: string;
  storeId: string;
  name: string;
  role: string;
  /** 4–12 digits. */
  pin: string;
  cardUid?: string | undefined;
  terminals?: string[] | undefined;
}

/** What `updateOperator` may change; a field left out stays; null clears card or till list. */
export interface OperatorChange {
  operatorId: string;
  name?: string | undefined;
  role?: string | undefined;
  cardUid?: string | null | undefined;
  terminals?: string[] | null | undefined;
}

interface OperatorRow {
  id: string;
  store_id: string;
  name: string;
  role: OperatorRole;
  active: boolean;
  card_uid: string | null;
  terminal_ids: string[] | null;
  created_at: Date | string;
}

const COLUMNS = "id, store_id, name, role, active, card_uid, terminal_ids, created_at";

const toOperator = (r: OperatorRow): Operator => ({
  operatorId: r.id,
  storeId: r.store_id,
  name: r.name,
  role: r.role,
  active: r.active,
  cardUid: r.card_uid,
  terminals: r.terminal_ids,
  createdAt: isoTime(r.created_at),
});

export function requireRole(role: unknown): OperatorRole {
  if (!OPERATOR_ROLES.includes(role as OperatorRole)) {
    throw new CardtermError(
      "CT_BAD_REQUEST",
      `role ${JSON.stringify(role)} must be one of ${OPERATOR_ROLES.join(", ")}`,
    );
  }
  return role as OperatorRole;
}

/** An operator card's uid as tills compare it: upper case, without an ic:/id: prefix. */
export function requireOperatorCard(value: unknown): string {
  const uid = typeof value === "string" ? value.trim().replace(/^(ic|id):/i, "") : "";
  if (!/^[0-9A-Za-z]{4,40}$/.test(uid)) {
    throw new CardtermError(
      "CT_BAD_REQUEST",
      `operator card ${JSON.stringify(value)} must be the card's uid: 4–40 letters or digits`,
    );
  }
  return uid.toUpperCase();
}

function requireTerminals(value: unknown): string[] {
  if (!Array.isArray(value) || value.length === 0 || value.length > 100) {
    throw new CardtermError("CT_BAD_REQUEST", "terminals must list 1 to 100 terminal ids");
  }
  return [...new Set(value.map((t) => requireId(t, "terminal")))].sort();
}

export async function addOperator(db: Db, params: NewOperator, actor: Actor): Promise<Operator> {
  checkActor(actor);
  const operatorId = requireId(params.operatorId, "operatorId");
  const storeId = requireId(params.storeId, "storeId");
  const name = requireText(params.name, "name");
  const role = requireRole(params.role);
  const cardUid = params.cardUid === undefined ? null : requireOperatorCard(params.cardUid);
  const terminals = params.terminals === undefined ? null : requireTerminals(params.terminals);
  const pinHash = hashPin(params.pin);
  return db.transaction(async (tx) => {
    await cardFree(tx, cardUid, operatorId);
    const { rows } = await tx.query<OperatorRow>(
      `INSERT INTO operators (id, store_id, name, role, pin_hash, card_uid, terminal_ids)
       VALUES ($1, $2, $3, $4, $5, $6, $7::text[])
       ON CONFLICT (id) DO NOTHING RETURNING ${COLUMNS}`,
      [operatorId, storeId, name, role, pinHash, cardUid, terminals],
    );
    if (!rows[0]) throw new CardtermError("CT_CONFLICT", `operator ${operatorId} already exists`);
    await bumpOperatorsVersion(tx);
    await audit(tx, actor, "operator.add", operatorId, { storeId, name, role, cardUid, terminals });
    return toOperator(rows[0]);
  });
}

/** Name, role, operator card or tills of an operator; sessions at the tills under the old role end. */
export async function updateOperator(db: Db, change: OperatorChange, actor: Actor): Promise<Operator> {
  checkActor(actor);
  const operatorId = requireId(change.operatorId, "operatorId");
  const fields: Record<string, unknown> = {};
  if (change.name !== undefined) fields.name = requireText(change.name, "name");
  if (change.role !== undefined) fields.role = requireRole(change.role);
  if (change.cardUid !== undefined)
    fields.card_uid = change.cardUid === null ? null : requireOperatorCard(change.cardUid);
  if (change.terminals !== undefined) {
    fields.terminal_ids = change.terminals === null ? null : requireTerminals(change.terminals);
  }
  const names = Object.keys(fields);
  if (names.length === 0)
    throw new CardtermError("CT_BAD_REQUEST", "nothing to change: give a name, role, card or tills");
  return db.transaction(async (tx) => {
    if (fields.card_uid) await cardFree(tx, fields.card_uid as string, operatorId);
    const sets = names.map((n, i) => `${n} = $${i + 2}${n === "terminal_ids" ? "::text[]" : ""}`);
    const { rows } = await tx.query<OperatorRow>(
      `UPDATE operators SET ${sets.join(", ")}, updated_at = now() WHERE id = $1 RETURNING ${COLUMNS}`,
      [operatorId, ...names.map((n) => fields[n])],
    );
    if (!rows[0]) throw notFound(operatorId);
    await bumpOperatorsVersion(tx);
    await audit(tx, actor, "operator.update", operatorId, fields);
    return toOperator(rows[0]);
  });
}

/** Disables (or, with active = true, enables again) an operator. */
export async function setOperatorActive(
  db: Db,
  params: { operatorId: string; active: boolean },
  actor: Actor,
): Promise<Operator> {
  checkActor(actor);
  const operatorId = requireId(params.operatorId, "operatorId");
  return db.transaction(async (tx) => {
    const before = await tx.query<{ active: boolean }>("SELECT active FROM operators WHERE id = $1 FOR UPDATE", [
      operatorId,
    ]);
    if (!before.rows[0]) throw notFound(operatorId);
    if (before.rows[0].active === params.active) {
      throw new CardtermError(
        "CT_CONFLICT",
        `operator ${operatorId} is already ${params.active ? "enabled" : "disabled"}`,
      );
    }
    const { rows } = await tx.query<OperatorRow>(
      `UPDATE operators SET active = $2, updated_at = now() WHERE id = $1 RETURNING ${COLUMNS}`,
      [operatorId, params.active],
    );
    await bumpOperatorsVersion(tx);
    await audit(tx, actor, params.active ? "operator.enable" : "operator.disable", operatorId);
    return toOperator(rows[0]!);
  });
}

/** A new PIN for an operator (forgotten, or handed over). */
export async function setOperatorPin(db: Db, params: { operatorId: string; pin: string }, actor: Actor): Promise<void> {
  checkActor(actor);
  const operatorId = requireId(params.operatorId, "operatorId");
  const pinHash = hashPin(params.pin);
  await db.transaction(async (tx) => {
    const { rows } = await tx.query(
      "UPDATE operators SET pin_hash = $2, updated_at = now() WHERE id = $1 RETURNING id",
      [operatorId, pinHash],
    );
    if (!rows[0]) throw notFound(operatorId);
    await bumpOperatorsVersion(tx);
    await audit(tx, actor, "operator.pin", operatorId);
  });
}

export async function listOperators(q: Queryable, opts: { storeId?: string | undefined } = {}): Promise<Operator[]> {
  const { rows } = await q.query<OperatorRow>(
    `SELECT ${COLUMNS} FROM operators WHERE $1::text IS NULL OR store_id = $1 ORDER BY store_id, id`,
    [opts.storeId ?? null],
  );
  return rows.map(toOperator);
}

/** One operator as head office holds it (for the server's role check), or undefined. */
export async function findOperator(q: Queryable, operatorId: string): Promise<Operator | undefined> {
  const { rows } = await q.query<OperatorRow>(`SELECT ${COLUMNS} FROM operators WHERE id = $1`, [operatorId]);
  return rows[0] && toOperator(rows[0]);
}

/** The stored PIN hash of an active operator; undefined if none. */
export async function operatorPinHash(q: Queryable, operatorId: string): Promise<string | undefined> {
  const { rows } = await q.query<{ pin_hash: string }>("SELECT pin_hash FROM operators WHERE id = $1 AND active", [
    operatorId,
  ]);
  return rows[0]?.pin_hash;
}

/** The operators version the tills' documents carry (migration 8). */
export async function operatorsVersion(q: Queryable): Promise<number> {
  const { rows } = await q.query<{ version: unknown }>("SELECT version FROM operators_meta WHERE id = 1");
  return Number(rows[0]?.version ?? 0);
}

/** In the change's own transaction; the row lock also orders two changes' versions. */
async function bumpOperatorsVersion(tx: Queryable): Promise<void> {
  await tx.query("UPDATE operators_meta SET version = version + 1 WHERE id = 1");
}

/** An operator card belongs to one operator: say whose, rather than fail on the unique index. */
async function cardFree(tx: Queryable, cardUid: string | null, operatorId: string): Promise<void> {
  if (cardUid === null) return;
  const { rows } = await tx.query<{ id: string }>("SELECT id FROM operators WHERE card_uid = $1 AND id <> $2", [
    cardUid,
    operatorId,
  ]);
  if (rows[0]) {
    throw new CardtermError(
      "CT_CONFLICT",
      `operator card ${cardUid} is operator ${rows[0].id}'s; take it off them first (operator update ${rows[0].id} --card-uid none)`,
    );
  }
}

function notFound(operatorId: string): CardtermError {
  return new CardtermError("CT_NOT_FOUND", `operator ${operatorId} does not exist`);
}
