/**
 * PostgreSQL through a node-postgres pool, chosen when DATABASE_URL is set. BIGINT comes
 * back as text here; the ledger converts it with toSafeInt (int.ts), never parseFloat.
 */
import type { Db, Queryable, QueryResult } from "./db.js";

export async function openPgDb(connectionString: string, opts: { max?: number | undefined } = {}): Promise<Db> {
  const { default: pg } = await import("pg");
  const pool = new pg.Pool({ connectionString, max: opts.max ?? 10 });
  // An idle client's error (server restart) must not crash the process; the next query reconnects.
  pool.on("error", () => {});
  await pool.query("SELECT 1");
  let closing: Promise<void> | undefined;
  return {
    kind: "postgres",
    query: async <T>(sql: string, params?: unknown[]) => (await pool.query(sql, params)) as unknown as QueryResult<T>,
    transaction: async <R>(fn: (tx: Queryable) => Promise<R>) => {
      const client = await pool.connect();
      // A checked-out client has no pool listener: without ours, a connection lost
      // mid-transaction (PostgreSQL restarted) would be an uncaught 'error' and end the
      // process. The query in flight fails with it, the batch is not acked, and resent.
      let lost: Error | undefined;
      const onLost = (err: Error) => {
        lost = err;
      };
      client.on("error", onLost);
      const tx: Queryable = {
        query: async <T>(sql: string, params?: unknown[]) =>
          (await client.query(sql, params)) as unknown as QueryResult<T>,
      };
      let broken: Error | undefined;
      try {
        await client.query("BEGIN");
        const result = await fn(tx);
        await client.query("COMMIT");
        return result;
      } catch (err) {
        // A connection that cannot even roll back is discarded, not returned to the pool.
        await client.query("ROLLBACK").catch((e: Error) => {
          broken = e;
        });
        throw err;
      } finally {
        client.off("error", onLost);
        client.release(broken ?? lost);
      }
    },
    close: () => {
      closing ??= pool.end();
      return closing;
    },
  };
}
