/**
 * Who may do what at the till (issue 7). A cashier sells, tops up, checks balances and
 * issues cards (a new member's card, a sub-card); a supervisor (店长) also refunds, voids,
 * closes the day and manages cards — loss, unloss, freeze, unfreeze, replace, recycle and
 * level changes, which block or unblock a member's money; a technician sees status and
 * runs the self-test but moves no money.
 */
export type Role = "cashier" | "supervisor" | "technician";
export const PERMISSIONS = [
  "sale",
  "topup",
  "balance",
  "refund",
  "void",
  "close",
  "status",
  "selftest",
  "cardIssue",
  "cardManage",
] as const;
export type Permission = (typeof PERMISSIONS)[number];

const BY_ROLE: Record<Role, readonly Permission[]> = {
  cashier: ["sale", "topup", "balance", "status", "cardIssue"],
  supervisor: ["sale", "topup", "balance", "refund", "void", "close", "status", "selftest", "cardIssue", "cardManage"],
  technician: ["status", "selftest", "balance"],
};

export function permissionsOf(role: Role): readonly Permission[] {
  return BY_ROLE[role];
}

export function may(role: Role, permission: Permission): boolean {
  return BY_ROLE[role].includes(permission);
}

/**
 * The permission each gated route of the local API asks for (`METHOD path`, paths as the
 * OpenAPI document writes them). The OpenAPI document shows it on each operation
 * (`x-cardterm-permission`) and test/e2e/supervisor-only.test.ts walks it: a route a
 * cashier must not use is refused to one, whatever file it lives in.
 */
export const ROUTE_PERMISSIONS: Readonly<Record<string, Permission>> = {
  "POST /api/v1/sales": "sale",
  "POST /api/v1/topups": "topup",
  "POST /api/v1/balance": "balance",
  "POST /api/v1/refunds": "refund",
  "POST /api/v1/voids": "void",
  "GET /api/v1/transactions": "status",
  "GET /api/v1/close": "close",
  "POST /api/v1/close/print": "close",
  "POST /api/v1/receipts/self-test": "selftest",
  "POST /api/v1/cards": "cardIssue",
  "POST /api/v1/cards/{cardUid}/subcards": "cardIssue",
  "POST /api/v1/cards/{cardUid}/loss": "cardManage",
  "POST /api/v1/cards/{cardUid}/unloss": "cardManage",
  "POST /api/v1/cards/{cardUid}/freeze": "cardManage",
  "POST /api/v1/cards/{cardUid}/unfreeze": "cardManage",
  "POST /api/v1/cards/{cardUid}/recycle": "cardManage",
  "POST /api/v1/cards/{cardUid}/replace": "cardManage",
  "POST /api/v1/cards/{cardUid}/level": "cardManage",
};
