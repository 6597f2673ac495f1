/**
 * The policy document for a fresh head office: publishing lists every
 * problem at once, each at its JSON path (it said only the first); the annotated example
 * shipped in config/examples/head-office/ publishes as it is, through the command a
 * technician runs; docs/policy.md documents every field the schema has.
 */
import { spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import t from "tap";
import { messageSchema } from "../../protocol/messages.js";
import { publishPolicy } from "../../server/backoffice/policy.js";
import { ALICE, resetBackoffice } from "./backoffice-fixture.js";
import { openTestDb } from "./ledger-fixture.js";

const REPO = join(import.meta.dirname, "../..");
const EXAMPLE = join(REPO, "config/examples/head-office/policy.yaml");

function badPolicy(): unknown {
  return {
    currency: "RMB",
    cardTypes: {
      standard: {
        id: "standard",
        name: "普卡",
        payRateBp: 12_000,
        points: { perMinor: 0, points: 1, birthdayMultiplier: 1 },
        topUpBonus: [],
        offlineAllowed: "yes",
        pinAboveMinor: null,
        pointRedemption: { minorPerPoint: 1, maxShareBp: 5000 },
      },
      silver: {
        id: "silber",
        payRateBp: 9_500,
        points: { perMinor: 2000, points: 1, birthdayMultiplier: 1 },
        topUpBonus: [{ minMinor: 100_000, bonusMinor: -1, bonusPoints: 0 }],
        offlineAllowed: true,
        pinAboveMinor: "1000.00",
      },
    },
    roles: { cashier: ["sale", "refnd"] },
  };
}

t.test("every problem of a policy is listed at once, each at its JSON path", async (t) => {
  const db = await openTestDb();
  t.teardown(() => db.close());
  await resetBackoffice(db);
  const err = await publishPolicy(db, badPolicy(), ALICE).then(
    () => undefined,
    (e: unknown) => e as Error & { code: string; details: { problems: string[] } },
  );
  t.equal(err?.code, "CT_POLICY_INVALID");
  const problems = err?.details.problems ?? [];
  t.comment(problems.join("\n"));
  const expect = [
    /^currency: must be "CNY"/,
    /^cardTypes\.standard\.payRateBp: must be at most 10000/,
    /^cardTypes\.standard\.points\.perMinor: must be at least 1/,
    /^cardTypes\.standard\.offlineAllowed: must be true or false/,
    /^cardTypes\.standard\.pointRedemption: unknown field; did you mean pointsRedemption\?/,
    /^cardTypes\.silver: missing field name/,
    /^cardTypes\.silver\.topUpBonus\[0\]\.bonusMinor: must be at least 0/,
    /^cardTypes\.silver\.pinAboveMinor: must be an amount in fen \(an integer\) or null/,
    /^cardTypes\.silver\.id is "silber"; it must equal its key/,
    /^roles\.cashier: unknown permission "refnd"/,
    /^card type gold is left out but \d+ card\(s\) hold it/,
  ];
  for (const e of expect)
    t.ok(
      problems.some((p) => e.test(p)),
      `listed: ${e}`,
    );
  t.equal(problems.length, expect.length, "each once, nothing else");
  t.match(err?.message, /policy not published:\n {2}- /);
});

async function hq(args: string[]) {
  const cli = join(REPO, "server/cli/cardterm-hq.ts");
  const child = spawn(process.execPath, ["--import", "tsx", cli, ...args], {
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, DATABASE_URL: "" },
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d) => (stdout += d));
  child.stderr.on("data", (d) => (stderr += d));
  const [code] = await once(child, "close");
  return { code, stdout, stderr };
}

t.test("a fresh head office publishes the shipped example, and is told every problem of a bad one", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "cardterm-hq-policy-"));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const dataDir = join(dir, "ledger");
  const bad = join(dir, "bad.json");
  writeFileSync(bad, JSON.stringify(badPolicy()));
  const refused = await hq(["policy", "publish", bad, "--data-dir", dataDir]);
  t.equal(refused.code, 1);
  t.match(refused.stderr, /CT_POLICY_INVALID/);
  t.match(refused.stderr, /currency: must be "CNY"/);
  t.match(refused.stderr, /roles\.cashier: unknown permission "refnd"/, "the last problem as well as the first");
  const published = await hq(["policy", "publish", EXAMPLE, "--data-dir", dataDir, "--json"]);
  t.equal(published.code, 0, published.stderr);
  t.match(JSON.parse(published.stdout), {
    policy: { version: 1, currency: "CNY", cardTypes: { standard: { name: "普卡" }, gold: { payRateBp: 8800 } } },
    warnings: [],
  });
});

/** Every field path of a JSON Schema: cardTypes.*.points.perMinor, cardTypes.*.topUpBonus[].minMinor, … */
function fieldPaths(schema: Record<string, unknown>, at = ""): string[] {
  const out: string[] = [];
  const props = schema.properties as Record<string, Record<string, unknown>> | undefined;
  for (const [name, sub] of Object.entries(props ?? {})) {
    const path = at === "" ? name : `${at}.${name}`;
    out.push(path, ...fieldPaths(sub, path));
    const items = sub.items as Record<string, unknown> | undefined;
    if (items?.properties) out.push(...fieldPaths(items, `${path}[]`));
  }
  const each = schema.additionalProperties;
  if (each && typeof each === "object") out.push(...fieldPaths(each as Record<string, unknown>, `${at}.*`));
  return out;
}

t.test("docs/policy.md documents every field of the policy document", async (t) => {
  const doc = readFileSync(join(REPO, "docs/policy.md"), "utf8");
  const paths = fieldPaths(messageSchema("policy") as Record<string, unknown>).filter((p) => !p.startsWith("roles."));
  t.ok(paths.length > 15, `${paths.length} fields`);
  for (const p of paths) t.ok(doc.includes(`\`${p}\``), `docs/policy.md names \`${p}\``);
  t.match(doc, /config\/examples\/head-office\/policy\.yaml/, "and points at the example");
});
