/**
 * The rest of the back office: members, policy, operators, reports, audit,
 * and hotlist pruning — on PGlite (backoffice.test.ts) and PostgreSQL (backoffice-postgres.test.ts).
 */
import type { Test } from "tap";
import { verifyPin } from "../../rules/pin.js";
import { demoPolicy } from "../../rules/policy.js";
import * as bo from "../../server/backoffice/index.js";
import type { Db } from "../../server/db/db.js";
import { hotlistDelta, pruneHotlistChanges } from "../../server/ledger/hotlist.js";
import { ingestBatch } from "../../server/ledger/ingest.js";
import { ledgerQueries } from "../../server/ledger/queries.js";
import { recordHeartbeat } from "../../server/ledger/terminal-status.js";
import { ALICE, auditActions, code, LI, resetBackoffice, WANG, ZHANG } from "./backoffice-fixture.js";
import { T1, T2 } from "./ledger-fixture.js";
import { BUSINESS_DAY, demoBalance } from "./test-terminal.js";

export function officeCases(t: Test, db: Db): void {
  t.beforeEach(() => resetBackoffice(db));

  t.test("members: create, update the profile, find by phone, name part or card", async (t) => {
    const m = await bo.createMember(db, { name: "孙丽", phone: "13712345678", birthday: "02-29" }, ALICE);
    t.match(m, { memberId: "M100001", name: "孙丽", birthday: "02-29" });
    await t.rejects(bo.createMember(db, { memberId: "M0001", name: "x" }, ALICE), code("CT_CONFLICT"));
    await t.rejects(bo.createMember(db, { name: "x", birthday: "02-30" }, ALICE), /birthday "02-30"/);
    await t.rejects(bo.createMember(db, { name: " " }, ALICE), code("CT_BAD_REQUEST"));
    const u = await bo.updateMember(db, { memberId: m.memberId, phone: null, birthday: "12-01" }, ALICE);
    t.match(u, { phone: null, birthday: "12-01", name: "孙丽" });
    await t.rejects(bo.updateMember(db, { memberId: "M9999", name: "x" }, ALICE), code("CT_NOT_FOUND"));
    await t.rejects(bo.updateMember(db, { memberId: m.memberId }, ALICE), code("CT_BAD_REQUEST"));
    const ids = async (query: string) => (await bo.searchMembers(db, { query })).map((x) => x.memberId);
    t.same(await ids("1380000000"), ["M0001", "M0002", "M0003", "M0004", "M0005"], "phone prefix");
    t.same(await ids("丽"), ["M100001"], "name part");
    t.same(await ids(LI), ["M0002"], "card id");
    t.same(await ids("100%"), [], "LIKE wildcards are literal");
    t.equal((await bo.searchMembers(db, { limit: 2, offset: 1 })).length, 2);
    t.same(await auditActions(db, m.memberId), ["member.create", "member.update"]);
  });

  t.test("an account lists its cards and recent transactions", async (t) => {
    await bo.topUpAtHq(db, { cardId: ZHANG, amount: 100, txnId: "hq-a" }, ALICE);
    const a = await bo.getAccount(db, "A0001");
    t.match(a, { memberId: "M0001", balance: demoBalance(ZHANG) + 100, cards: [{ cardId: ZHANG }] });
    t.match(a.recent, [{ txnId: "hq-a", source: "hq", terminalId: null, net: 100 }]);
    t.match(await bo.memberAccounts(db, "M0001"), [{ accountId: "A0001" }]);
    await t.rejects(bo.getAccount(db, "A9"), code("CT_NOT_FOUND"));
  });

  t.test("policy: a new version publishes; a wrong one is refused with every problem", async (t) => {
    const next = demoPolicy();
    delete (next as { version?: number }).version;
    next.cardTypes.vip = { ...next.cardTypes.gold!, id: "vip", name: "VIP", payRateBp: 8_000 };
    const out = await bo.publishPolicy(db, next, ALICE);
    t.equal(out.policy.version, 2, "no version: the next one");
    // The demo's tiers: 充 5000 gives points, not money — worth a warning, not a refusal.
    t.match(out.warnings, [/^standard: a top-up of 5000.00 gets less bonus money than one of 1000.00$/]);
    t.equal(out.warnings.length, 4);
    t.equal((await bo.getPolicy(db)).version, 2);
    t.match((await bo.issueCard(db, { cardId: "ic:77", cardType: "vip", memberId: "M0001" }, ALICE)).card, {
      cardType: "vip",
    });

    const stale = { ...demoPolicy(), version: 2 };
    await t.rejects(
      bo.publishPolicy(db, stale, ALICE),
      /CT_POLICY_INVALID: [\s\S]*version 2 is not above the current version 2/,
    );
    const dropGold = demoPolicy();
    dropGold.version = 3;
    delete dropGold.cardTypes.gold;
    dropGold.cardTypes.silver!.id = "argent";
    await t.rejects(
      bo.publishPolicy(db, dropGold, ALICE),
      /cardTypes.silver.id is "argent"[\s\S]*card type gold is left out but 1 card\(s\) hold it[\s\S]*card type vip is left out/,
    );
    await t.rejects(
      bo.publishPolicy(db, { version: 3, currency: "USD", cardTypes: {} }, ALICE),
      code("CT_POLICY_INVALID"),
    );
    await t.rejects(bo.publishPolicy(db, "not a policy", ALICE), code("CT_POLICY_INVALID"));
    const odd = { ...demoPolicy(), version: 7 };
    odd.cardTypes.standard = {
      ...odd.cardTypes.standard!,
      topUpBonus: [
        { minMinor: 100, bonusMinor: 50, bonusPoints: 0 },
        { minMinor: 200, bonusMinor: 10, bonusPoints: 0 },
      ],
    };
    odd.cardTypes.vip = { ...odd.cardTypes.gold!, id: "vip" };
    const warned = await bo.publishPolicy(db, odd, ALICE);
    t.ok(warned.warnings.some((w) => /^standard: a top-up of 2.00 gets less bonus money/.test(w)));
    t.same(await auditActions(db, "policy:2"), ["policy.publish"]);
  });

  t.test("operators: added per store with a hashed PIN, listed, disabled and enabled", async (t) => {
    const op = await bo.addOperator(
      db,
      { operatorId: "S1-001", storeId: "S1", name: "小王", role: "cashier", pin: "1234" },
      ALICE,
    );
    t.match(op, { operatorId: "S1-001", storeId: "S1", role: "cashier", active: true });
    await bo.addOperator(
      db,
      { operatorId: "S2-001", storeId: "S2", name: "老李", role: "supervisor", pin: "5678" },
      ALICE,
    );
    await t.rejects(
      bo.addOperator(db, { operatorId: "S1-001", storeId: "S1", name: "x", role: "cashier", pin: "1234" }, ALICE),
      code("CT_CONFLICT"),
    );
    await t.rejects(
      bo.addOperator(db, { operatorId: "S1-002", storeId: "S1", name: "x", role: "boss", pin: "1234" }, ALICE),
      /role "boss"/,
    );
    await t.rejects(
      bo.addOperator(db, { operatorId: "S1-002", storeId: "S1", name: "x", role: "cashier", pin: "12" }, ALICE),
      /4 to 12 digits/,
    );
    t.same(
      (await bo.listOperators(db, { storeId: "S1" })).map((o) => o.operatorId),
      ["S1-001"],
    );
    t.equal((await bo.listOperators(db)).length, 2);
    t.ok(verifyPin("1234", (await bo.operatorPinHash(db, "S1-001"))!));
    t.match(await bo.setOperatorActive(db, { operatorId: "S1-001", active: false }, ALICE), { active: false });
    t.equal(await bo.operatorPinHash(db, "S1-001"), undefined, "a disabled operator cannot log in");
    await t.rejects(bo.setOperatorActive(db, { operatorId: "S1-001", active: false }, ALICE), code("CT_CONFLICT"));
    await bo.setOperatorActive(db, { operatorId: "S1-001", active: true }, ALICE);
    await bo.setOperatorPin(db, { operatorId: "S1-001", pin: "4321" }, ALICE);
    t.ok(verifyPin("4321", (await bo.operatorPinHash(db, "S1-001"))!));
    await t.rejects(bo.setOperatorPin(db, { operatorId: "nobody", pin: "4321" }, ALICE), code("CT_NOT_FOUND"));
    t.same(await auditActions(db, "S1-001"), ["operator.add", "operator.disable", "operator.enable", "operator.pin"]);
  });

  t.test("reports: daily totals by store and terminal, liability, shortfalls, alerts, terminals", async (t) => {
    await db.query("UPDATE terminals SET store_id = 'S1' WHERE id = $1", [T1.id]);
    await ingestBatch(db, T1.id, T1.batch([T1.sale(ZHANG, 10_000), T1.sale(LI, 2_000), T1.topup(WANG, 5_000)]));
    await ingestBatch(db, T2.id, T2.batch([T2.sale(WANG, 60_000)])); // more than Wang holds: a shortfall
    await bo.topUpAtHq(db, { cardId: ZHANG, amount: 100_000, businessDay: BUSINESS_DAY }, ALICE);
    const daily = await bo.dailyReport(db, { from: BUSINESS_DAY, to: BUSINESS_DAY });
    t.match(daily.rows, [
      { storeId: "HQ", terminalId: null, kind: "topup", count: 1, net: 100_000, bonus: 10_000 },
      { storeId: "S1", terminalId: "T001", kind: "sale", mode: "offline", count: 2, gross: 12_000, net: 8_800 + 1_900 },
      { storeId: "S1", terminalId: "T001", kind: "topup", count: 1, net: 5_000 },
      { storeId: null, terminalId: "T002", kind: "sale", count: 1, net: 60_000 },
    ]);
    t.match(daily.totals, { sale: { count: 3, net: 70_700 }, topup: { count: 2, net: 105_000, bonus: 10_000 } });
    t.equal((await bo.dailyReport(db, { storeId: "S1" })).rows.length, 2);
    t.equal((await bo.dailyReport(db, { terminalId: "T002" })).rows.length, 1);
    t.same((await bo.dailyReport(db, { from: "2030-01-01" })).rows, []);
    await t.rejects(bo.dailyReport(db, { from: "yesterday" }), code("CT_BAD_REQUEST"));

    const wang = demoBalance(WANG) + 5_000 - 60_000;
    const earned = Object.values((await ledgerQueries(db).ledgerTotals()).byCard).reduce((s, c) => s + c.points, 0);
    t.ok(earned > 0);
    const sum = [ZHANG, LI, "ic:0BADCAFE", "id:0012345678"].reduce((s, c) => s + demoBalance(c), 0);
    const liability = sum - 8_800 - 1_900 + 110_000;
    t.same(await bo.liabilityReport(db), {
      accounts: 5,
      liability,
      owed: wang,
      net: liability + wang,
      bonusIssued: 10_000,
      pointsOutstanding: 500 + 120 + 30 + earned,
    });
    t.match(await bo.shortfallReport(db, { open: true }), [{ cardId: WANG, amount: -wang, balanceNow: wang }]);
    t.match(await bo.alertReport(db, { kind: "shortfall" }), [{ kind: "shortfall", terminalId: "T002" }]);
    await recordHeartbeat(db, T1.id, {
      v: 1,
      at: "2025-05-20T10:00:00Z",
      pending: 3,
      policyVersion: 1,
      hotlistVersion: 0,
      devices: {},
    });
    t.match(await bo.terminalReport(db), [
      { terminalId: "T001", storeId: "S1", ackedSeq: 3, pending: 3, behind: true },
      { terminalId: "T002", storeId: null, ackedSeq: 1, pending: null, behind: false },
    ]);
  });

  t.test("pruning keeps recent hotlist deltas; a terminal further behind gets no delta", async (t) => {
    const start = (await ledgerQueries(db).getHotlist()).version;
    for (let i = 0; i < 3; i++) {
      await bo.lossCard(db, { cardId: ZHANG }, ALICE);
      await bo.unlossCard(db, { cardId: ZHANG }, ALICE);
    }
    const top = start + 6;
    t.equal(await pruneHotlistChanges(db, { keepVersions: 2, keepDays: 30 }), 0, "all younger than 30 days: kept");
    t.ok(await hotlistDelta(db, start, top));
    const pruned = await pruneHotlistChanges(db, { keepVersions: 2, keepDays: 0 });
    t.equal(pruned, top - 2, "one row per version up to the cut");
    t.equal(await hotlistDelta(db, top - 3, top), undefined, "from before the cut: the full document");
    // A card's last change in the range decides (hotlist.ts): lost, then found again = removed.
    t.same(await hotlistDelta(db, top - 2, top), {
      v: 1,
      fromVersion: top - 2,
      toVersion: top,
      added: [],
      removed: [ZHANG],
    });
    t.equal(await pruneHotlistChanges(db, { keepVersions: 2, keepDays: 0 }), 0, "idempotent");
  });
}
