/** `cardterm-hq operator add|update|list|disable|enable|pin` and `cardterm-hq policy show|publish`. */

import { readFile } from "node:fs/promises";
import { readYaml } from "../../config/yaml-source.js";
import { CardtermError } from "../../protocol/errors.js";
import { formatMoney } from "../../rules/money.js";
import type { PolicyDocument } from "../../rules/policy.js";
import { chainRoles, ROLES } from "../../rules/roles.js";
import {
  addOperator,
  listOperators,
  type Operator,
  setOperatorActive,
  setOperatorPin,
  updateOperator,
} from "../backoffice/operators.js";
import { getPolicy, publishPolicy } from "../backoffice/policy.js";
import { actorOf, one, pinFromStdin, print, usage, type Values, withDb } from "./args.js";
import { table } from "./table.js";

export async function operator(v: Values, sub: string | undefined, rest: string[]): Promise<void> {
  if (sub === "add") {
    const operatorId = one(rest, "operator add needs an operator id");
    if (!v.store || !v.name || !v.role || !v["pin-stdin"]) {
      throw usage("operator add needs --store, --name, --role and --pin-stdin (the PIN on stdin)");
    }
    const pin = (await pinFromStdin(v)) ?? "";
    const scope = { cardUid: v["card-uid"], terminals: v.terminal };
    const op = await withDb(v, "operator add", (db) =>
      addOperator(db, { operatorId, storeId: v.store!, name: v.name!, role: v.role!, pin, ...scope }, actorOf(v)),
    );
    return print(v, op, () => `operator ${op.operatorId} (${op.role}) added to store ${op.storeId}${where(op)}`);
  }
  if (sub === "update") {
    const operatorId = one(rest, "operator update needs an operator id");
    const card = v["card-uid"];
    const tills = v.terminal;
    const change = {
      operatorId,
      name: v.name,
      role: v.role,
      cardUid: card === "none" ? null : card,
      terminals: tills?.length === 1 && tills[0] === "all" ? null : tills,
    };
    const op = await withDb(v, "operator update", (db) => updateOperator(db, change, actorOf(v)));
    return print(v, op, () => `operator ${op.operatorId} is now ${op.name}, ${op.role}${where(op)}`);
  }
  if (sub === "pin") {
    const operatorId = one(rest, "operator pin needs an operator id");
    if (!v["pin-stdin"]) throw usage("operator pin needs --pin-stdin (the new PIN on stdin)");
    const pin = (await pinFromStdin(v)) ?? "";
    await withDb(v, "operator pin", (db) => setOperatorPin(db, { operatorId, pin }, actorOf(v)));
    return print(v, { operatorId, pin: "set" }, () => `operator ${operatorId} has a new PIN`);
  }
  if (sub === "list" && rest.length === 0) {
    const ops = await withDb(v, "operator list", (db) => listOperators(db, { storeId: v.store }));
    return print(v, ops, () =>
      table(
        ["operator", "store", "name", "role", "active", "card", "tills"],
        ops.map((o) => [
          o.operatorId,
          o.storeId,
          o.name,
          o.role,
          o.active ? "yes" : "no",
          o.cardUid ?? "-",
          o.terminals?.join(" ") ?? "all",
        ]),
      ),
    );
  }
  if (sub === "disable" || sub === "enable") {
    const operatorId = one(rest, `operator ${sub} needs an operator id`);
    const op = await withDb(v, `operator ${sub}`, (db) =>
      setOperatorActive(db, { operatorId, active: sub === "enable" }, actorOf(v)),
    );
    return print(v, op, () => `operator ${op.operatorId} ${op.active ? "enabled" : "disabled"}`);
  }
  throw usage(`unknown operator command: ${[sub, ...rest].join(" ")}`);
}

export async function policy(v: Values, sub: string | undefined, rest: string[]): Promise<void> {
  if (sub === "show" && rest.length === 0) {
    const doc = await withDb(v, "policy show", (db) => getPolicy(db));
    return print(v, doc, () => policyTable(doc));
  }
  if (sub === "publish") {
    const file = one(rest, "policy publish needs a JSON or YAML file");
    const document = await readPolicyFile(file);
    const out = await withDb(v, "policy publish", (db) => publishPolicy(db, document, actorOf(v)));
    return print(v, out, () =>
      [
        `policy version ${out.policy.version} published; terminals get it from the running server within seconds`,
        ...out.warnings.map((w) => `warning: ${w}`),
        policyTable(out.policy),
      ].join("\n"),
    );
  }
  throw usage(`unknown policy command: ${[sub, ...rest].join(" ")}`);
}

/** ", card C0FFEE01, tills T1 T2" — what the tills will get besides the role. */
function where(op: Operator): string {
  const card = op.cardUid ? `, operator card ${op.cardUid}` : "";
  return `${card}, ${op.terminals ? `tills ${op.terminals.join(" ")}` : "every till of the store"}`;
}

/**
 * A policy as JSON, or as YAML (`.yaml`/`.yml`) so it can carry comments like the
 * annotated example config/examples/head-office/policy.yaml; a YAML slip names its line.
 */
async function readPolicyFile(file: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (err) {
    throw new CardtermError("CT_POLICY_INVALID", `cannot read ${file}: ${(err as Error).message}`);
  }
  if (/\.ya?ml$/i.test(file)) {
    const src = readYaml(text, file);
    const slips = src.syntaxProblems.map((p) => `${p.file}:${p.line}:${p.column}  ${p.message}`);
    if (slips.length > 0)
      throw new CardtermError("CT_POLICY_INVALID", `${file} is not valid YAML:\n  ${slips.join("\n  ")}`);
    return src.doc.toJS({ maxAliasCount: 100 });
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new CardtermError("CT_POLICY_INVALID", `${file} is not valid JSON: ${(err as Error).message}`);
  }
}

function policyTable(doc: PolicyDocument): string {
  const rows = Object.values(doc.cardTypes).map((t) => [
    t.id,
    t.name,
    `${(t.payRateBp / 100).toFixed(2)}%`,
    `${t.points.points}/${formatMoney(t.points.perMinor)}${t.points.birthdayMultiplier > 1 ? ` ×${t.points.birthdayMultiplier} birthday` : ""}`,
    t.topUpBonus
      .map(
        (b) => `${formatMoney(b.minMinor)}→+${formatMoney(b.bonusMinor)}${b.bonusPoints ? `+${b.bonusPoints}pt` : ""}`,
      )
      .join(" ") || "-",
    t.offlineAllowed ? "yes" : "no",
    t.pinAboveMinor === null ? "-" : formatMoney(t.pinAboveMinor),
  ]);
  return `policy version ${doc.version}\n${table(["type", "name", "pays", "points", "top-up bonus", "offline", "PIN above"], rows)}\n${rolesTable(doc)}`;
}

/** What each role may do across the chain: the policy's list, or the built-in one it leaves. */
function rolesTable(doc: PolicyDocument): string {
  const chain = chainRoles(doc.roles);
  const rows = ROLES.map((role) => [
    role,
    doc.roles && Object.hasOwn(doc.roles, role) ? "policy" : "built-in",
    chain[role].join(" ") || "(nothing)",
  ]);
  return table(["role", "from", "may"], rows);
}
