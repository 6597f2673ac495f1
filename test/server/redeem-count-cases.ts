/**
 * Points redemption, count-card uses, sub-card limits and the PIN at the server:
 * decided online by authorise() against the ledger, applied exactly once by the journal
 * ingest, over-spends by tills offline alerted and never rejected, and reconcile() squares
 * every account, its points and its packages afterwards.
 */
import type { Test } from "tap";
import type { JournalEntry } from "../../protocol/journal-entry.js";
import type { AuthReply, AuthRequest } from "../../protocol/messages.js";
import { issueCard } from "../../server/backoffice/card-issue.js";
import { grantPackage } from "../../server/backoffice/count-packages.js";
import { topUpAtHq } from "../../server/backoffice/top-up.js";
import type { Db } from "../../server/db/db.js";
import { authorise } from "../../server/ledger/authorise.js";
import { ingestBatch } from "../../server/ledger/ingest.js";
import { ledgerQueries } from "../../server/ledger/queries.js";
import { findTransaction } from "../../server/ledger/transactions.js";
import { ALICE, resetBackoffice, WANG, ZHANG } from "./backoffice-fixture.js";
import { T1, T2 } from "./ledger-fixture.js";
import { BUSINESS_DAY, type TestTerminal } from "./test-terminal.js";

const LI = "ic:04D5E6F7"; // silver, 300.00, 120 points

