/**
 * The ledger suites on a real PostgreSQL 15, started here (initdb into a temp dir, a free
 * loopback port, a non-root user): the same ingest and authorisation cases as on PGlite,
 * plus what only a server with real concurrency shows — many terminals' batches and
 * online authorisations at once, on a connection pool, without a lost update or deadlock.
 */
import t from "tap";
import type { Db } from "../../server/db/db.js";
import { openDb } from "../../server/db/open-db.js";
import { authorise } from "../../server/ledger/authorise.js";
import { ingestBatch } from "../../server/ledger/ingest.js";
import { ledgerQueries } from "../../server/ledger/queries.js";
import { postgresUnavailable, startPostgres } from "../helpers/postgres.js";
import { authoriseCases } from "./authorise-cases.js";
import { ingestCases } from "./ingest-cases.js";
import { ingestGapCases } from "./ingest-gaps-cases.js";
import { resetLedger, T1, T2 } from "./ledger-fixture.js";
import { demoBalance } from "./test-terminal.js";

const why = postgresUnavailable();
if (why) {
  t.pass(`PostgreSQL suites skipped: ${why}`, { skip: why });
} else {
  const pg = await startPostgres({ durable: false });
  t.teardown(() => pg.close());
  const db: Db = await openDb({ databaseUrl: pg.url, poolMax: 8 });
  t.teardown(() => db.close());
  t.equal(db.kind, "postgres");
  t.test("ingest on PostgreSQL 15", async (t) => ingestCases(t, db));
  t.test("online authorisation on PostgreSQL 15", async (t) => authoriseCases(t, db));
  t.test("journal gaps on PostgreSQL 15", async (t) => ingestGapCases(t, db));
  t.test("concurrent ingests and authorisations on one account settle exactly", async (t) => {
    await resetLedger(db);
    const q = ledgerQueries(db);
    const ZHANG = "ic:04A1B2C3";
    const b1 = Array.from({ length: 40 }, () => T1.sale(ZHANG, 100));
    const b2 = Array.from({ length: 40 }, () => T2.topup(ZHANG, 50));
    const auths = Array.from({ length: 20 }, () => T1.authRequest(ZHANG, 1_000));
    const work = [
      ...[0, 10, 20, 30].map((i) => ingestBatch(db, T1.id, T1.batch(b1.slice(0, i + 10)))),
      ...[0, 10, 20, 30].map((i) => ingestBatch(db, T2.id, T2.batch(b2.slice(0, i + 10)))),
      ...auths.map((a) => authorise(db, a)),
    ];
    await Promise.all(work);
    // Batches of one terminal may have raced past each other: send the rest once more.
    await ingestBatch(db, T1.id, T1.batch(b1));
    await ingestBatch(db, T2.id, T2.batch(b2));
    t.match(await q.terminalState(T1.id), { ackedSeq: 40 });
    t.match(await q.terminalState(T2.id), { ackedSeq: 40 });
    const expected = demoBalance(ZHANG) - 40 * 88 + 40 * 50 - 20 * 880;
    t.match(await q.getCard(ZHANG), { balance: expected });
    t.equal((await q.ledgerTotals()).count, 100);
    t.same(await q.reconcile(), []);
  });
}
