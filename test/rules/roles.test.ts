/**
 * The role table's layers (rules/roles.ts): built-in < policy < config, where
 * the policy replaces a role's list and the config only narrows it. As properties over
 * random sections: the config never widens beyond what the chain grants, a role the config
 * leaves out keeps the chain's list, a role the policy leaves out keeps the built-in list;
 * and the publish-time checks name unknown roles and permissions with the nearest one.
 */
import fc from "fast-check";
import t from "tap";
import { CARD_OPS } from "../../protocol/till-card-ops.js";
import {
  BUILT_IN_ROLES,
  chainRoles,
  effectiveRoles,
  PERMISSIONS,
  ROLES,
  type RolesSection,
  rolesProblems,
  TILL_OP_PERMISSIONS,
  ungrantedByChain,
} from "../../rules/roles.js";

/** A section naming some roles, each with some permissions — and sometimes a name from a newer version. */
const section = fc.dictionary(
  fc.constantFrom(...ROLES),
  fc.array(fc.oneof(fc.constantFrom(...PERMISSIONS), fc.constantFrom("giftCards", "x")), { maxLength: 12 }),
) as fc.Arbitrary<RolesSection>;
const maybe = fc.option(section, { nil: undefined });

t.test("config never widens what the chain grants; roles left out keep the layer below", async (t) => {
  let runs = 0;
  fc.assert(
    fc.property(maybe, maybe, (policy, config) => {
      runs++;
      const chain = chainRoles(policy);
      const effective = effectiveRoles(policy, config);
      for (const role of ROLES) {
        for (const p of effective[role]) {
          if (!chain[role].includes(p)) throw new Error(`${role} got ${p}, which the chain does not grant`);
        }
        const listed = config?.[role];
        if (listed === undefined && effective[role].join() !== chain[role].join()) {
          throw new Error(`${role} is not in the config but differs from the chain's list`);
        }
        if (listed !== undefined && effective[role].some((p) => !listed.includes(p))) {
          throw new Error(`${role} has a permission the config does not list`);
        }
        if (policy?.[role] === undefined && chain[role].join() !== BUILT_IN_ROLES[role].join()) {
          throw new Error(`${role} is not in the policy but differs from the built-in list`);
        }
        if (effective[role].some((p) => !(PERMISSIONS as readonly string[]).includes(p))) {
          throw new Error(`${role} holds a permission this version does not know`);
        }
      }
      // What the config asked for beyond the chain is exactly what it did not get.
      const asked = ungrantedByChain(policy, config);
      for (const entry of asked) {
        const [role, p] = entry.split(": ") as [keyof typeof BUILT_IN_ROLES, string];
        if ((effective[role] as readonly string[]).includes(p)) throw new Error(`${entry} reported but granted`);
      }
    }),
    { numRuns: 500 },
  );
  t.equal(runs, 500, "500 random policy and config sections");
});

t.test("examples: the chain takes refunds from supervisors, a till narrows its cashiers", async (t) => {
  const policy = { supervisor: ["sale", "topup", "balance", "void", "close", "status", "selftest", "cardManage"] };
  const config = { cashier: ["sale", "balance"], supervisor: ["sale", "refund", "void"] };
  const table = effectiveRoles(policy, config);
  t.same(table.supervisor, ["sale", "void"], "refund listed by the config but not granted by the chain");
  t.same(table.cashier, ["sale", "balance"]);
  t.same(table.technician, BUILT_IN_ROLES.technician, "untouched by either");
  t.same(ungrantedByChain(policy, config), ["supervisor: refund"]);
  t.same(effectiveRoles(undefined, undefined), BUILT_IN_ROLES, "no sections: the built-in table");
  t.same(effectiveRoles(undefined, { cashier: [] }).cashier, [], "an empty list allows nothing");
  t.same(
    chainRoles({ cashier: ["sale", "giftCards"] }).cashier,
    ["sale"],
    "a name from a newer head office is left out",
  );
});

t.test("publish-time problems name the nearest role or permission", async (t) => {
  t.same(rolesProblems(undefined), []);
  t.same(rolesProblems({ cashier: ["sale"], technician: [] }), []);
  const problems = rolesProblems({ supervisor: ["refnd", "void", "void"], cashiers: ["sale"], technician: "status" });
  t.equal(problems.length, 4, problems.join("\n"));
  t.match(problems, [
    /^roles\.supervisor: unknown permission "refnd" \(did you mean "refund"\?\); the permissions are sale, /,
    /^roles\.supervisor: void is listed twice$/,
    /^roles\.cashiers: unknown role \(did you mean "cashier"\?\); the roles are cashier, supervisor, technician$/,
    /^roles\.technician must be a list of permissions$/,
  ]);
  t.match(
    rolesProblems({ cashier: ["zzzzzzzz"] })[0],
    /unknown permission "zzzzzzzz"; the permissions/,
    "no guess when nothing is close",
  );
  t.match(rolesProblems(["sale"]), [/must be a mapping/]);
});

t.test("every till operation names the permission the server checks", async (t) => {
  for (const op of [...CARD_OPS, "topup", "refund", "void", "balance"] as const) {
    t.ok((PERMISSIONS as readonly string[]).includes(TILL_OP_PERMISSIONS[op]), `${op}: ${TILL_OP_PERMISSIONS[op]}`);
  }
  t.equal(TILL_OP_PERMISSIONS.refund, "refund");
  t.equal(TILL_OP_PERMISSIONS.loss, "cardManage");
  t.equal(TILL_OP_PERMISSIONS.issue, "cardIssue");
});
