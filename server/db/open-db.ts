/**
 * Opens the ledger database named by the config and brings its schema up to date:
 * PostgreSQL when a URL is given, else PGlite in `dataDir`, else PGlite in memory.
 */
import type { Db } from "./db.js";
import { migrate } from "./migrations.js";
import { openPgDb } from "./pg-db.js";
import { openPgliteDb } from "./pglite-db.js";

export interface DbOptions {
  databaseUrl?: string | undefined;
  dataDir?: string | undefined;
  /** PostgreSQL connections the server may hold (default 10). */
  poolMax?: number | undefined;
}

export async function openDb(opts: DbOptions): Promise<Db> {
  const db = opts.databaseUrl
    ? await openPgDb(opts.databaseUrl, { max: opts.poolMax })
    : await openPgliteDb(opts.dataDir);
  try {
    await migrate(db);
  } catch (err) {
    await db.close();
    throw err;
  }
  return db;
}
