/**
 * Roles and permissions (docs/operators.md): who may do what at a till, shared by the agent (which
 * gates its local API) and the server (which checks the operators it knows).
 *
 * The table that holds at a till is built in three layers (docs/operators.md):
 *
 *   built-in defaults  <  the chain's policy `roles`  <  the till's config `roles`
 *
 * The policy replaces the defaults of each role it names (head office decides for the
 * chain). The config may only narrow what the chain grants: a till's effective list is
 * the chain's list intersected with the config's, never more — a technician editing
 * one box's YAML must not be able to give its cashiers refunds the chain forbade.
 */
import type { TillOpName } from "../protocol/till-ops.js";

export const ROLES = ["cashier", "supervisor", "technician"] as const;
export type Role = (typeof ROLES)[number];

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
  // Finding a member by exact phone or member id (protocol/till-member-find.ts): a privacy
  // matter of its own, so a chain can keep it from a role that may issue cards.
  "memberFind",
] as const;
export type Permission = (typeof PERMISSIONS)[number];

/** Each role's permissions: what a whole table (built-in, chain or effective) says. */
export type RoleTable = Readonly<Record<Role, readonly Permission[]>>;

/**
 * A `roles` section as a policy document or a config file writes it: a role left out
 * keeps what the layer below gives it. Names are strings here: a till reading a policy
 * from a newer head office may meet a permission it does not know (see chainRoles).
 */
export type RolesSection = Partial<Record<string, readonly string[]>>;

/**
 * A cashier sells, tops up, checks balances, issues cards and finds a member's cards by
 * phone or member id; a supervisor (店长) also refunds, voids, closes the day and manages
 * cards (loss, freeze, replace, level…), which block or unblock a member's money; a
 * technician sees status and runs the self-test but moves no money.
 */
export const BUILT_IN_ROLES: RoleTable = {
  cashier: ["sale", "topup", "balance", "status", "cardIssue", "memberFind"],
  supervisor: [
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
    "memberFind",
  ],
  technician: ["balance", "status", "selftest"],
};

export function isRole(value: unknown): value is Role {
  return (ROLES as readonly unknown[]).includes(value);
}

export function isPermission(value: unknown): value is Permission {
  return (PERMISSIONS as readonly unknown[]).includes(value);
}

/**
 * The chain's table: the policy's list for each role it names, the built-in one for the
 * rest. A permission name this version does not know is left out rather than the whole
 * policy refused — it could gate nothing here, and refusing the policy would stop prices
 * and card types from updating on an older till. Head office refuses unknown names at
 * publish (rolesProblems), so this only happens across versions.
 */
export function chainRoles(policyRoles: RolesSection | undefined): RoleTable {
  return tableFrom((role) => {
    const listed = policyRoles && Object.hasOwn(policyRoles, role) ? policyRoles[role] : undefined;
    return listed ? known(listed) : BUILT_IN_ROLES[role];
  });
}

/** The till's table: the chain's, narrowed by the config's list for each role it names. */
export function effectiveRoles(
  policyRoles: RolesSection | undefined,
  configRoles: RolesSection | undefined,
): RoleTable {
  const chain = chainRoles(policyRoles);
  return tableFrom((role) => {
    const narrowed = configRoles && Object.hasOwn(configRoles, role) ? configRoles[role] : undefined;
    return narrowed ? chain[role].filter((p) => narrowed.includes(p)) : chain[role];
  });
}

/**
 * What the config asks for that the chain does not grant, as "role: permission" — not an
 * error (the config cannot widen, so it simply does not happen), but worth a log line so
 * the technician learns why the till does not do what the YAML says.
 */
export function ungrantedByChain(
  policyRoles: RolesSection | undefined,
  configRoles: RolesSection | undefined,
): string[] {
  const chain = chainRoles(policyRoles);
  return ROLES.flatMap((role) =>
    known(configRoles?.[role] ?? [])
      .filter((p) => !chain[role].includes(p))
      .map((p) => `${role}: ${p}`),
  );
}

/**
 * Every problem of a `roles` section head office wants to publish, worded for the person
 * publishing: unknown roles and permission names (with the nearest valid one), repeats.
 * Empty when it is fine or absent.
 */
export function rolesProblems(roles: unknown, where = "roles"): string[] {
  if (roles === undefined) return [];
  if (roles === null || typeof roles !== "object" || Array.isArray(roles)) {
    return [`${where} must be a mapping of role to a list of permissions`];
  }
  const problems: string[] = [];
  for (const [role, list] of Object.entries(roles)) {
    if (!isRole(role)) {
      problems.push(`${where}.${role}: unknown role${hint(role, ROLES)}; the roles are ${ROLES.join(", ")}`);
      continue;
    }
    if (!Array.isArray(list)) {
      problems.push(`${where}.${role} must be a list of permissions`);
      continue;
    }
    const seen = new Set<unknown>();
    for (const p of list) {
      if (!isPermission(p)) {
        problems.push(
          `${where}.${role}: unknown permission ${JSON.stringify(p)}${hint(String(p), PERMISSIONS)}; the permissions are ${PERMISSIONS.join(", ")}`,
        );
      } else if (seen.has(p)) problems.push(`${where}.${role}: ${p} is listed twice`);
      seen.add(p);
    }
  }
  return problems;
}

/**
 * The JSON Schema of a policy's `roles` as tills validate it (protocol/messages.ts):
 * shape only, names as strings — see chainRoles for why a till does not refuse a name.
 */
export const policyRolesSchema = {
  type: "object",
  maxProperties: 16,
  additionalProperties: {
    type: "array",
    maxItems: 64,
    items: { type: "string", minLength: 1, maxLength: 64 },
  },
} as const;

/** The permission each till operation needs, checked again by the server for the operators it knows. */
export const TILL_OP_PERMISSIONS: Readonly<Record<TillOpName, Permission>> = {
  topup: "topup",
  refund: "refund",
  void: "void",
  balance: "balance",
  issue: "cardIssue",
  subcard: "cardIssue",
  loss: "cardManage",
  unloss: "cardManage",
  freeze: "cardManage",
  unfreeze: "cardManage",
  recycle: "cardManage",
  replace: "cardManage",
  level: "cardManage",
  find: "memberFind",
  // The till resolving its own online approval (holds.ts): part of the sale it asked for.
  hold: "sale",
};

function tableFrom(listOf: (role: Role) => readonly Permission[]): RoleTable {
  // In PERMISSIONS order, once each: the same table however the YAML or policy ordered it.
  const tidy = (list: readonly Permission[]) => PERMISSIONS.filter((p) => list.includes(p));
  return {
    cashier: tidy(listOf("cashier")),
    supervisor: tidy(listOf("supervisor")),
    technician: tidy(listOf("technician")),
  };
}

function known(list: readonly string[]): Permission[] {
  return list.filter(isPermission);
}

/** ` (did you mean "refund"?)` when a valid name is within two edits of `word`. */
function hint(word: string, valid: readonly string[]): string {
  let best: { name: string; distance: number } | undefined;
  for (const name of valid) {
    const distance = editDistance(word.toLowerCase(), name.toLowerCase());
    if (distance <= 2 && (!best || distance < best.distance)) best = { name, distance };
  }
  return best ? ` (did you mean ${JSON.stringify(best.name)}?)` : "";
}

/** Levenshtein distance, one row at a time. */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitute = previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1);
      row.push(Math.min(previous[j]! + 1, row[j - 1]! + 1, substitute));
    }
    previous = row;
  }
  return previous[b.length]!;
}