export function redeemCountCases(t: Test, db: Db): void {
  const q = ledgerQueries(db);
  t.beforeEach(() => resetBackoffice(db));

  async function auth(req: AuthRequest, now?: () => number): Promise<AuthReply> {
    const out = await authorise(db, req, now);
    if (!out.ok) throw new Error(out.reason);
    return out.reply;
  }
  const ask = (cardId: string, gross: number, extra: Partial<AuthRequest> = {}): AuthRequest => ({
    ...T1.authRequest(cardId, gross),
    ...extra,
  });
  async function ingest(entries: JournalEntry[], terminal: TestTerminal = T1) {
    const out = await ingestBatch(db, terminal.id, terminal.batch(entries));
    if (!out.ok) throw new Error(out.reason);
    return out;
  }
  const grant = (uses: number, extra: { expiresOn?: string; cardId?: string } = {}) =>
    grantPackage(db, { cardId: extra.cardId ?? ZHANG, service: "洗车", uses, expiresOn: extra.expiresOn }, ALICE);

  t.test("online, points pay part of the bill at the policy's rate and leave the account once", async (t) => {
    // gold: 88折, 1 point = 1 fen, at most half the bill; 1 point earned per 20 yuan paid.
    const req = ask(ZHANG, 10_000, { redeemPoints: 300 });
    const reply = await auth(req);
    t.match(reply, { approved: true, gross: 10_000, discount: 1_200, pointsRedeemed: 300, redeemedMinor: 300 });
    t.match(reply, { net: 8_500, pointsEarned: 4, balanceAfter: 100_000 - 8_500 });
    t.match(reply.card, { points: 500 - 300 + 4, balance: 91_500 });
    t.match(await q.getCard(ZHANG), { points: 204, balance: 91_500 });
    t.match(await findTransaction(db, req.txnId), { pointsRedeemed: 300, redeemedMinor: 300, points: 4 });
    const again = await auth({ ...req, corr: "retry" });
    t.same({ ...again, corr: req.corr }, { ...reply, card: again.card }, "a repeat gets the same figures");
    t.match(await q.getCard(ZHANG), { points: 204, balance: 91_500 }, "and moves nothing again");
    t.same(await q.reconcile(), []);
  });

  t.test("online, the share cap cuts a redemption; more than the member holds is declined", async (t) => {
    const capped = await auth(ask(ZHANG, 1_000, { redeemPoints: 500 }));
    t.match(capped, { approved: true, pointsRedeemed: 440, redeemedMinor: 440, net: 440 }, "half of the 8.80 bill");
    const tooMany = await auth(ask(LI, 10_000, { redeemPoints: 121 }));
    t.match(tooMany, { approved: false, code: "POINTS_INSUFFICIENT", card: { points: 120 } });
    const unsynced = await auth(ask(LI, 10_000, { redeemPoints: 100, unsyncedOfflinePoints: 30 }));
    t.match(unsynced, { approved: false, code: "POINTS_INSUFFICIENT" }, "points the till spent offline are spent");
    const standard = await auth(ask(WANG, 1_000, { redeemPoints: 1 }));
    t.match(standard, { approved: false, code: "POINTS_NOT_REDEEMABLE" }, "普卡 has no redemption rule");
    t.match(await q.getCard(LI), { points: 120, balance: 30_000 }, "declines move nothing");
    t.same(await q.reconcile(), []);
  });

  t.test("online, a count use of 0 yuan takes uses off the account's package until none are left", async (t) => {
    const pkg = await grant(2);
    const use = (extra: Partial<AuthRequest> = {}) =>
      auth(ask(ZHANG, 0, { countUse: { packageId: pkg.packageId, uses: 1 }, ...extra }));
    const first = await use();
    t.match(first, { approved: true, net: 0, balanceAfter: 100_000 });
    t.match(first, { countUse: { packageId: pkg.packageId, service: "洗车", uses: 1, remainingUses: 1 } });
    t.match(first.card?.packages, [{ packageId: pkg.packageId, remainingUses: 1 }], "the till sees 剩 1 次");
    const spentOffline = await use({ unsyncedOfflineUses: 1 });
    t.match(spentOffline, { approved: false, code: "COUNT_EXHAUSTED" }, "the till's unsynced use counts");
    t.match(await use(), { approved: true, countUse: { remainingUses: 0 } });
    t.match(await use(), { approved: false, code: "COUNT_EXHAUSTED" });
    const withMoney = await auth(ask(ZHANG, 2_500, { countUse: { packageId: pkg.packageId, uses: 1 } }));
    t.match(withMoney, { approved: false, code: "COUNT_EXHAUSTED" }, "a sale with a use is declined whole");
    t.match(await q.getCard(ZHANG), { balance: 100_000, packages: [{ remainingUses: 0 }] });
    t.same(await q.reconcile(), []);
  });

  t.test("online, a package of another account, an unknown or an expired one is declined", async (t) => {
    const theirs = await grant(5, { cardId: LI });
    const old = await grant(5, { expiresOn: "2025-05-19" });
    const lastDay = await grant(5, { expiresOn: BUSINESS_DAY });
    const use = (packageId: string) => auth(ask(ZHANG, 0, { countUse: { packageId, uses: 1 } }));
    t.match(await use(theirs.packageId), { approved: false, code: "COUNT_PACKAGE_UNKNOWN" });
    t.match(await use("P999999"), { approved: false, code: "COUNT_PACKAGE_UNKNOWN" });
    t.match(await use(old.packageId), { approved: false, code: "COUNT_EXPIRED" });
    t.match(await use(lastDay.packageId), { approved: true }, "the expiry day itself is still valid");
  });

  t.test("online, a sub-card's limits from head office hold per payment and per business day", async (t) => {
    const SUB = "ic:5B5B5B01";
    await issueCard(db, { cardId: SUB, primaryCardId: ZHANG, perTxnLimit: 5_000, dailyLimit: 8_000 }, ALICE);
    const big = await auth(ask(SUB, 6_000)); // gold: net 52.80 > 50.00
    t.match(big, { approved: false, code: "SUB_CARD_LIMIT_TXN" });
    const first = await auth(ask(SUB, 5_000)); // net 44.00
    t.match(first, { approved: true, net: 4_400 });
    t.match(first.card?.subCard, { primaryCardId: ZHANG, perTxnLimit: 5_000, dailyLimit: 8_000, spentToday: 4_400 });
    t.match(await auth(ask(SUB, 5_000)), { approved: false, code: "SUB_CARD_LIMIT_DAY" }, "44 + 44 > 80");
    const offline = await auth(ask(SUB, 1_000, { unsyncedOfflineMinor: 3_000 }));
    t.match(offline, { approved: false, code: "SUB_CARD_LIMIT_DAY" }, "44 + 30 unsynced + 8.80 > 80");
    t.match(await auth(ask(SUB, 1_000)), { approved: true }, "44 + 8.80 fits");
    const tomorrow = { ...T1.authRequest(SUB, 5_000, { businessDay: "2025-05-21" }) };
    t.match(await auth(tomorrow), { approved: true }, "a new business day starts from zero");
    t.match(await auth(ask(ZHANG, 50_000)), { approved: true }, "the primary card has no such limit");
  });

  t.test(
    "online, a till's unsynced offline spend is the account's for the balance, the card's own for its day",
    async (t) => {
      const SUB = "ic:5B5B5B02";
      await issueCard(db, { cardId: SUB, primaryCardId: ZHANG, perTxnLimit: null, dailyLimit: 8_000 }, ALICE);
      const balance = (await q.getCard(ZHANG))?.balance ?? 0;
      const tooMuch = { unsyncedOfflineMinor: balance - 500, unsyncedOfflineCardMinor: 0 };
      t.match(
        await auth(ask(SUB, 1_000, tooMuch)),
        { approved: false, code: "INSUFFICIENT_BALANCE" },
        "net 8.80 > 5.00 left",
      );
      const dayFull = { unsyncedOfflineMinor: 7_200, unsyncedOfflineCardMinor: 7_200 };
      t.match(await auth(ask(SUB, 1_000, dayFull)), { approved: false, code: "SUB_CARD_LIMIT_DAY" }, "72 + 8.80 > 80");
      // The primary spent 72.00 offline: the sub-card's own day is untouched by it.
      const primarySpent = { unsyncedOfflineMinor: 7_200, unsyncedOfflineCardMinor: 0 };
      t.match(await auth(ask(SUB, 1_000, primarySpent)), { approved: true, net: 880 });
      const olderTill = { unsyncedOfflineMinor: 7_200 };
      t.match(
        await auth(ask(SUB, 1_000, olderTill)),
        { approved: false, code: "SUB_CARD_LIMIT_DAY" },
        "an older till's figure is the card's own",
      );
    },
  );

  t.test("online, offline sales on cards the till could not place count when they are on the account", async (t) => {
    const ID_CARD = "id:0099887766"; // 张伟's second card, on his account
    await issueCard(db, { cardId: ID_CARD, accountId: "A0001", cardType: "gold" }, ALICE);
    const balance = (await q.getCard(ZHANG))?.balance ?? 0;
    const spentOnIc = { unsyncedOfflineOthers: [{ cardId: ZHANG, minor: balance - 500, points: 0 }] };
    t.match(
      await auth(ask(ID_CARD, 1_000, spentOnIc)),
      { approved: false, code: "INSUFFICIENT_BALANCE" },
      "the till did not know the ID card; the server knows both are one account",
    );
    const elsewhere = { unsyncedOfflineOthers: [{ cardId: LI, minor: balance, points: 0 }] };
    t.match(await auth(ask(ID_CARD, 1_000, elsewhere)), { approved: true }, "another member's card is not counted");
  });

  t.test("online, a PIN set at head office is checked above the card type's threshold", async (t) => {
    const PIN_CARD = "ic:919191A1";
    await issueCard(db, { cardId: PIN_CARD, accountId: "A0001", cardType: "gold", pin: "246810" }, ALICE);
    await topUpAtHq(db, { cardId: PIN_CARD, amount: 500_000 }, ALICE);
    let clock = Date.parse("2025-05-20T04:00:00Z");
    const now = () => clock;
    const pay = (pin?: string) => auth(ask(PIN_CARD, 120_000, pin === undefined ? {} : { pin }), now); // net 1056.00
    const small = await auth(ask(PIN_CARD, 1_000), now);
    t.match(small, { approved: true, card: { hasPin: true } }, "below the threshold no PIN is asked");
    t.match(small.card?.pinHash, /^scrypt\$/, "the till gets the PIN's hash (its verifier), never the PIN");
    t.match(await pay(), { approved: false, code: "PIN_REQUIRED" });
    t.match(await pay("111111"), { approved: false, code: "PIN_WRONG" });
    t.match(await pay("246810"), { approved: true }, "the right PIN approves and resets the count");
    for (let i = 0; i < 4; i++) t.match(await pay("000000"), { approved: false, code: "PIN_WRONG" });
    t.match(await pay("000000"), { approved: false, code: "PIN_LOCKED" }, "the fifth wrong PIN in a row locks");
    t.match(await pay("246810"), { approved: false, code: "PIN_LOCKED" }, "even the right PIN while locked");
    clock += 24 * 3600_000;
    t.match(await pay("246810"), { approved: true }, "the lock ends after the policy's lock-out");
    t.match(await auth(ask(ZHANG, 120_000), now), { approved: true, card: { hasPin: false } }, "no PIN on file");
    t.notOk((await q.getCard(ZHANG))?.pinHash, "a card without a PIN sends no verifier");
    t.same(await q.reconcile(), []);
  });

  t.test("ingest applies offline redemptions and uses exactly once, however often they arrive", async (t) => {
    const pkg = await grant(10);
    const entries = [
      T1.next({
        kind: "sale",
        cardId: ZHANG,
        gross: 10_000,
        discount: 1_200,
        net: 8_500,
        pointsEarned: 4,
        pointsRedeemed: 300,
        redeemedMinor: 300,
      }),
      T1.next({ kind: "sale", cardId: ZHANG, gross: 0, net: 0, countPackageId: pkg.packageId, countUses: 2 }),
      T1.next({ kind: "sale", cardId: ZHANG, gross: 0, net: 0, countPackageId: pkg.packageId, countUses: 1 }),
    ];
    t.match(await ingest(entries), { applied: 3, ack: { ackedSeq: 3 } });
    t.match(await ingest([...entries].reverse()), { applied: 0, duplicates: 3 });
    t.match(await q.getCard(ZHANG), { balance: 91_500, points: 204, packages: [{ remainingUses: 7 }] });
    t.match(await findTransaction(db, entries[1]!.txnId), { packageId: pkg.packageId, uses: 2, net: 0 });
    t.same(await q.listAlerts(), []);
    t.same(await q.reconcile(), []);
  });

  t.test("a sale approved online and journaled by the till is applied once, uses included", async (t) => {
    const pkg = await grant(3);
    const req = ask(ZHANG, 1_000, { redeemPoints: 100, countUse: { packageId: pkg.packageId, uses: 1 } });
    const r = await auth(req);
    if (!r.approved) throw new Error("expected an approval");
    const entry = T1.next({
      kind: "sale",
      mode: "online",
      txnId: req.txnId,
      cardId: ZHANG,
      gross: r.gross,
      discount: r.discount,
      net: r.net,
      pointsEarned: r.pointsEarned,
      pointsRedeemed: r.pointsRedeemed,
      redeemedMinor: r.redeemedMinor,
      countPackageId: pkg.packageId,
      countUses: 1,
      balanceAfter: r.balanceAfter,
    });
    t.match(await ingest([entry]), { applied: 1 });
    t.match(await q.getCard(ZHANG), { points: 500 - 100, packages: [{ remainingUses: 2 }] });
    t.same(await q.listAlerts(), [], "the journal agrees with the online record");
    t.same(await q.reconcile(), []);
  });

  t.test("offline over-redemption and over-use by two tills are recorded and alerted, not rejected", async (t) => {
    const pkg = await grant(1);
    const redeem = (term: TestTerminal) =>
      term.next({
        kind: "sale",
        cardId: ZHANG,
        gross: 1_000,
        discount: 120,
        net: 480,
        pointsRedeemed: 400,
        redeemedMinor: 400,
      });
    const use = (term: TestTerminal) =>
      term.next({ kind: "sale", cardId: ZHANG, gross: 0, net: 0, countPackageId: pkg.packageId, countUses: 1 });
    t.match(await ingest([redeem(T1), use(T1)]), { applied: 2 });
    t.same(await q.listAlerts(), [], "the first till's are covered");
    const second = [redeem(T2), use(T2)];
    t.match(await ingest(second, T2), { applied: 2, ack: { ackedSeq: 2, rejected: [] } });
    t.match(await q.listAlerts(), [
      { kind: "points-shortfall", terminalId: "T002", txnId: second[0]!.txnId },
      { kind: "count-shortfall", terminalId: "T002", txnId: second[1]!.txnId },
    ]);
    t.match(
      await q.getCard(ZHANG),
      { points: 500 - 800, packages: [{ remainingUses: -1 }] },
      "the ledger shows the debt",
    );
    t.same(await q.reconcile(), [], "and still squares with its transactions");
  });

  t.test("reconcile() names a package whose uses do not match its transactions", async (t) => {
    const pkg = await grant(4);
    await db.query("UPDATE count_packages SET remaining_uses = 9 WHERE package_id = $1", [pkg.packageId]);
    t.match(await q.reconcile(), [
      { accountId: "A0001", packages: [{ packageId: pkg.packageId, remainingUses: 9, expectedRemainingUses: 4 }] },
    ]);
  });
}
