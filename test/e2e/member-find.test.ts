/**
 * Finding a member at the till (会员查询) through the local HTTP API, against the
 * real central server (PGlite) and broker: by the whole phone number and by member id,
 * never by a prefix; the phone masked in the reply; each lookup in head office's audit log
 * (who, which till, the phone masked); at most five members; the memberFind permission at
 * the till (from the chain's policy); then the found card reported lost by its id and a
 * sale with it declined. And a card read by a tap for the card operations.
 */
import t from "tap";
import { DEFAULT_MEMBER_LOOKUP_LIMIT } from "../../protocol/till-member-find.js";
import { listAudit } from "../../server/backoffice/actor.js";
import { createMember } from "../../server/backoffice/members.js";
import { getPolicy, publishPolicy } from "../../server/backoffice/policy.js";
import { alertReport } from "../../server/backoffice/report-ledger.js";
import { waitFor } from "../helpers/wait-for.js";
import { startTillRig } from "./till-rig.js";

const HQ = { id: "hq-admin", via: "cli" } as const;
const LI_NA = { memberId: "M0002", phone: "13800000002", card: "ic:04D5E6F7" }; // silver, ¥300.00

t.test("a cashier finds a member by the whole phone number or member id, and only so", async (t) => {
  const rig = await startTillRig(t);
  const { call, hq } = rig;
  const cashier = await rig.login("001");
  const boss = await rig.login("900");
  const find = (query: string, session = cashier) => call("GET", `/api/v1/members?${query}`, undefined, session);

  const byPhone = await find(`phone=${LI_NA.phone}`);
  t.equal(byPhone.status, 200);
  t.match(byPhone.body, {
    ok: true,
    more: false,
    members: [
      {
        memberId: "M0002",
        name: "李娜",
        phone: "138****0002",
        level: "silver",
        levelName: "银卡",
        cards: [
          {
            cardUid: LI_NA.card,
            id: "ic:04D5****E6F7",
            cardType: "silver",
            status: "active",
            primary: true,
            balance: 30_000,
            points: 120,
            hotlisted: false,
          },
        ],
      },
    ],
  });
  t.equal(byPhone.body.members.length, 1, "one member has that number");
  t.notMatch(JSON.stringify(byPhone.body), LI_NA.phone, "the whole number is nowhere in the reply");
  t.match((await find("phone=138 0000 0002")).body, { members: [{ memberId: "M0002" }] }, "typed with spaces");
  t.match((await find("memberId=M0002")).body, { ok: true, members: [{ name: "李娜", phone: "138****0002" }] });

  // Never a prefix, part of a number, or a name: the till is not a phone directory.
  for (const partial of ["1380000000", "13800000", "3800000002", "138000000021"]) {
    t.same((await find(`phone=${partial}`)).body, { ok: true, members: [], more: false }, `no match for ${partial}`);
  }
  t.same((await find("memberId=M000")).body.members, [], "no member id prefix");
  t.match(await find("phone=abc"), { status: 400, body: { code: "CT_BAD_REQUEST" } });
  t.match(await find(""), { status: 400, body: { code: "CT_BAD_REQUEST", message: /phone or memberId/ } });
  t.match(await find(`phone=${LI_NA.phone}&memberId=M0002`), { status: 400, body: { code: "CT_BAD_REQUEST" } });
  t.match(await find("name=李娜"), { status: 400, body: { code: "CT_BAD_REQUEST" } }, "no search by name");
  t.match(await call("GET", `/api/v1/members?phone=${LI_NA.phone}`), { status: 401 }, "a session is needed");

  // Head office's audit log: who, at which till, what was searched — the phone masked.
  const audit = (await listAudit(hq.db, { limit: 200 })).filter((a) => a.action === "member.find");
  t.match(audit.at(-1), {
    actor: "001",
    via: "till:T001",
    subject: "138****0002",
    detail: { phone: "138****0002", found: ["M0002"], more: false },
  });
  t.match(
    audit.find((a) => a.subject === "M0002"),
    { actor: "001", detail: { memberId: "M0002", found: ["M0002"] } },
  );
  t.notMatch(JSON.stringify(audit), LI_NA.phone, "no whole phone number in the audit log");
  t.equal(audit.length, 8, "every lookup answered by the server is on record, misses too");

  // At most five members, and `more` says there were others.
  for (let i = 0; i < 7; i++) await createMember(hq.db, { name: `同号会员${i}`, phone: "13900009999" }, HQ);
  const many = await find("phone=13900009999");
  t.equal(many.body.members.length, 5, "capped at five");
  t.equal(many.body.more, true, "and says there were more");
  t.same(many.body.members[0].cards, [], "a member with no card yet");
  t.equal(many.body.members[0].level, null);

  // The found card, reported lost by its id (a supervisor's), is refused at the till.
  const cardUid = byPhone.body.members[0].cards[0].cardUid as string;
  const lost = await call("POST", `/api/v1/cards/${cardUid}/loss`, { note: "电话挂失" }, boss);
  t.match(lost.body, { ok: true, card: { id: "ic:04D5****E6F7", status: "lost" } });
  const sale = await call("POST", "/api/v1/sales", { amount: 1_000, cardUid: "04D5E6F7" }, cashier);
  t.match(sale.body, { approved: false, code: "CARD_NOT_ACTIVE" }, "a sale with the lost card is declined");
  t.match(
    (await find(`phone=${LI_NA.phone}`)).body.members[0].cards[0],
    { status: "lost", hotlisted: true },
    "the next lookup shows it lost",
  );
  t.match(await hq.ledger.getCard(LI_NA.card), { status: "lost", balance: 30_000 }, "nothing was charged");

  // The chain takes memberFind from cashiers: the till refuses them at once, a supervisor still finds.
  const policy = await getPolicy(hq.db);
  const { version: _, ...next } = policy;
  const cashierList = ["sale", "topup", "balance", "status", "cardIssue"];
  await publishPolicy(hq.db, { ...next, roles: { cashier: cashierList } }, HQ);
  await hq.republish();
  await waitFor("the till to hold the new policy", async () => {
    const s = (await call("GET", "/api/v1/status")).body;
    return s.policy.policy === policy.version + 1;
  });
  t.match(await find(`phone=${LI_NA.phone}`), { status: 403, body: { code: "CT_FORBIDDEN" } });
  t.match((await find(`phone=${LI_NA.phone}`, boss)).body, { ok: true, members: [{ memberId: "M0002" }] });
});

