/**
 * Who may do what at the till (issue 7). A cashier sells, tops up and checks balances; a
 * supervisor (店长) also refunds, voids and closes the day; a technician sees status and
 * runs the self-test but moves no money.
 */
export type Role = "cashier" | "supervisor" | "technician";
export const PERMISSIONS = ["sale", "topup", "balance", "refund", "void", "close", "status", "selftest"] as const;
export type Permission = (typeof PERMISSIONS)[number];

const BY_ROLE: Record<Role, readonly Permission[]> = {
  cashier: ["sale", "topup", "balance", "status"],
  supervisor: ["sale", "topup", "balance", "refund", "void", "close", "status", "selftest"],
  technician: ["status", "selftest", "balance"],
};

export function permissionsOf(role: Role): readonly Permission[] {
  return BY_ROLE[role];
}

export function may(role: Role, permission: Permission): boolean {
  return BY_ROLE[role].includes(permission);
}
