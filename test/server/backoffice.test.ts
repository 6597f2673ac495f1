/** The back office's operations on PGlite (the cases also run on PostgreSQL: backoffice-postgres.test.ts). */
import t from "tap";
import { cardCases } from "./backoffice-card-cases.js";
import { officeCases } from "./backoffice-office-cases.js";
import { openTestDb } from "./ledger-fixture.js";

const db = await openTestDb();
t.teardown(() => db.close());
t.test("cards", async (t) => cardCases(t, db));
t.test("members, policy, operators, reports", async (t) => officeCases(t, db));
