/**
 * The back-office commands of cardterm-hq, run as child processes on a PGlite data
 * directory: what the technician types, what they read, the exit status, and
 * the ledger they leave behind.
 */
import { spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import t from "tap";
import { demoPolicy } from "../../rules/policy.js";
import { openDb } from "../../server/db/open-db.js";
import { seedDemo } from "../../server/ledger/seed-demo.js";

const CLI = join(import.meta.dirname, "../../server/cli/cardterm-hq.ts");
const dir = mkdtempSync(join(tmpdir(), "cardterm-hq-bo-"));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));
const dataDir = join(dir, "ledger");
const seeded = await openDb({ dataDir });
await seedDemo(seeded);
await seeded.close();

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

async function hq(args: string[], stdin?: string): Promise<Run> {
  const child = spawn(process.execPath, ["--import", "tsx", CLI, ...args, "--data-dir", dataDir], {
    stdio: ["pipe", "pipe", "pipe"],
    env: { ...process.env, DATABASE_URL: "", CARDTERM_HQ_ACTOR: "tech-li" },
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

const json = async (args: string[], stdin?: string) => {
  const r = await hq([...args, "--json"], stdin);
  if (r.code !== 0) throw new Error(`${args.join(" ")}: ${r.stderr}`);
  return JSON.parse(r.stdout);
};

t.test("usage errors exit 2, ledger errors exit 1 with their code", async (t) => {
  const noHolder = await hq(["card", "issue", "ic:AA01", "--type", "gold"]);
  t.equal(noHolder.code, 2);
  t.match(noHolder.stderr, /card issue needs one of --name/);
  t.equal((await hq(["member", "frobnicate"])).code, 2);
  t.equal((await hq(["report", "weekly"])).code, 2);
  const float = await hq(["card", "topup", "ic:0A0B0C0D", "--amount", "1e3"]);
  t.equal(float.code, 1);
  t.match(float.stderr, /CT_AMOUNT_INVALID: --amount "1e3"/);
  const conflict = await hq(["card", "unloss", "ic:04A1B2C3"]);
  t.equal(conflict.code, 1);
  t.match(conflict.stderr, /CT_CONFLICT: cannot unloss card ic:04A1B2C3: it is active/);
});

t.test("a member's card from issue to replacement, with top-up and loss", async (t) => {
  const issued = await json(
    ["card", "issue", "ic:AA02", "--type", "silver", "--name", "钱多多", "--phone", "13511112222", "--pin-stdin"],
    "1357\n",
  );
  t.match(issued, { card: { cardId: "ic:AA02", memberId: "M100001", hasPin: true, balance: 0 } });

  const topup = await hq(["card", "topup", "ic:AA02", "--amount", "1000.00", "--txn-id", "hq-cli-1"]);
  t.equal(topup.code, 0, topup.stderr);
  t.match(topup.stdout, /hq-cli-1 {2}ic:AA02 {2}topped up: 1000\.00 \+ bonus 100\.00 and 0 points {2}balance 1100\.00/);
  const again = await hq(["card", "topup", "ic:AA02", "--amount", "1000.00", "--txn-id", "hq-cli-1"]);
  t.match(again.stdout, /already applied \(nothing moved\).* balance 1100\.00/);

  const lost = await hq(["card", "loss", "ic:AA02", "--note", "lost at the gym"]);
  t.equal(lost.code, 0, lost.stderr);
  t.match(lost.stdout, /ic:AA02 {2}钱多多 {2}silver {2}lost {2}balance 1100\.00[\s\S]*hotlist version \d+/);
  const replaced = await json(["card", "replace", "ic:AA02", "--new-card", "ic:AA03"]);
  t.match(replaced, { card: { cardId: "ic:AA03", balance: 110_000, hasPin: true }, old: { status: "replaced" } });
  t.match(await json(["card", "level", "ic:AA03", "--type", "gold"]), { card: { cardType: "gold" } });
  const sub = await json(["card", "issue", "ic:AA04", "--primary", "ic:AA03", "--daily-limit", "200"]);
  t.match(sub, { card: { accountId: "A100001", dailyLimit: 20_000 } });

  const shown = await hq(["member", "show", "M100001"]);
  t.match(shown.stdout, /M100001 +钱多多 +13511112222/);
  t.match(shown.stdout, /A100001 +1100\.00 +0 +ic:AA04 +gold +active +ic:AA03/);
  t.match((await hq(["member", "list", "--query", "钱"])).stdout, /M100001/);
  t.match(await json(["member", "update", "M100001", "--birthday", "07-07"]), { birthday: "07-07" });
  t.match(await json(["card", "show", "ic:AA02"]), { status: "replaced", replacedBy: "ic:AA03", hotlisted: true });

  const daily = await hq(["report", "daily"]);
  t.match(daily.stdout, /HQ +\(head office\) +topup +online +1 +1000\.00 +0\.00 +1000\.00 +100\.00/);
  t.match(await json(["report", "liability"]), { accounts: 6, bonusIssued: 10_000 });
  t.match((await hq(["report", "terminals"])).stdout, /^terminal +store/);
});

t.test("operators and policy from the command line", async (t) => {
  const added = await hq(
    ["operator", "add", "S1-01", "--store", "S1", "--name", "小张", "--role", "cashier", "--pin-stdin"],
    "2468\n",
  );
  t.equal(added.code, 0, added.stderr);
  t.match(added.stdout, /operator S1-01 \(cashier\) added to store S1/);
  t.equal(
    (await hq(["operator", "add", "S1-02", "--store", "S1", "--name", "x", "--role", "cashier"])).code,
    2,
    "no PIN given",
  );
  t.match((await hq(["operator", "disable", "S1-01"])).stdout, /operator S1-01 disabled/);
  t.match((await hq(["operator", "list", "--store", "S1"])).stdout, /S1-01 +S1 +小张 +cashier +no/);

  t.match((await hq(["policy", "show"])).stdout, /policy version 1\n[\s\S]*gold +金卡 +88\.00%/);
  const file = join(dir, "policy.json");
  const next = demoPolicy();
  next.version = 2;
  next.cardTypes.silver!.payRateBp = 9_000;
  writeFileSync(file, JSON.stringify(next));
  const published = await hq(["policy", "publish", file]);
  t.equal(published.code, 0, published.stderr);
  t.match(
    published.stdout,
    /policy version 2 published[\s\S]*warning: standard: a top-up of 5000\.00[\s\S]*silver +银卡 +90\.00%/,
  );
  const again = await hq(["policy", "publish", file]);
  t.equal(again.code, 1);
  t.match(again.stderr, /CT_POLICY_INVALID: policy not published:\n {2}- version 2 is not above the current version 2/);
  writeFileSync(file, "{ not json");
  t.match((await hq(["policy", "publish", file])).stderr, /CT_POLICY_INVALID: .* is not valid JSON/);

  const db = await openDb({ dataDir });
  t.teardown(() => db.close());
  const { rows } = await db.query<{ actor: string; action: string }>(
    "SELECT actor, action FROM audit_log WHERE subject IN ('S1-01', 'policy:2') ORDER BY id",
  );
  t.same(rows, [
    { actor: "tech-li", action: "operator.add" },
    { actor: "tech-li", action: "operator.disable" },
    { actor: "tech-li", action: "policy.publish" },
  ]);
});
