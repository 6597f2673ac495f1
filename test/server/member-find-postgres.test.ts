/**
 * The member-lookup limit and the exact phone query on a real PostgreSQL 15 (started here):
 * the same cases as on PGlite, and EXPLAIN on a large table shows both queries a lookup
 * makes — members by phone, this till's recent lookups — go by their indexes, not a scan.
 */
import t from "tap";
import type { Db } from "../../server/db/db.js";
import { openDb } from "../../server/db/open-db.js";
import { postgresUnavailable, startPostgres } from "../helpers/postgres.js";
import { memberFindLimitCases } from "./member-find-limit-cases.js";

/** The plan of a query as text, one node per line. */
async function plan(db: Db, sql: string, params: unknown[]): Promise<string> {
  const { rows } = await db.query<{ "QUERY PLAN": string }>(`EXPLAIN ${sql}`, params);
  return rows.map((r) => r["QUERY PLAN"]).join("\n");
}

const why = postgresUnavailable();
if (why) {
  t.pass(`PostgreSQL suites skipped: ${why}`, { skip: why });
} else {
  const pg = await startPostgres({ durable: false });
  t.teardown(() => pg.close());
  const db: Db = await openDb({ databaseUrl: pg.url, poolMax: 4 });
  t.teardown(() => db.close());
  await memberFindLimitCases(t, db);

  t.test("a lookup reads members and the audit log by index on large tables", async (t) => {
    await db.query(
      `INSERT INTO members (id, name, phone)
       SELECT 'X' || g, '会员' || g, (13000000000 + g)::text FROM generate_series(1, 50000) g`,
    );
    await db.query(
      `INSERT INTO audit_log (actor, via, action, subject)
       SELECT 'op', 'till:T' || (g % 200), CASE WHEN g % 3 = 0 THEN 'member.find' ELSE 'card.loss' END, 's' || g
       FROM generate_series(1, 50000) g`,
    );
    await db.query("ANALYZE members");
    await db.query("ANALYZE audit_log");
    const byPhone = await plan(
      db,
      "SELECT id, name, phone, birthday, created_at FROM members WHERE phone = $1 ORDER BY id LIMIT $2",
      ["13000012345", 6],
    );
    t.notMatch(byPhone, /Seq Scan on members/, byPhone);
    t.match(byPhone, /members_phone/, "by the phone index");
    const recent = await plan(
      db,
      `SELECT count(*) AS n FROM audit_log
       WHERE via = $1 AND action = $2 AND at > now() - $3::bigint * interval '1 millisecond'`,
      ["till:T7", "member.find", 600_000],
    );
    t.notMatch(recent, /Seq Scan on audit_log/, recent);
    t.match(recent, /audit_log_via_action_at/, "by the (via, action, at) index");
  });
}