t.test(
  "a till past head office's lookup limit is refused in the cashier's words, and head office is told",
  async (t) => {
    // The rig's server runs with the default limit (30 per 10 min): the default itself is wired.
    const rig = await startTillRig(t);
    const { call, hq } = rig;
    const cashier = await rig.login("001");
    const boss = await rig.login("900");
    const find = (query: string, session = cashier) => call("GET", `/api/v1/members?${query}`, undefined, session);
    for (let i = 0; i < DEFAULT_MEMBER_LOOKUP_LIMIT.max; i++) {
      const phone = `1390000${String(i).padStart(4, "0")}`;
      const reply = await find(`phone=${phone}`);
      if (reply.body.ok !== true) t.fail(`lookup ${i + 1} refused: ${JSON.stringify(reply.body)}`);
    }
    const refused = await find(`phone=${LI_NA.phone}`);
    t.match(refused, { status: 200, body: { ok: false, code: "LOOKUP_LIMIT", message: "查询过于频繁，请稍后再试" } });
    t.notOk("members" in refused.body, "nobody is shown");
    t.match(
      (await find("memberId=M0002", boss)).body,
      { ok: false, code: "LOOKUP_LIMIT" },
      "per till, not per cashier",
    );

    const audit = await listAudit(hq.db, { limit: 200 });
    t.equal(audit.filter((a) => a.action === "member.find").length, DEFAULT_MEMBER_LOOKUP_LIMIT.max);
    t.match(
      audit.filter((a) => a.action === "member.find.limited"),
      [
        { actor: "900", via: "till:T001", subject: "M0002" },
        { actor: "001", via: "till:T001", subject: "138****0002" },
      ],
      "each refusal on record, the phone masked",
    );
    t.match(await alertReport(hq.db, { kind: "lookup-limit" }), [{ terminalId: "T001", detail: /30 member lookups/ }]);
    t.equal((await alertReport(hq.db, { kind: "lookup-limit" })).length, 1, "one alert for the burst");
  },
);

t.test("a card is read by a tap for the card operations: its id and what the till knows", async (t) => {
  const rig = await startTillRig(t, { tapTimeoutMs: 3_000 });
  const { call } = rig;
  const cashier = await rig.login("001");
  const read = async (uid: string) => {
    const pending = call("POST", "/api/v1/cards/read", undefined, cashier);
    await new Promise((r) => setTimeout(r, 150));
    rig.reader.tap(uid);
    return pending;
  };

  const unknown = await read("1F2E3D4C");
  t.match(unknown, {
    status: 200,
    body: { cardUid: "ic:1F2E3D4C", id: "ic:1F2E****3D4C", known: false, memberName: null, status: null },
  });
  t.match(
    (await call("POST", "/api/v1/balance", { cardUid: "04A1B2C3" }, cashier)).body,
    { source: "online" },
    "the till learns the card from the server",
  );
  const gold = await read("04A1B2C3");
  t.match(gold.body, {
    cardUid: "ic:04A1B2C3",
    id: "ic:04A1****B2C3",
    known: true,
    memberName: "张伟",
    cardType: "gold",
    cardTypeName: "金卡",
    status: "active",
    hotlisted: false,
  });
  t.ok(Date.parse(gold.body.asOf) > 0, "says when the till learnt it");
  t.notOk("balance" in gold.body, "a read is no balance query");
  t.match(await call("POST", "/api/v1/cards/read", { readerId: "nope" }, cashier), {
    status: 404,
    body: { code: "CT_NOT_FOUND" },
  });
  t.match(await call("POST", "/api/v1/cards/read", {}, cashier), { status: 409, body: { code: "CT_NO_TAP" } });
});
