import t from "tap";
import { ingestGapCases } from "./ingest-gaps-cases.js";
import { openTestDb } from "./ledger-fixture.js";

// PGlite in memory (or CARDTERM_TEST_DATABASE_URL); postgres.test.ts runs the same cases on PostgreSQL 15.
const db = await openTestDb();
t.teardown(() => db.close());
ingestGapCases(t, db);
