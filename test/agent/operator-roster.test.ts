/**
 * Operators at the till from two sources (agent/operators/roster.ts and
 * sessions.ts), as pure units with a virtual clock: head office wins on the same id (its
 * role replaces the config's, its "disabled" removes the config's entry), config-only
 * operators stay, sessions end when their operator leaves or changes role, log-in is
 * required once head office sent anyone; and the role table in force changes with the
 * policy and the config without a new log-in.
 */
import t from "tap";
import { TillRoles } from "../../agent/operators/role-table.js";
import { mergeOperators } from "../../agent/operators/roster.js";
import { OperatorSessions } from "../../agent/operators/sessions.js";
import type { OperatorConfig } from "../../config/agent-config.js";
import type { HqOperatorEntry } from "../../protocol/operators-doc.js";
import { hashPin } from "../../rules/pin.js";
import { BUILT_IN_ROLES, type RolesSection } from "../../rules/roles.js";

const FAST = { N: 2 ** 10, r: 8, p: 1 };
const hash = (pin: string) => hashPin(pin, Buffer.from(`salt-${pin}-0123`), FAST);

const CONFIG: OperatorConfig[] = [
  { id: "001", name: "王收银", role: "cashier", pinHash: hash("1111"), cardUid: "C0FFEE01" },
  { id: "900", name: "李店长", role: "supervisor", pinHash: hash("9999") },
  { id: "T1", name: "实施", role: "technician", pinHash: hash("7777") },
];

const hqActive = (id: string, role: "cashier" | "supervisor" | "technician", pin: string, cardUid?: string) =>
  ({ id, name: `总部${id}`, role, pinHash: hash(pin), ...(cardUid ? { cardUid } : {}), active: true }) as const;

const code = (c: string) => ({ name: "CardtermError", code: c });

t.test("merge: head office wins on the same id, config-only operators stay", async (t) => {
  const hq: HqOperatorEntry[] = [
    hqActive("900", "cashier", "5555"),
    { id: "T1", active: false },
    hqActive("H7", "supervisor", "4242", "C0FFEE01"),
  ];
  const { operators, shadowed } = mergeOperators(CONFIG, hq);
  t.same(
    operators.map((o) => [o.id, o.role, o.source]),
    [
      ["900", "cashier", "hq"],
      ["H7", "supervisor", "hq"],
      ["001", "cashier", "config"],
    ],
  );
  t.same(shadowed, ["900", "T1"], "the config entries head office overrides are named");
  t.same(mergeOperators(CONFIG).operators.length, 3, "without head office: the config as it is");
});

t.test("sessions end when head office disables or re-roles their operator; log-in follows the merge", async (t) => {
  let now = 1_000;
  const sessions = new OperatorSessions(CONFIG, 60_000, () => now);
  const cashier = sessions.logInWithPin("001", "1111");
  const boss = sessions.logInWithPin("900", "9999");
  const tech = sessions.logInWithPin("T1", "7777");

  const out = sessions.setHqOperators([hqActive("900", "cashier", "5555"), { id: "T1", active: false }]);
  t.same(out, { shadowed: ["900", "T1"], ended: 2 });
  t.equal(sessions.use(cashier.token).operator.id, "001", "a config-only operator's session goes on");
  t.throws(() => sessions.use(boss.token), /head office removed, disabled or changed this operator; log in again/);
  t.throws(() => sessions.use(tech.token), code("CT_UNAUTHORIZED"));
  t.throws(() => sessions.use(tech.token), /log in first/, "the reason is told once");

  t.throws(
    () => sessions.logInWithPin("T1", "7777"),
    code("CT_LOGIN_FAILED"),
    "disabled at head office: the config's PIN no longer works",
  );
  t.throws(
    () => sessions.logInWithPin("900", "9999"),
    code("CT_LOGIN_FAILED"),
    "the config's PIN for an id head office holds is not used",
  );
  const demoted = sessions.logInWithPin("900", "5555");
  t.same(demoted.operator, { id: "900", name: "总部900", role: "cashier", source: "hq" });
  t.same(sessions.permissionsOf(demoted), BUILT_IN_ROLES.cashier);

  // The same document again ends nothing; a removed head-office operator's session ends.
  t.same(sessions.setHqOperators([hqActive("900", "cashier", "5555"), { id: "T1", active: false }]).ended, 0);
  sessions.setHqOperators([{ id: "T1", active: false }]);
  t.throws(() => sessions.use(demoted.token), code("CT_UNAUTHORIZED"));
  t.equal(
    sessions.logInWithPin("900", "9999").operator.source,
    "config",
    "removed from head office: the config entry is back",
  );
  now += 1;
});

t.test("log-in is required once head office sent anyone, even only disabled operators", async (t) => {
  const sessions = new OperatorSessions([], 60_000, () => 0);
  t.equal(sessions.loginRequired, false, "no operators anywhere: sales under the default operator");
  sessions.setHqOperators([{ id: "X1", active: false }]);
  t.equal(sessions.loginRequired, true, "disabling the last operator closes the till, it does not open it");
  sessions.setHqOperators([]);
  t.equal(sessions.loginRequired, false);
  sessions.setHqOperators([hqActive("H1", "cashier", "1234", "ABCD1234")]);
  t.equal(
    sessions.logInWithCard("ic:abcd1234").operator.id,
    "H1",
    "a head-office operator card, any case, with its prefix",
  );
});

t.test("the table in force follows the policy and the config without a new log-in", async (t) => {
  let policyRoles: RolesSection | undefined;
  const ungranted: string[][] = [];
  const roles = new TillRoles({ policyRoles: () => policyRoles, onUngranted: (asked) => ungranted.push(asked) });
  const sessions = new OperatorSessions(CONFIG, 60_000, () => 0, roles);
  const boss = sessions.logInWithPin("900", "9999");
  t.doesNotThrow(() => sessions.require(boss, "refund"), "built-in: a supervisor refunds");

  policyRoles = { supervisor: ["sale", "void", "close", "status"] };
  t.throws(() => sessions.require(boss, "refund"), /supervisor 900 may not refund/, "the chain took refunds away");
  t.doesNotThrow(() => sessions.require(boss, "void"));

  roles.setConfig({ supervisor: ["sale", "refund"] });
  t.same(sessions.permissionsOf(boss), ["sale"], "the config narrows to what both allow");
  t.throws(() => sessions.require(boss, "refund"), code("CT_FORBIDDEN"), "and cannot give back what the chain took");
  t.same(ungranted.at(-1), ["supervisor: refund"], "the config's wider wish is reported");

  roles.setConfig(undefined);
  policyRoles = undefined;
  t.doesNotThrow(() => sessions.require(boss, "refund"), "both gone: the built-in table again");
  t.equal(sessions.use(boss.token).operator.id, "900", "the same session throughout");
});
