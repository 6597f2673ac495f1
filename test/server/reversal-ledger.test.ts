/**
 * Refunds and voids that give back redeemed points and count uses (reversal-ledger-cases.ts),
 * on PGlite and — where it can run — on a real PostgreSQL 15, where copies of one refund
 * and racing refunds of one sale truly run at once on separate connections.
 */
import t from "tap";
import { openDb } from "../../server/db/open-db.js";
import { postgresUnavailable, startPostgres } from "../helpers/postgres.js";
import { openTestDb } from "./ledger-fixture.js";
import { reversalLedgerCases } from "./reversal-ledger-cases.js";

t.test("on PGlite", async (t) => {
  const db = await openTestDb();
  t.teardown(() => db.close());
  reversalLedgerCases(t, db);
});

const why = postgresUnavailable();
t.test("on PostgreSQL 15", { skip: why ?? false }, async (t) => {
  const pg = await startPostgres({ durable: false });
  t.teardown(() => pg.close());
  const db = await openDb({ databaseUrl: pg.url, poolMax: 8 });
  t.teardown(() => db.close());
  t.equal(db.kind, "postgres");
  reversalLedgerCases(t, db);
});
