/**
 * The role table in force at this till: the built-in defaults, replaced role by
 * role by the chain's policy, narrowed by this till's config `roles:` (rules/roles.ts
 * has the rule; docs/operators.md explains it to technicians).
 *
 * Read at every check, never copied: a new policy (PolicyCache) or a config reload
 * (setConfig) holds from the next request, with no session to restart. The table is
 * rebuilt only when the policy's or the config's section is another object than last time.
 */
import {
  effectiveRoles,
  type Permission,
  type Role,
  type RolesSection,
  type RoleTable,
  ungrantedByChain,
} from "../../rules/roles.js";

export interface TillRolesOptions {
  /** The chain's section, from the policy the till holds (undefined: none yet, or none in it). */
  policyRoles: () => RolesSection | undefined;
  /** The config's section (undefined: the config has none). */
  configRoles?: RolesSection | undefined;
  /** Called when the config asks for permissions the chain does not grant (ignored, but worth a log line). */
  onUngranted?: (asked: string[]) => void;
}

export class TillRoles {
  private configRoles: RolesSection | undefined;
  private built: { policy: RolesSection | undefined; config: RolesSection | undefined; table: RoleTable } | undefined;

  constructor(private readonly opts: TillRolesOptions) {
    this.configRoles = opts.configRoles;
  }

  /** The config's `roles:` after a reload. */
  setConfig(roles: RolesSection | undefined): void {
    this.configRoles = roles;
  }

  table(): RoleTable {
    const policy = this.opts.policyRoles();
    const config = this.configRoles;
    const built = this.built;
    if (built && built.policy === policy && built.config === config) return built.table;
    const table = effectiveRoles(policy, config);
    this.built = { policy, config, table };
    const asked = ungrantedByChain(policy, config);
    if (asked.length > 0) this.opts.onUngranted?.(asked);
    return table;
  }

  permissionsOf(role: Role): readonly Permission[] {
    return this.table()[role];
  }

  may(role: Role, permission: Permission): boolean {
    return this.permissionsOf(role).includes(permission);
  }
}
