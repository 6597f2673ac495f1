import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import t from "tap";
import { lockDataDir } from "../../server/db/dir-lock.js";
import { toSafeInt, toSafeIntOrNull } from "../../server/db/int.js";
import { MIGRATIONS, migrate } from "../../server/db/migrations.js";
import { openDb } from "../../server/db/open-db.js";
import { hotlistDocument } from "../../server/ledger/hotlist.js";
import { getCard } from "../../server/ledger/queries.js";
import { DEMO_MEMBERS, seedDemo } from "../../server/ledger/seed-demo.js";

t.test("database integers convert exactly or not at all", async (t) => {
  t.equal(toSafeInt(42), 42);
  t.equal(toSafeInt(-7n), -7);
  t.equal(toSafeInt("10000000000"), 10_000_000_000);
  t.equal(toSafeInt("-300"), -300);
  t.equal(toSafeIntOrNull(null), null);
  t.throws(() => toSafeInt("12.50"), RangeError, "a decimal is not an integer");
  t.throws(() => toSafeInt(1.5), RangeError);
  t.throws(() => toSafeInt("9007199254740993"), RangeError, "beyond 2^53 is refused, not rounded");
  t.throws(() => toSafeInt(9007199254740993n), RangeError);
  t.throws(() => toSafeInt(undefined), RangeError);
});

t.test("an on-disk ledger is migrated once, seeded idempotently, kept across restarts and locked", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "cardterm-hq-db-"));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const dataDir = join(dir, "pg");
  const terminals = [{ id: "T001", keyHex: "ab".repeat(32) }];

  const db = await openDb({ dataDir });
  const applied = await db.query<{ id: number }>("SELECT id FROM schema_migrations ORDER BY id");
  t.same(
    applied.rows.map((r) => Number(r.id)),
    MIGRATIONS.map((m) => m.id),
  );
  await seedDemo(db, { terminals });
  await seedDemo(db, { terminals });
  const counts = await db.query<{ n: number }>("SELECT count(*)::int AS n FROM cards");
  t.equal(counts.rows[0]?.n, DEMO_MEMBERS.length, "seeding twice adds nothing");
  t.match(await hotlistDocument(db), { version: 1, cards: ["ic:0BADCAFE"] });
  await db.query("UPDATE accounts SET balance = balance - 1 WHERE id = 'A0001'");

  await t.rejects(openDb({ dataDir }), { code: "CT_STORE_WRITE_FAILED", message: /in use by process/ });
  await db.close();
  await db.close();

  const reopened = await openDb({ dataDir });
  t.teardown(() => reopened.close());
  t.same(await migrate(reopened), [], "nothing left to migrate");
  t.match(await getCard(reopened, "ic:04A1B2C3"), { balance: 99_999, memberName: "张伟" });
  const extra = [...MIGRATIONS, { id: 99, name: "extra", statements: ["CREATE TABLE extra (i int)"] }];
  t.same(await migrate(reopened, extra), [99], "only the new migration runs");
});

t.test("a lock left by a dead process is taken over", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "cardterm-hq-lock-"));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const dead = spawnSync(process.execPath, ["-e", ""]).pid;
  writeFileSync(join(dir, "cardterm-hq.lock"), String(dead));
  const release = lockDataDir(dir);
  t.throws(() => lockDataDir(dir), { code: "CT_STORE_WRITE_FAILED" }, "held by this process now");
  release();
  lockDataDir(dir)();
});
