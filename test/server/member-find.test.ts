/**
 * Finding a member for a till at the server (server/till/member-find.ts), on PGlite: exact
 * phone or member id only, phones masked, a member's cards across accounts with sub-cards
 * sharing the balance, the level from an active primary card, at most five members, the
 * audit row — and the server's own memberFind check for the operators head office knows.
 */
import t from "tap";
import { maskPhone, normalisePhone } from "../../protocol/till-member-find.js";
import type { TillOpRequest } from "../../protocol/till-ops.js";
import { demoPolicy } from "../../rules/policy.js";
import { listAudit } from "../../server/backoffice/actor.js";
import { issueCard } from "../../server/backoffice/card-issue.js";
import { changeCardStatus } from "../../server/backoffice/card-status.js";
import { createMember } from "../../server/backoffice/members.js";
import { addOperator } from "../../server/backoffice/operators.js";
import { publishPolicy } from "../../server/backoffice/policy.js";
import type { Db } from "../../server/db/db.js";
import { provisionTerminal } from "../../server/provision/provision-terminal.js";
import { handleTillOp } from "../../server/till/till-ops.js";
import { ALICE, resetBackoffice } from "./backoffice-fixture.js";
import { openTestDb } from "./ledger-fixture.js";

const db: Db = await openTestDb();
t.teardown(() => db.close());

let corr = 0;
const find = (operatorId: string, by: { phone?: string; memberId?: string }, terminalId = "S1-01") =>
  handleTillOp(db, {
    v: 1,
    corr: `c${++corr}`,
    terminalId,
    operatorId,
    businessDay: "2026-11-22",
    at: "2026-11-22T10:00:00.000Z",
    op: "find",
    ...by,
  } as TillOpRequest);

/** The member ids found, or null for a refusal. */
const membersOf = (reply: Awaited<ReturnType<typeof find>>) =>
  reply.ok && "found" in reply ? reply.found.members.map((m) => m.memberId) : null;

t.test("phones are masked and normalised the same way at both ends", async (t) => {
  t.equal(maskPhone("13800000002"), "138****0002");
  t.equal(maskPhone("+8613800000002"), "+861******0002");
  t.equal(maskPhone("02188886666"), "021****6666");
  t.equal(maskPhone("88886666"), "****6666", "a landline without its area code");
  t.equal(maskPhone("12345"), "***45");
  t.equal(normalisePhone(" 138-0000 0002 "), "13800000002");
  t.equal(normalisePhone("1380000000a"), null);
  t.equal(normalisePhone("1234"), null, "too short to be a number");
});

t.test("a member by exact phone or id, with every card of every account", async (t) => {
  await resetBackoffice(db);
  await provisionTerminal(db, { terminalId: "S1-01", storeId: "S1" });
  // 李娜 (M0002, silver ic:04D5E6F7, ¥300.00): a sub-card, and a second account whose card was lost.
  await issueCard(db, { cardId: "ic:5A5A5A5A", primaryCardId: "ic:04D5E6F7", dailyLimit: 5_000 }, ALICE);
  await issueCard(db, { cardId: "ic:6B6B6B6B", cardType: "gold", memberId: "M0002" }, ALICE);
  await changeCardStatus(db, "loss", { cardId: "ic:6B6B6B6B" }, ALICE);

  const reply = await find("900", { phone: "13800000002" });
  t.match(reply, { ok: true, found: { more: false } });
  const members = reply.ok && "found" in reply ? reply.found.members : [];
  t.equal(members.length, 1);
  const [li] = members;
  t.match(li, { memberId: "M0002", name: "李娜", phone: "138****0002", level: "silver", moreCards: false });
  t.same(
    li?.cards.map((c) => [c.cardId, c.cardType, c.status, c.primaryCardId, c.balance, c.hotlisted]),
    [
      ["ic:04D5E6F7", "silver", "active", null, 30_000, false],
      ["ic:5A5A5A5A", "silver", "active", "ic:04D5E6F7", 30_000, false],
      ["ic:6B6B6B6B", "gold", "lost", null, 0, true],
    ],
    "the primary, its sub-card on the same balance, and the lost card of the other account",
  );
  t.notMatch(JSON.stringify(reply), "13800000002", "the whole number never leaves the server");
  t.match(await find("900", { memberId: "M0002" }), { ok: true, found: { members: [{ phone: "138****0002" }] } });

  // The level is an active primary card's, else any primary's: 刘洋 (M0004) has only a frozen one.
  t.match(await find("900", { memberId: "M0004" }), {
    found: { members: [{ level: "standard", cards: [{ status: "frozen" }] }] },
  });

  for (const miss of [{ phone: "1380000000" }, { phone: "138000000021" }, { memberId: "M00" }, { phone: "0002" }]) {
    t.match(await find("900", miss), { ok: true, found: { members: [], more: false } }, JSON.stringify(miss));
  }
  // A member whose id is made of digits is not found by phone, nor one whose name holds them.
  await createMember(db, { memberId: "13800000003", name: "号码13800000003" }, ALICE);
  t.same(membersOf(await find("900", { phone: "13800000003" })), ["M0003"], "only the member whose phone it is");

  for (let i = 0; i < 6; i++) await createMember(db, { name: `同号${i}`, phone: "13900001111" }, ALICE);
  t.match(await find("900", { phone: "13900001111" }), { ok: true, found: { more: true } });
  t.equal(membersOf(await find("900", { phone: "13900001111" }))?.length, 5, "at most five");

  const rows = (await listAudit(db, { limit: 100 })).filter((a) => a.action === "member.find");
  t.match(rows.at(-1), {
    actor: "900",
    via: "till:S1-01",
    subject: "138****0002",
    detail: { phone: "138****0002", found: ["M0002"], more: false },
  });
  t.match(rows[0], { subject: "139****1111", detail: { more: true } });
  t.equal(rows.filter((r) => r.detail.memberId === "M00").length, 1, "a miss is on record too");
});

t.test("the server checks memberFind for the operators head office knows", async (t) => {
  await resetBackoffice(db);
  await provisionTerminal(db, { terminalId: "S1-01", storeId: "S1" });
  const add = (operatorId: string, role: string) =>
    addOperator(db, { operatorId, storeId: "S1", name: `员工${operatorId}`, role, pin: "2468" }, ALICE);
  await add("C1", "cashier");
  await add("T1", "technician");

  t.match(await find("C1", { phone: "13800000001" }), { ok: true, found: { members: [{ memberId: "M0001" }] } });
  t.match(await find("T1", { phone: "13800000001" }), {
    ok: false,
    code: "OPERATOR_NOT_ALLOWED",
    message: "operator T1 is a technician at head office, and a technician may not memberFind",
  });
  const { version: _, ...policy } = demoPolicy();
  await publishPolicy(db, { ...policy, roles: { cashier: ["sale", "topup", "balance"] } }, ALICE);
  t.match(await find("C1", { phone: "13800000001" }), { ok: false, code: "OPERATOR_NOT_ALLOWED" }, "the chain says no");

  const audit = await listAudit(db, { limit: 100 });
  t.equal(audit.filter((a) => a.action === "member.find").length, 1, "a refused lookup shows nobody and is no lookup");
  // One only the till's config knows: allowed as before, and noted for head office.
  t.match(await find("001", { memberId: "M0003" }), { ok: true, found: { members: [{ name: "王芳" }] } });
  t.match(
    (await listAudit(db, { limit: 5 })).find((a) => a.action === "till.operator-unverified"),
    { actor: "001", detail: { op: "find", permission: "memberFind" } },
  );
});
