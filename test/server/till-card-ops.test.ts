/**
 * Card operations asked for by a till (server/till/card-ops.ts), exactly once by request
 * id — on PGlite and, where it can run, on a real PostgreSQL 15, where duplicates truly
 * run at once on separate connections: the same request sent eight times together makes
 * one member, one card, one audit trail, and seven replays of the stored outcome.
 */
import t, { type Test } from "tap";
import type { TillOpReply, TillOpRequest } from "../../protocol/till-ops.js";
import type { Db } from "../../server/db/db.js";
import { openDb } from "../../server/db/open-db.js";
import { handleTillOp } from "../../server/till/till-ops.js";
import { postgresUnavailable, startPostgres } from "../helpers/postgres.js";
import { resetBackoffice } from "./backoffice-fixture.js";
import { openTestDb } from "./ledger-fixture.js";

let corr = 0;
/** Card operations only: `find` answers with members, not a card (handleTillOp's overloads). */
type CardTillOp = Exclude<TillOpRequest, { op: "find" | "hold" }>;
const op = (body: Record<string, unknown>): CardTillOp =>
  ({
    v: 1,
    corr: `c${++corr}`,
    terminalId: "T001",
    operatorId: "900",
    businessDay: "2026-11-22",
    at: "2026-11-22T10:00:00.000Z",
    ...body,
  }) as CardTillOp;

const count = async (db: Db, sql: string, params: unknown[] = []) =>
  Number((await db.query<{ n: unknown }>(sql, params)).rows[0]?.n);

async function cases(t: Test, db: Db): Promise<void> {
  t.test("eight copies of one issue at once: one member, one card, seven replays", async (t) => {
    await resetBackoffice(db);
    const issue = {
      op: "issue",
      requestId: "req-1",
      cardId: "ic:1A2B3C4D",
      cardType: "silver",
      member: { name: "赵敏" },
    };
    const replies = await Promise.all(Array.from({ length: 8 }, () => handleTillOp(db, op(issue))));
    const applied = replies.filter((r) => r.ok && r.cardOp?.replayed === false);
    t.equal(applied.length, 1, "applied once");
    t.equal(replies.filter((r) => r.ok && r.cardOp?.replayed === true).length, 7, "the others get the stored outcome");
    const memberIds = new Set(replies.map((r) => (r.ok ? r.cardOp?.memberId : undefined)));
    t.equal(memberIds.size, 1, "every reply names the same member");
    t.equal(await count(db, "SELECT count(*) AS n FROM members WHERE name = '赵敏'"), 1);
    t.equal(await count(db, "SELECT count(*) AS n FROM audit_log WHERE action = 'card.issue'"), 1);
    t.equal(await count(db, "SELECT count(*) AS n FROM audit_log WHERE action = 'till.request'"), 1);
    const other = await handleTillOp(db, op({ ...issue, cardType: "gold" }));
    t.match(other, { ok: false, code: "TXN_CONFLICT" }, "the same id for another request is refused");
    const elsewhere = await handleTillOp(db, op({ ...issue, terminalId: "T002", cardId: "ic:1A2B3C4E" }));
    t.match(elsewhere, { ok: true, cardOp: { replayed: false } }, "request ids are per terminal");
  });

  t.test("a loss repeated at once: one status change, one hotlist version", async (t) => {
    await resetBackoffice(db);
    const loss = { op: "loss", requestId: "req-2", cardId: "ic:0A0B0C0D", note: "lost" };
    const replies: TillOpReply[] = await Promise.all(Array.from({ length: 8 }, () => handleTillOp(db, op(loss))));
    t.ok(
      replies.every((r) => r.ok && r.card.status === "lost"),
      "every copy answers lost",
    );
    const versions = new Set(replies.map((r) => (r.ok ? r.cardOp?.hotlistVersion : null)));
    t.equal(versions.size, 1, "one hotlist version made");
    t.equal(await count(db, "SELECT count(*) AS n FROM audit_log WHERE action = 'card.loss'"), 1);
    t.match(replies[0], { ok: true, cardOp: { hotlisted: { "ic:0A0B0C0D": true } } });
    t.match(
      await handleTillOp(db, op({ ...loss, requestId: "req-3" })),
      {
        ok: false,
        code: "CARD_STATUS_CONFLICT",
        card: { status: "lost" },
      },
      "a new loss request for a lost card is refused with the card as it stands",
    );
  });

  t.test("refusals roll back whole: an issue to an unknown card type leaves no member behind", async (t) => {
    await resetBackoffice(db);
    const bad = {
      op: "issue",
      requestId: "req-4",
      cardId: "ic:1A2B3C4F",
      cardType: "platinum",
      member: { name: "钱八" },
    };
    t.match(await handleTillOp(db, op(bad)), { ok: false, code: "CARD_TYPE_UNKNOWN", card: null });
    t.equal(await count(db, "SELECT count(*) AS n FROM members WHERE name = '钱八'"), 0);
    t.equal(await count(db, "SELECT count(*) AS n FROM audit_log"), 0, "no record of a request that did nothing");
    const fixed = await handleTillOp(db, op({ ...bad, cardType: "gold" }));
    t.match(fixed, { ok: true, cardOp: { replayed: false } }, "the same id, corrected, is then applied");
  });
}

t.test("on PGlite", async (t) => {
  const db = await openTestDb();
  t.teardown(() => db.close());
  await cases(t, db);
});

const why = postgresUnavailable();
t.test("on PostgreSQL 15", { skip: why ?? false }, async (t) => {
  const pg = await startPostgres({ durable: false });
  t.teardown(() => pg.close());
  const db = await openDb({ databaseUrl: pg.url, poolMax: 8 });
  t.teardown(() => db.close());
  t.equal(db.kind, "postgres");
  await cases(t, db);
});
