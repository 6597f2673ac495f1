/**
 * The hotlist's reasons at the server (rules/hotlist-reason.ts): a shortfall's listing
 * is published with its reason, in the document and the delta; a card with a debt then
 * reported lost is sent again without it (a new version: the till's words change), while
 * lost ↔ frozen ↔ replaced stays no change for a terminal. PGlite (or
 * CARDTERM_TEST_DATABASE_URL).
 */
import t from "tap";
import { parseMoney } from "../../rules/money.js";
import { lossCard } from "../../server/backoffice/index.js";
import { hotlistDelta, hotlistDocument } from "../../server/ledger/hotlist.js";
import { ingestBatch } from "../../server/ledger/ingest.js";
import { ALICE, resetBackoffice, WANG } from "./backoffice-fixture.js";
import { openTestDb, T2 } from "./ledger-fixture.js";

const db = await openTestDb();
t.teardown(() => db.close());

t.test("a shortfall is listed with its reason; reported lost afterwards, the reason goes", async (t) => {
  await resetBackoffice(db);
  const v0 = (await hotlistDocument(db)).version;
  t.equal((await hotlistDocument(db)).reasons, undefined, "a frozen card alone: no reasons to tell");
  const out = await ingestBatch(db, T2.id, T2.batch([T2.sale(WANG, parseMoney("80.00"))]));
  t.ok(out.ok);
  const listed = await hotlistDocument(db);
  t.equal(listed.version, v0 + 1);
  t.same(listed.reasons, { [WANG]: "shortfall" });
  t.match(await hotlistDelta(db, v0, v0 + 1), { added: [WANG], reasons: { [WANG]: "shortfall" } });

  const lost = await lossCard(db, { cardId: WANG, note: "member called" }, ALICE);
  t.equal(lost.hotlistVersion, v0 + 2, "debt → lost changes what the till says: a new version");
  const delta = await hotlistDelta(db, v0 + 1, v0 + 2);
  t.same(delta, { v: 1, fromVersion: v0 + 1, toVersion: v0 + 2, added: [WANG], removed: [] }, "again, no reason");
  t.equal((await hotlistDocument(db)).reasons, undefined);
});
