/** The member-lookup limit and the exact phone query on PGlite (member-find-limit-cases.ts). */
import t from "tap";
import type { Db } from "../../server/db/db.js";
import { openTestDb } from "./ledger-fixture.js";
import { memberFindLimitCases } from "./member-find-limit-cases.js";

const db: Db = await openTestDb();
t.teardown(() => db.close());
await memberFindLimitCases(t, db);
