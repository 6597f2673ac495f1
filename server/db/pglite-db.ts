/**
 * The embedded database: PostgreSQL in-process (WASM). Runs with fsync off, so it survives a
 * process crash but not a power cut (docs/architecture.md#what-the-parts-underneath-do) —
 * production ledgers run on PostgreSQL through pg-db.ts. `dataDir` undefined = in memory
 * (tests).
 *
 * Memory (bench/README.md, "Footprint"; bench/footprint.ts): PGlite starts PostgreSQL with its
 * stock shared_buffers of 128 MB, all of it inside the WASM heap, and the buffer pool fills as
 * pages are read: a demo ledger of a few MB grew the process by ~150 MB of cached pages it
 * reads once. 16 MB holds the demo's and the tests' whole ledger (every page read again is a
 * copy from the in-process file system, not a disk read), and takes the demo from ~390 to ~260
 * MB. (initdb on a new directory leaves ~400 MB more reachable from the instance that ran it: a
 * long-running process creates its ledger, closes it and opens it again —
 * demo/run-demo.ts.) A production ledger runs on PostgreSQL, tuned there.
 */
import type { PGlite } from "@electric-sql/pglite";
import type { Db, Queryable, QueryResult } from "./db.js";
import { lockDataDir } from "./dir-lock.js";

const SETTINGS = { postgresqlconf: "shared_buffers = 16MB\n" };

export async function openPgliteDb(dataDir?: string): Promise<Db> {
  const { PGlite: Engine } = await import("@electric-sql/pglite");
  const unlock = dataDir === undefined ? () => {} : lockDataDir(dataDir);
  let pg: PGlite;
  try {
    pg = dataDir === undefined ? await Engine.create(SETTINGS) : await Engine.create(dataDir, SETTINGS);
  } catch (err) {
    unlock();
    throw err;
  }
  let closing: Promise<void> | undefined;
  return {
    kind: "pglite",
    query: async <T>(sql: string, params?: unknown[]) => (await pg.query<T>(sql, params)) as QueryResult<T>,
    transaction: <R>(fn: (tx: Queryable) => Promise<R>) =>
      pg.transaction((tx) =>
        fn({ query: async <T>(sql: string, params?: unknown[]) => (await tx.query<T>(sql, params)) as QueryResult<T> }),
      ),
    close: () => {
      closing ??= pg.close().finally(unlock);
      return closing;
    },
  };
}
