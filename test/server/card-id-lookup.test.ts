/**
 * `cardterm-hq card show 04AABBCC` without `ic:` (it said "not in the
 * ledger"): a bare number is looked up under each card technology; one match is that
 * card, none says the expected form, two ask for the full id. The lookup on PGlite (or
 * CARDTERM_TEST_DATABASE_URL), then the command itself as a technician runs it.
 */
import { spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import t from "tap";
import { resolveCardId } from "../../server/backoffice/card-id-lookup.js";
import { issueCard } from "../../server/backoffice/card-issue.js";
import { openDb } from "../../server/db/open-db.js";
import { seedDemo } from "../../server/ledger/seed-demo.js";
import { ALICE, resetBackoffice } from "./backoffice-fixture.js";
import { openTestDb } from "./ledger-fixture.js";

t.test("a bare number: one match is the card, none or two say what to write", async (t) => {
  const db = await openTestDb();
  t.teardown(() => db.close());
  await resetBackoffice(db);
  t.equal(await resolveCardId(db, "ic:04A1B2C3"), "ic:04A1B2C3", "a full id is taken as it is");
  t.equal(await resolveCardId(db, "04A1B2C3"), "ic:04A1B2C3");
  t.equal(await resolveCardId(db, "04a1b2c3"), "ic:04A1B2C3", "an IC uid in lower case too");
  t.equal(await resolveCardId(db, "0012345678"), "id:0012345678");
  await t.rejects(resolveCardId(db, "04AABBCC"), {
    code: "CT_NOT_FOUND",
    message: /no card 04AABBCC .*ic:04AABBCC.*write the card id as <technology>:<number>, e\.g\. ic:04A1B2C3/,
  });
  await issueCard(db, { cardId: "ic:0012345678", cardType: "standard", member: { name: "同号" } }, ALICE);
  await t.rejects(resolveCardId(db, "0012345678"), {
    code: "CT_BAD_REQUEST",
    message: /0012345678 is more than one card: id:0012345678, ic:0012345678.*give the full id/,
  });
});

t.test("cardterm-hq card show with a bare uid", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "cardterm-hq-cardid-"));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const dataDir = join(dir, "ledger");
  const seeded = await openDb({ dataDir });
  await seedDemo(seeded);
  await seeded.close();
  const cli = join(import.meta.dirname, "../../server/cli/cardterm-hq.ts");
  const run = async (args: string[]) => {
    const child = spawn(process.execPath, ["--import", "tsx", cli, ...args, "--data-dir", dataDir], {
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, DATABASE_URL: "" },
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    const [code] = await once(child, "close");
    return { code, stdout, stderr };
  };
  const found = await run(["card", "show", "04A1B2C3"]);
  t.equal(found.code, 0, found.stderr);
  t.match(found.stdout, /^ic:04A1B2C3 {2}张伟/);
  const missing = await run(["card", "show", "04AABBCC"]);
  t.equal(missing.code, 1);
  t.match(missing.stderr, /CT_NOT_FOUND: no card 04AABBCC .*e\.g\. ic:04A1B2C3/);
  const loss = await run(["card", "loss", "0A0B0C0D", "--json"]);
  t.equal(loss.code, 0, loss.stderr);
  t.match(JSON.parse(loss.stdout), { card: { cardId: "ic:0A0B0C0D", status: "lost" } });
});
