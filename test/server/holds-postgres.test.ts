/**
 * Holds on a real PostgreSQL 15 (started here): the same cases as on PGlite, and the race
 * that matters — a till's release (or the expiry job) arriving while the sale's journal
 * entry is being ingested. Exactly one wins, whichever it is, and the account ends right
 * either way: confirmed and debited once, or released and then applied once as late money.
 */
import { pino } from "pino";
import t from "tap";
import type { HoldDoneReply } from "../../protocol/till-ops.js";
import type { Db } from "../../server/db/db.js";
import { openDb } from "../../server/db/open-db.js";
import { authorise } from "../../server/ledger/authorise.js";
import { HoldExpiry } from "../../server/ledger/hold-expiry.js";
import { ingestBatch } from "../../server/ledger/ingest.js";
import { ledgerQueries } from "../../server/ledger/queries.js";
import { handleTillOp } from "../../server/till/till-ops.js";
import { postgresUnavailable, startPostgres } from "../helpers/postgres.js";
import { resetBackoffice, ZHANG } from "./backoffice-fixture.js";
import { holdOp, holdsCases, onlineLine } from "./holds-cases.js";
import { T1 } from "./ledger-fixture.js";

const why = postgresUnavailable();
if (why) {
  t.pass(`PostgreSQL suites skipped: ${why}`, { skip: why });
} else {
  const pg = await startPostgres({ durable: false });
  t.teardown(() => pg.close());
  const db: Db = await openDb({ databaseUrl: pg.url, poolMax: 8 });
  t.teardown(() => db.close());
  t.test("holds on PostgreSQL 15", async (t) => holdsCases(t, db));

  t.test("a release racing the sale's journal entry: one wins, the money is right either way", async (t) => {
    await resetBackoffice(db);
    const q = ledgerQueries(db);
    const outcomes = { confirmed: 0, releasedThenApplied: 0 };
    for (let i = 0; i < 20; i++) {
      const req = T1.authRequest(ZHANG, 1_000);
      const out = await authorise(db, req);
      if (!out.ok || !out.reply.approved) throw new Error("not approved");
      const line = onlineLine(T1, req, out.reply);
      const expiry = new HoldExpiry(db, pino({ level: "silent" }), {
        everyMs: 3_600_000,
        now: () => Date.now() + 3_600_000,
      });
      const release = () =>
        i % 2 === 0
          ? handleTillOp(db, holdOp(T1, "release", req.txnId)).then((r) => (r as HoldDoneReply).hold.changed)
          : expiry.sweep().then((n) => n > 0);
      const ingest = () => ingestBatch(db, T1.id, T1.batch([line]));
      // Who starts first alternates, and now and then one waits a moment, so both orders happen.
      const later = <T>(f: () => Promise<T>) => new Promise((r) => setTimeout(r, i % 3)).then(f);
      const [ingested, released] = await Promise.all(
        i % 4 < 2 ? [ingest(), later(release)] : [later(ingest), release()],
      );
      expiry.stop();
      t.match(ingested, { ok: true, ack: { rejected: [] } });
      if (released) outcomes.releasedThenApplied++;
      else outcomes.confirmed++;
    }
    // 20 sales of 10.00 less 12% each: whichever won, each is debited exactly once.
    t.match(await q.getCard(ZHANG), { balance: 100_000 - 20 * 880 });
    t.same(await q.reconcile(), [], "balance, points and uses equal the transactions");
    t.equal((await q.ledgerTotals()).count, 20, "one transaction per sale");
    const late = (await q.listAlerts()).filter((a) => a.kind === "hold-applied-after-release").length;
    t.equal(late, outcomes.releasedThenApplied, "every sale applied after its release is alerted");
    t.comment(`confirmed first: ${outcomes.confirmed}, released first then applied: ${outcomes.releasedThenApplied}`);
    t.ok(outcomes.releasedThenApplied > 0 && outcomes.confirmed > 0, "both orders were raced");
  });
}
