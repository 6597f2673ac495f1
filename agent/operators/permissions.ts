/**
 * Who may do what at the till (docs/operators.md). The roles, permission names and the built-in
 * table live in rules/roles.ts (the server checks the same names); what holds at this
 * till is the effective table (role-table.ts: built-in < policy < config, config only
 * narrowing). This file names what the local API gates.
 */
export {
  BUILT_IN_ROLES,
  isPermission,
  isRole,
  PERMISSIONS,
  type Permission,
  ROLES,
  type Role,
  type RoleTable,
} from "../../rules/roles.js";

import type { Permission } from "../../rules/roles.js";

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
  "GET /api/v1/members": "memberFind",
  "POST /api/v1/cards/read": "cardIssue",
};
