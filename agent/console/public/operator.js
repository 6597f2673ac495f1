// Who is logged in at this console and what the agent lets them do: the permissions come
// with the session (POST /api/v1/sessions, GET /api/v1/sessions/current). They only grey
// out what would be refused anyway — the agent checks every request itself.

import { t } from "./i18n.js";

let current = null;

/** operator: { id, name, role, permissions } after a log-in; null after a log-out or without sessions. */
export function setOperator(operator) {
  current = operator;
}

export function currentOperator() {
  return current;
}

/**
 * Whether the operator may do `permission`. Without a session (an agent with no operators)
 * nothing is greyed out: the agent answers for itself.
 */
export function may(permission) {
  if (!current || !Array.isArray(current.permissions)) return true;
  return current.permissions.includes(permission);
}

/** "李店长 (900) · 店长" */
export function describeOperator(op = current) {
  if (!op) return "";
  const role = op.role ? ` · ${t(`role.${op.role}`)}` : "";
  return `${op.name ?? op.id} (${op.id})${role}`;
}

/** Why a button is greyed out: "王收银 (001) · 收银员 may not … — ask a supervisor". */
export function refusalText(actionKey) {
  return refusalFor(t(actionKey));
}

/** The same, for an action already in words (e.g. a list of operations). */
export function refusalFor(action) {
  return t("rights.denied", { who: describeOperator(), action });
}
