/**
 * `cardterm-hq operator …` and the policy's roles at the command line, run as
 * child processes on a PGlite data directory: an operator with an operator card and only
 * some tills, changed and given a new PIN (its till document following), listed; a policy
 * naming an unknown permission refused with the nearest one; `policy show` saying what
 * each role may do and where that comes from.
 */
import { spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import t from "tap";
import { verifyPin } from "../../rules/pin.js";
import { demoPolicy } from "../../rules/policy.js";
import { operatorDocumentFor } from "../../server/backoffice/operator-docs.js";
import { openDb } from "../../server/db/open-db.js";
import { seedDemo } from "../../server/ledger/seed-demo.js";
import { provisionTerminal } from "../../server/provision/provision-terminal.js";

const CLI = join(import.meta.dirname, "../../server/cli/cardterm-hq.ts");
const dir = mkdtempSync(join(tmpdir(), "cardterm-hq-ops-"));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));
const dataDir = join(dir, "ledger");
{
  const db = await openDb({ dataDir });
  await seedDemo(db);
  for (const terminalId of ["S1-01", "S1-02"]) await provisionTerminal(db, { terminalId, storeId: "S1" });
  await db.close();
}

async function hq(args: string[], stdin?: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, ["--import", "tsx", CLI, ...args, "--data-dir", dataDir], {
    stdio: ["pipe", "pipe", "pipe"],
    env: { ...process.env, DATABASE_URL: "", CARDTERM_HQ_ACTOR: "hq-wang" },
  });
  child.stdin.end(stdin ?? "");
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d) => {
    stdout += d;
  });
  child.stderr.on("data", (d) => {
    stderr += d;
  });
  const [code] = await once(child, "close");
  return { code: code as number | null, stdout, stderr };
}

/** The document a till would get now (the database is closed again before the next command). */
async function documentOf(terminalId: string) {
  const db = await openDb({ dataDir });
  try {
    return await operatorDocumentFor(db, terminalId);
  } finally {
    await db.close();
  }
}

t.test("operator add with a card and one till, update, new PIN, list", async (t) => {
  const add = await hq(
    ["operator", "add", "S1-900", "--store", "S1", "--name", "陈店长", "--role", "supervisor", "--pin-stdin"].concat([
      "--card-uid",
      "ic:b055b055",
      "--terminal",
      "S1-02",
    ]),
    "1357\n",
  );
  t.equal(add.code, 0, add.stderr);
  t.match(add.stdout, "operator S1-900 (supervisor) added to store S1, operator card B055B055, tills S1-02");
  t.same((await documentOf("S1-01"))?.operators, [], "not at S1-01");
  const at02 = (await documentOf("S1-02"))!.operators[0]!;
  t.match(at02, { id: "S1-900", role: "supervisor", cardUid: "B055B055", active: true });
  t.ok(at02.active && verifyPin("1357", at02.pinHash), "the PIN from stdin, as a hash the till verifies");

  const update = await hq([
    "operator",
    "update",
    "S1-900",
    "--role",
    "cashier",
    "--terminal",
    "all",
    "--card-uid",
    "none",
  ]);
  t.equal(update.code, 0, update.stderr);
  t.match(update.stdout, "operator S1-900 is now 陈店长, cashier, every till of the store");
  t.match((await documentOf("S1-01"))?.operators, [{ id: "S1-900", role: "cashier" }]);
  t.notOk("cardUid" in (await documentOf("S1-01"))!.operators[0]!, "the card taken off");

  t.equal((await hq(["operator", "pin", "S1-900", "--pin-stdin"], "2468\n")).code, 0);
  const after = (await documentOf("S1-01"))!.operators[0]!;
  t.ok(after.active && verifyPin("2468", after.pinHash), "the new PIN");

  const list = await hq(["operator", "list", "--store", "S1", "--json"]);
  t.match(JSON.parse(list.stdout), [{ operatorId: "S1-900", role: "cashier", cardUid: null, terminals: null }]);
  const nothing = await hq(["operator", "update", "S1-900"]);
  t.equal(nothing.code, 1);
  t.match(nothing.stderr, /CT_BAD_REQUEST: nothing to change/);
});

t.test("policy roles: an unknown permission refused with the nearest, policy show says who may what", async (t) => {
  const { version: _, ...base } = demoPolicy();
  const file = join(dir, "policy.json");
  writeFileSync(file, JSON.stringify({ ...base, roles: { supervisor: ["sale", "refnd"] } }));
  const bad = await hq(["policy", "publish", file]);
  t.equal(bad.code, 1);
  t.match(
    bad.stderr,
    /CT_POLICY_INVALID[\s\S]*roles\.supervisor: unknown permission "refnd" \(did you mean "refund"\?\)/,
  );

  writeFileSync(file, JSON.stringify({ ...base, roles: { supervisor: ["sale", "void", "close"] } }));
  const good = await hq(["policy", "publish", file]);
  t.equal(good.code, 0, good.stderr);
  const show = await hq(["policy", "show"]);
  t.match(show.stdout, /supervisor +policy +sale void close\n/);
  t.match(show.stdout, /cashier +built-in +sale topup balance status cardIssue/);
});
