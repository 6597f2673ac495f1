/**
 * Operators (操作员): the people who work the tills, per store, with a role and a PIN
 * (kept only as a scrypt hash, protocol/pin.ts). Roles follow DESIGN §1: a cashier sells
 * and tops up; a supervisor also refunds, voids and handles card loss, freeze and
 * replacement; a technician installs and diagnoses. Terminals will read this table to
 * log operators in; a disabled operator is kept (their id is on past transactions).
 */
import { CardtermError } from "../../protocol/errors.js";
import { hashPin } from "../../protocol/pin.js";
import type { Db, Queryable } from "../db/db.js";
import { type Actor, audit, checkActor, isoTime } from "./actor.js";
import { requireId, requireText } from "./validate.js";

export const OPERATOR_ROLES = ["cashier", "supervisor", "technician"] as const;
export type OperatorRole = (typeof OPERATOR_ROLES)[number];

export interface Operator {
  operatorId: string;
  storeId: string;
  name: string;
  role: OperatorRole;
  active: boolean;
  createdAt: string;
}

export interface NewOperator {
  operatorId: string;
  storeId: string;
  name: string;
  role: string;
  /** 4–12 digits. */
  pin: string;
}

interface OperatorRow {
  id: string;
  store_id: string;
  name: string;
  role: OperatorRole;
  active: boolean;
  created_at: Date | string;
}

const COLUMNS = "id, store_id, name, role, active, created_at";

const toOperator = (r: OperatorRow): Operator => ({
  operatorId: r.id,
  storeId: r.store_id,
  name: r.name,
  role: r.role,
  active: r.active,
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

export async function addOperator(db: Db, params: NewOperator, actor: Actor): Promise<Operator> {
  checkActor(actor);
  const operatorId = requireId(params.operatorId, "operatorId");
  const storeId = requireId(params.storeId, "storeId");
  const name = requireText(params.name, "name");
  const role = requireRole(params.role);
  const pinHash = hashPin(params.pin);
  return db.transaction(async (tx) => {
    const { rows } = await tx.query<OperatorRow>(
      `INSERT INTO operators (id, store_id, name, role, pin_hash) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (id) DO NOTHING RETURNING ${COLUMNS}`,
      [operatorId, storeId, name, role, pinHash],
    );
    if (!rows[0]) throw new CardtermError("CT_CONFLICT", `operator ${operatorId} already exists`);
    await audit(tx, actor, "operator.add", operatorId, { storeId, name, role });
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

/** The stored PIN hash of an active operator, for a till's log-in (later); undefined if none. */
export async function operatorPinHash(q: Queryable, operatorId: string): Promise<string | undefined> {
  const { rows } = await q.query<{ pin_hash: string }>("SELECT pin_hash FROM operators WHERE id = $1 AND active", [
    operatorId,
  ]);
  return rows[0]?.pin_hash;
}

function notFound(operatorId: string): CardtermError {
  return new CardtermError("CT_NOT_FOUND", `operator ${operatorId} does not exist`);
}
