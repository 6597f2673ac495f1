/**
 * The member-lookup limit at the server (server/till/lookup-limit.ts) and the exact-phone
 * query (backoffice/members.ts membersByPhone), as cases run on PGlite and on PostgreSQL 15:
 * a till past its limit is refused, audited and alerted once; the window slides; other
 * tills are unaffected; 0 means no limit.
 */
import type { Test } from "tap";
import type { TillOpRequest } from "../../protocol/till-ops.js";
import { createMember, membersByPhone } from "../../server/backoffice/members.js";
import { alertReport } from "../../server/backoffice/report-ledger.js";
import type { Db } from "../../server/db/db.js";
import { provisionTerminal } from "../../server/provision/provision-terminal.js";
import { handleMemberFind } from "../../server/till/member-find.js";
import { ALICE, resetBackoffice } from "./backoffice-fixture.js";

const LIMIT = { max: 3, windowMs: 10 * 60_000 };

export async function memberFindLimitCases(t: Test, db: Db): Promise<void> {
  let corr = 0;
  const find = (terminalId: string, phone = "13800000002", limit = LIMIT) =>
    handleMemberFind(
      db,
      {
        v: 1,
        corr: `c${++corr}`,
        terminalId,
        operatorId: "900",
        businessDay: "2026-11-22",
        at: "2026-11-22T10:00:00.000Z",
        op: "find",
        phone,
      } as Extract<TillOpRequest, { op: "find" }>,
      limit,
    );
  const count = async (action: string, terminalId: string) => {
    const { rows } = await db.query<{ n: unknown }>(
      "SELECT count(*) AS n FROM audit_log WHERE action = $1 AND via = $2",
      [action, `till:${terminalId}`],
    );
    return Number(rows[0]?.n);
  };
  const limitAlerts = async () => (await alertReport(db, { kind: "lookup-limit" })).map((a) => a.terminalId);

  await t.test("past the limit a till is refused, audited and alerted once", async (t) => {
    await resetBackoffice(db);
    await db.query("TRUNCATE alerts");
    await provisionTerminal(db, { terminalId: "S1-01", storeId: "S1" });
    await provisionTerminal(db, { terminalId: "S1-02", storeId: "S1" });
    for (let i = 0; i < LIMIT.max; i++) {
      t.match(await find("S1-01"), { ok: true, found: { members: [{ memberId: "M0002" }] } }, `lookup ${i + 1}`);
    }
    const refused = await find("S1-01");
    t.match(refused, { ok: false, code: "LOOKUP_LIMIT", message: /3 member lookups in the last 10 min/ });
    t.notOk("found" in refused, "nobody is shown");
    t.match(await find("S1-01", "13800000001"), { ok: false, code: "LOOKUP_LIMIT" }, "any number, any member");
    t.equal(await count("member.find", "S1-01"), 3, "the refusals are no lookups");
    t.equal(await count("member.find.limited", "S1-01"), 2, "each refusal is on record");
    t.same(await limitAlerts(), ["S1-01"], "one alert for the till, however often it retried");

    t.match(await find("S1-02"), { ok: true }, "another till of the same store is unaffected");
    t.match(await find("S1-01", "13800000002", { max: 0, windowMs: LIMIT.windowMs }), { ok: true }, "0: no limit");
  });

  await t.test("the window slides: lookups come back as old ones leave it", async (t) => {
    // Age the oldest counted lookup past the window, as 10 minutes passing would.
    await db.query(
      `UPDATE audit_log SET at = at - interval '11 minutes'
       WHERE id = (SELECT min(id) FROM audit_log WHERE action = 'member.find' AND via = 'till:S1-01')`,
    );
    // 4 counted rows (3 + the unlimited one), one aged out: 3 in the window, still full.
    t.match(await find("S1-01"), { ok: false, code: "LOOKUP_LIMIT" });
    await db.query(
      `UPDATE audit_log SET at = at - interval '11 minutes'
       WHERE id IN (SELECT id FROM audit_log WHERE action = 'member.find' AND via = 'till:S1-01' ORDER BY id LIMIT 2)`,
    );
    t.match(await find("S1-01"), { ok: true }, "one slot free again");
    t.match(await find("S1-01"), { ok: false, code: "LOOKUP_LIMIT" }, "and then full again");
    t.same(await limitAlerts(), ["S1-01"], "still one alert within the window");
    await db.query("UPDATE alerts SET at = at - interval '11 minutes'");
    await db.query("UPDATE audit_log SET at = at - interval '11 minutes'");
    t.match(await find("S1-01"), { ok: true }, "a quiet window later, the till looks up again");
  });

  await t.test("the exact phone query finds whole numbers only", async (t) => {
    await createMember(db, { memberId: "P1", name: "甲", phone: "13912345678" }, ALICE);
    await createMember(db, { memberId: "P2", name: "乙", phone: "139123456789" }, ALICE);
    await createMember(db, { memberId: "P3", name: "丙", phone: "13912345678" }, ALICE);
    t.same(
      (await membersByPhone(db, "13912345678", 10)).map((m) => m.memberId),
      ["P1", "P3"],
      "both members with the number, not the longer one",
    );
    t.same((await membersByPhone(db, "1391234567", 10)).length, 0, "a prefix is no match");
    t.same(
      (await membersByPhone(db, "13912345678", 1)).map((m) => m.memberId),
      ["P1"],
      "the limit holds",
    );
  });
}
