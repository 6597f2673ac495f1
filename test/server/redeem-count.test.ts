import t from "tap";
import { openTestDb } from "./ledger-fixture.js";
import { redeemCountCases } from "./redeem-count-cases.js";

// PGlite in memory (or CARDTERM_TEST_DATABASE_URL, a scratch PostgreSQL database).
const db = await openTestDb();
t.teardown(() => db.close());
redeemCountCases(t, db);
