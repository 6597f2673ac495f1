import t from "tap";
import type { Db } from "../../server/db/db.js";
import { MIGRATIONS, migrate } from "../../server/db/migrations.js";
import { openPgliteDb } from "../../server/db/pglite-db.js";
import { holdsCases } from "./holds-cases.js";
import { openTestDb } from "./ledger-fixture.js";

// PGlite in memory (or CARDTERM_TEST_DATABASE_URL); holds-postgres.test.ts runs the same cases on PostgreSQL 15.
const db = await openTestDb();
t.teardown(() => db.close());
holdsCases(t, db);

t.test("migration 11 on a ledger with transactions: every existing row is confirmed, none held", async (t) => {
  const old: Db = await openPgliteDb();
  t.teardown(() => old.close());
  await migrate(
    old,
    MIGRATIONS.filter((m) => m.id <= 10),
  );
  await old.query("INSERT INTO terminals (id, key_hex) VALUES ('T001', 'aa')");
  await old.query("INSERT INTO members (id, name) VALUES ('M1', 'x')");
  await old.query("INSERT INTO accounts (id, member_id, balance, opening_balance) VALUES ('A1', 'M1', 900, 1000)");
  await old.query(
    `INSERT INTO transactions (txn_id, terminal_id, kind, mode, source, card_id, account_id, operator_id, gross,
       discount, net, points, at, business_day)
     VALUES ('old-online', 'T001', 'sale', 'online', 'online-auth', 'ic:1', 'A1', 'op', 100, 0, 100, 0, 'x', '2025-05-20')`,
  );
  t.same(
    await migrate(
      old,
      MIGRATIONS.filter((m) => m.id <= 11),
    ),
    [11],
  );
  const { rows } = await old.query<{ hold_state: string; hold_until: unknown }>(
    "SELECT hold_state, hold_until FROM transactions WHERE txn_id = 'old-online'",
  );
  t.same(rows, [{ hold_state: "confirmed", hold_until: null }]);
});
