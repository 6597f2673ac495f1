/**
 * Count packages (次卡) at head office: granted or sold through the HTTP API and the
 * `cardterm-hq card package` commands, listed, audited, refused when wrong — and seen by
 * a till in the card's snapshot.
 */
import { spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import t from "tap";
import { openDb } from "../../server/db/open-db.js";
import { loadCard } from "../../server/ledger/rows.js";
import { seedDemo } from "../../server/ledger/seed-demo.js";
import { auditActions, LI, ZHANG } from "./backoffice-fixture.js";
import { httpRig } from "./hq-http-rig.js";
import { openTestDb } from "./ledger-fixture.js";

const db = await openTestDb();
t.teardown(() => db.close());

t.test("the HTTP API grants, sells and lists an account's count packages", async (t) => {
  const { call } = await httpRig(t, db);
  const path = `/api/v1/cards/${ZHANG}/packages`;
  const sold = await call(
    "POST",
    path,
    { service: "洗车", uses: 10, expiresOn: "2026-12-31", price: 20_000 },
    { actor: "hq-bob" },
  );
  t.equal(sold.status, 201);
  t.match(sold.body, {
    packageId: /^P\d+$/,
    accountId: "A0001",
    service: "洗车",
    totalUses: 10,
    remainingUses: 10,
    price: 20_000,
  });
  const given = await call("POST", path, { service: "spa 60 min", uses: 2, packageId: "GIFT-1" });
  t.match(given, { status: 201, body: { packageId: "GIFT-1", price: null, expiresOn: null } });
  const list = await call("GET", path);
  t.same(
    (list.body.packages as { packageId: string }[]).map((p) => p.packageId).sort(),
    [sold.body.packageId, "GIFT-1"].sort(),
  );
  t.same((await call("GET", `/api/v1/cards/${LI}/packages`)).body, { packages: [] }, "another account has none");
  t.match(await call("POST", path, { service: "洗车", uses: 0 }), { status: 400, body: { code: "CT_BAD_REQUEST" } });
  t.match(await call("POST", path, { service: "洗车", uses: 1, extra: true }), { status: 400 });
  t.match(await call("POST", "/api/v1/cards/ic:99999999/packages", { service: "洗车", uses: 1 }), {
    status: 404,
    body: { code: "CT_NOT_FOUND" },
  });
  t.match(await call("POST", path, { service: "洗车", uses: 1, packageId: "GIFT-1" }), {
    status: 409,
    body: { code: "CT_CONFLICT" },
  });
  t.same(await auditActions(db, ZHANG), ["package.grant", "package.grant"], "each grant audited, refusals not");
  const snapshot = await loadCard(db, ZHANG);
  t.match(snapshot?.packages, [
    { service: "spa 60 min", remainingUses: 2 },
    { service: "洗车", remainingUses: 10 },
  ]);
  const doc = await call("GET", "/api/v1/openapi.json", undefined, { token: null });
  t.ok((doc.body.paths as Record<string, unknown>)["/api/v1/cards/{cardId}/packages"], "in the OpenAPI document");
});

t.test("cardterm-hq card package grant|list", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "cardterm-hq-pkg-"));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const dataDir = join(dir, "ledger");
  const seeded = await openDb({ dataDir });
  await seedDemo(seeded);
  await seeded.close();
  const hq = async (args: string[]) => {
    const cli = join(import.meta.dirname, "../../server/cli/cardterm-hq.ts");
    const child = spawn(process.execPath, ["--import", "tsx", cli, ...args, "--data-dir", dataDir], {
      env: { ...process.env, DATABASE_URL: "", CARDTERM_HQ_ACTOR: "tech-li" },
    });
    let out = "";
    let err = "";
    child.stdout.on("data", (d) => {
      out += d;
    });
    child.stderr.on("data", (d) => {
      err += d;
    });
    const [code] = await once(child, "close");
    return { code: code as number, out, err };
  };
  const grant = await hq([
    "card",
    "package",
    "grant",
    ZHANG,
    "--service",
    "洗车",
    "--uses",
    "5",
    "--price",
    "100.00",
    "--expires",
    "2026-12-31",
  ]);
  t.equal(grant.code, 0, grant.err);
  t.match(grant.out, /^granted P\d+ {2}洗车 {2}5\/5 uses left {2}valid to 2026-12-31 {2}paid 100\.00 {2}account A0001/);
  const list = await hq(["card", "package", "list", ZHANG, "--json"]);
  t.match(JSON.parse(list.out), [{ service: "洗车", remainingUses: 5, price: 10_000 }]);
  const bad = await hq(["card", "package", "grant", ZHANG, "--service", "洗车", "--uses", "ten"]);
  t.equal(bad.code, 2, "a usage error exits 2");
  t.match(bad.err, /--uses must be a whole number/);
});
