/**
 * The server's own check of who asks for a till operation (docs/operators.md). A till gates its API
 * with its role table, but a till is a box in a shop: its config, its cached policy or its
 * operators file can be edited. So for an operator head office knows, the server checks
 * again, from its own records — the operator is active, works at this till's store (and
 * this till, when limited to some), and their role at head office has the operation's
 * permission under the chain's policy (rules/roles.ts chainRoles; a till's config can
 * only narrow that, so this is the outer bound). Refused: OPERATOR_NOT_ALLOWED.
 *
 * An operator head office does not know — one from a till's config file only — is allowed,
 * as before head office had operators: refusing them would stop every till set up that
 * way. Each such request that changes something leaves an audit row
 * (`till.operator-unverified`, subject the operator id) so head office can see who works
 * under ids it never issued, and move them into its table.
 *
 * Called inside the operation's transaction, after its replay check: a retry of a request
 * already applied gets its stored outcome whatever happened to the operator since (the
 * money has moved; answering "not allowed" would hide that), and the audit row commits or
 * rolls back with the operation.
 */

import type { TillOpReply, TillOpRequest } from "../../protocol/till-ops.js";
import { chainRoles, TILL_OP_PERMISSIONS } from "../../rules/roles.js";
import { audit } from "../backoffice/actor.js";
import { findOperator } from "../backoffice/operators.js";
import type { Queryable } from "../db/db.js";
import { currentPolicy } from "../ledger/policy-store.js";

/** A refusal to answer with, or undefined when the operation may go ahead. */
export async function checkTillOperator(q: Queryable, req: TillOpRequest): Promise<TillOpReply | undefined> {
  const permission = TILL_OP_PERMISSIONS[req.op];
  const operator = await findOperator(q, req.operatorId);
  if (!operator) {
    if (req.op !== "balance") await flagUnverified(q, req, permission);
    return undefined;
  }
  const who = `operator ${operator.operatorId}`;
  if (!operator.active) return refuse(req, `${who} is disabled at head office`);
  const { rows } = await q.query<{ store_id: string | null }>("SELECT store_id FROM terminals WHERE id = $1", [
    req.terminalId,
  ]);
  const store = rows[0]?.store_id ?? null;
  if (store !== operator.storeId || (operator.terminals !== null && !operator.terminals.includes(req.terminalId))) {
    return refuse(req, `${who} works at store ${operator.storeId}, not at till ${req.terminalId}`);
  }
  const table = chainRoles((await currentPolicy(q))?.roles);
  if (!table[operator.role].includes(permission)) {
    return refuse(req, `${who} is a ${operator.role} at head office, and a ${operator.role} may not ${permission}`);
  }
  return undefined;
}

function refuse(req: TillOpRequest, message: string): TillOpReply {
  return { v: 1, corr: req.corr, ok: false, code: "OPERATOR_NOT_ALLOWED", message };
}

async function flagUnverified(q: Queryable, req: TillOpRequest, permission: string): Promise<void> {
  const ref = "txnId" in req ? { txnId: req.txnId } : "requestId" in req ? { requestId: req.requestId } : {};
  await audit(
    q,
    { id: req.operatorId, via: "till", terminalId: req.terminalId },
    "till.operator-unverified",
    req.operatorId,
    {
      op: req.op,
      permission,
      ...ref,
    },
  );
}
