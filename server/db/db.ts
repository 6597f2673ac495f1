/**
 * The one database seam of the central server: the ledger code talks to this interface
 * only, so PGlite (embedded, the demo and tests) and PostgreSQL (production) are a
 * config switch (docs/architecture.md#the-servers-ingest). Statements are plain
 * PostgreSQL with `$n` parameters, one statement per call.
 */

export interface QueryResult<T> {
  rows: T[];
}

/** Anything that runs a statement: the database itself or an open transaction. */
export interface Queryable {
  query<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<QueryResult<T>>;
}

export interface Db extends Queryable {
  readonly kind: "pglite" | "postgres";
  /** Runs `fn` in one transaction: committed when it resolves, rolled back when it throws. */
  transaction<R>(fn: (tx: Queryable) => Promise<R>): Promise<R>;
  /** Safe to call twice. */
  close(): Promise<void>;
}
