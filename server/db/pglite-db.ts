/**
 * The embedded database: PostgreSQL in-process (WASM). Runs with fsync off, so it
 * survives a process crash but not a power cut (TESTBED) — production ledgers run on
 * PostgreSQL through pg-db.ts. `dataDir` undefined = in memory (tests).
 */
import type { PGlite } from "@electric-sql/pglite";
import type { Db, Queryable, QueryResult } from "./db.js";
import { lockDataDir } from "./dir-lock.js";

export async function openPgliteDb(dataDir?: string): Promise<Db> {
  const { PGlite: Engine } = await import("@electric-sql/pglite");
  const unlock = dataDir === undefined ? () => {} : lockDataDir(dataDir);
  let pg: PGlite;
  try {
    pg = dataDir === undefined ? await Engine.create() : await Engine.create(dataDir);
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
