/**
 * Points redemption, count uses, sub-card limits and the PIN on a real PostgreSQL 15
 * (started here), where concurrent authorisations really race: the same cases as on
 * PGlite, and two tills online at once can never both take the last use of a package,
 * nor both redeem the last points (the account row is locked before the card is read).
 */
import t from "tap";
import { grantPackage } from "../../server/backoffice/count-packages.js";
import type { Db } from "../../server/db/db.js";
import { openDb } from "../../server/db/open-db.js";
import { authorise } from "../../server/ledger/authorise.js";
import { ledgerQueries } from "../../server/ledger/queries.js";
import { postgresUnavailable, startPostgres } from "../helpers/postgres.js";
import { ALICE, resetBackoffice, ZHANG } from "./backoffice-fixture.js";
import { T1, T2 } from "./ledger-fixture.js";
import { redeemCountCases } from "./redeem-count-cases.js";

const why = postgresUnavailable();
if (why) {
  t.pass(`PostgreSQL suites skipped: ${why}`, { skip: why });
} else {
  const pg = await startPostgres({ durable: false });
  t.teardown(() => pg.close());
  const db: Db = await openDb({ databaseUrl: pg.url, poolMax: 8 });
  t.teardown(() => db.close());
  t.test("redemption, count uses, sub-card limits and PIN on PostgreSQL 15", async (t) => redeemCountCases(t, db));
  t.test("concurrent tills can never both take the last use or the last points", async (t) => {
    await resetBackoffice(db);
    const q = ledgerQueries(db);
    const pkg = await grantPackage(db, { cardId: ZHANG, service: "洗车", uses: 3 }, ALICE);
    const uses = Array.from({ length: 8 }, (_, i) => ({
      ...(i % 2 ? T1 : T2).authRequest(ZHANG, 0),
      countUse: { packageId: pkg.packageId, uses: 1 },
    }));
    const points = Array.from({ length: 8 }, (_, i) => ({
      ...(i % 2 ? T2 : T1).authRequest(ZHANG, 10_000),
      redeemPoints: 100,
    }));
    const replies = await Promise.all([...uses, ...points].map((r) => authorise(db, r)));
    const approved = replies.map((r) => r.ok && r.reply.approved);
    t.equal(approved.slice(0, 8).filter(Boolean).length, 3, "three uses for three left");
    t.equal(approved.slice(8).filter(Boolean).length, 5, "500 points pay five times 100");
    t.match(await q.getCard(ZHANG), { points: 500 - 500 + 5 * 4, packages: [{ remainingUses: 0 }] });
    t.same(await q.reconcile(), []);
  });
}
