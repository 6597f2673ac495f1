/**
 * The back office's key flows on a real PostgreSQL 15 (same cases as on PGlite), plus
 * what only real concurrency shows: head-office top-ups racing terminal sales and a
 * loss on one account, settling exactly.
 */
import t from "tap";
import * as bo from "../../server/backoffice/index.js";
import type { Db } from "../../server/db/db.js";
import { openDb } from "../../server/db/open-db.js";
import { authorise } from "../../server/ledger/authorise.js";
import { ledgerQueries } from "../../server/ledger/queries.js";
import { postgresUnavailable, startPostgres } from "../helpers/postgres.js";
import { cardCases } from "./backoffice-card-cases.js";
import { ALICE, resetBackoffice, ZHANG } from "./backoffice-fixture.js";
import { officeCases } from "./backoffice-office-cases.js";
import { T1 } from "./ledger-fixture.js";
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
  t.test("card operations on PostgreSQL 15", async (t) => cardCases(t, db));
  t.test("members, policy, operators, reports on PostgreSQL 15", async (t) => officeCases(t, db));
  t.test("top-ups at head office race online sales on one account and settle exactly", async (t) => {
    await resetBackoffice(db);
    const q = ledgerQueries(db);
    const topups = Array.from({ length: 20 }, (_, i) =>
      bo.topUpAtHq(db, { cardId: ZHANG, amount: 500, txnId: `hq-r${i % 10}` }, ALICE),
    );
    const sales = Array.from({ length: 20 }, () => authorise(db, T1.authRequest(ZHANG, 1_000)));
    const results = await Promise.all([...topups, ...sales]);
    t.equal(results.slice(0, 20).filter((r) => "applied" in r && r.applied).length, 10, "each txnId credited once");
    t.match(await q.getCard(ZHANG), { balance: demoBalance(ZHANG) + 10 * 500 - 20 * 880 });
    t.same(await q.reconcile(), []);
  });
  t.test("two publishers of the next policy version: one wins, the other is told", async (t) => {
    await resetBackoffice(db);
    const { demoPolicy } = await import("../../rules/policy.js");
    const doc = () => {
      const p = demoPolicy() as Partial<ReturnType<typeof demoPolicy>>;
      delete p.version;
      return p;
    };
    const out = await Promise.allSettled([bo.publishPolicy(db, doc(), ALICE), bo.publishPolicy(db, doc(), ALICE)]);
    const versions = out.flatMap((o) => (o.status === "fulfilled" ? [o.value.policy.version] : []));
    t.same(versions.sort(), [2, 3], "serialised: each got its own next version");
  });
}
