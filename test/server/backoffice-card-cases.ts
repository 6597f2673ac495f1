/**
 * The card operations of the back office: issue, sub-cards, loss / unloss /
 * freeze / unfreeze / recycle, replace, level, top-up — run on PGlite
 * (backoffice.test.ts) and on PostgreSQL 15 (backoffice-postgres.test.ts).
 */
import type { Test } from "tap";
import { parseMoney } from "../../rules/money.js";
import { verifyPin } from "../../rules/pin.js";
import * as bo from "../../server/backoffice/index.js";
import type { Db } from "../../server/db/db.js";
import { authorise } from "../../server/ledger/authorise.js";
import { hotlistDelta } from "../../server/ledger/hotlist.js";
import { ledgerQueries } from "../../server/ledger/queries.js";
import { ALICE, auditActions, code, FROZEN, LI, resetBackoffice, WANG, ZHANG } from "./backoffice-fixture.js";
import { T1 } from "./ledger-fixture.js";
import { demoBalance } from "./test-terminal.js";

export function cardCases(t: Test, db: Db): void {
  const q = ledgerQueries(db);
  t.beforeEach(() => resetBackoffice(db));
  const sale = async (cardId: string, gross: number) => {
    const out = await authorise(db, T1.authRequest(cardId, gross));
    if (!out.ok) throw new Error(out.reason);
    return out.reply;
  };

  t.test("a card issued to a new member has an empty account of its own, a hashed PIN and an audit row", async (t) => {
    const { card, hotlistVersion } = await bo.issueCard(
      db,
      { cardId: "ic:11223344", cardType: "silver", member: { name: "赵敏", phone: "139 0000 1111" }, pin: "2468" },
      ALICE,
    );
    t.match(card, { cardId: "ic:11223344", memberId: "M100001", accountId: "A100001", status: "active" });
    t.match(card, { cardType: "silver", balance: 0, points: 0, hasPin: true, hotlisted: false });
    t.equal(hotlistVersion, null);
    const { rows } = await db.query<{ pin_hash: string }>("SELECT pin_hash FROM cards WHERE card_id = $1", [
      card.cardId,
    ]);
    t.ok(verifyPin("2468", rows[0]!.pin_hash), "the stored hash verifies the PIN");
    t.notOk(verifyPin("1357", rows[0]!.pin_hash));
    t.same(await auditActions(db, "M100001"), ["member.create"]);
    t.same(await auditActions(db, "ic:11223344"), ["card.issue"]);
    t.match(await bo.getMember(db, "M100001"), { name: "赵敏", phone: "13900001111" });
  });

  t.test("issue refuses an unknown card type, a card already issued, and an ambiguous holder", async (t) => {
    await t.rejects(
      bo.issueCard(db, { cardId: "ic:55", cardType: "platinum", memberId: "M0001" }, ALICE),
      code("CT_BAD_REQUEST"),
    );
    await t.rejects(
      bo.issueCard(db, { cardId: ZHANG, cardType: "gold", memberId: "M0002" }, ALICE),
      code("CT_CONFLICT"),
    );
    await t.rejects(
      bo.issueCard(db, { cardId: "ic:56", cardType: "gold", memberId: "M0002", accountId: "A0002" }, ALICE),
      code("CT_BAD_REQUEST"),
    );
    await t.rejects(
      bo.issueCard(db, { cardId: "ic:57", cardType: "gold", memberId: "M9999" }, ALICE),
      code("CT_NOT_FOUND"),
    );
    const second = await bo.issueCard(db, { cardId: "ic:58", cardType: "standard", accountId: "A0001" }, ALICE);
    t.match(second.card, { accountId: "A0001", balance: demoBalance(ZHANG), memberName: "张伟" });
    t.equal((await q.ledgerTotals()).count, 0, "no money moved");
  });

  t.test("a sub-card shares the primary's balance and keeps its own limits", async (t) => {
    const { card } = await bo.issueCard(
      db,
      { cardId: "ic:5B5B5B5B", primaryCardId: ZHANG, perTxnLimit: parseMoney("50"), dailyLimit: parseMoney("200") },
      ALICE,
    );
    t.match(card, {
      accountId: "A0001",
      cardType: "gold",
      primaryCardId: ZHANG,
      perTxnLimit: 5_000,
      dailyLimit: 20_000,
    });
    t.match(await sale(card.cardId, 1_000), { approved: true, net: 880 });
    t.match(await q.getCard(ZHANG), { balance: demoBalance(ZHANG) - 880 }, "the primary's balance paid");
    await t.rejects(bo.issueCard(db, { cardId: "ic:5C", primaryCardId: card.cardId }, ALICE), code("CT_CONFLICT"));
    await t.rejects(
      bo.issueCard(db, { cardId: "ic:5D", cardType: "gold", memberId: "M0001", dailyLimit: 1 }, ALICE),
      code("CT_BAD_REQUEST"),
    );
    const changed = await bo.setSubCardLimits(
      db,
      { cardId: card.cardId, perTxnLimit: null, dailyLimit: 10_000 },
      ALICE,
    );
    t.match(changed.card, { perTxnLimit: null, dailyLimit: 10_000 });
    await t.rejects(
      bo.setSubCardLimits(db, { cardId: ZHANG, perTxnLimit: 1, dailyLimit: null }, ALICE),
      code("CT_CONFLICT"),
    );
    await t.rejects(bo.recycleCard(db, { cardId: ZHANG }, ALICE), /sub-cards in use \(ic:5B5B5B5B\)/);
  });

  t.test("loss and unloss move the card on and off the hotlist, one version each, as deltas", async (t) => {
    const before = (await q.getHotlist()).version;
    const lost = await bo.lossCard(db, { cardId: ZHANG, note: "member called" }, ALICE);
    t.equal(lost.hotlistVersion, before + 1);
    t.match(lost.card, { status: "lost", hotlisted: true });
    t.same(await hotlistDelta(db, before, before + 1), {
      v: 1,
      fromVersion: before,
      toVersion: before + 1,
      added: [ZHANG],
      removed: [],
    });
    t.match(await sale(ZHANG, 100), { approved: false, code: "CARD_NOT_ACTIVE" });
    await t.rejects(bo.lossCard(db, { cardId: ZHANG }, ALICE), /cannot loss card ic:04A1B2C3: it is lost/);
    const back = await bo.unlossCard(db, { cardId: ZHANG }, ALICE);
    t.equal(back.hotlistVersion, before + 2);
    t.match(back.card, { status: "active", hotlisted: false });
    t.match(await hotlistDelta(db, before + 1, before + 2), { added: [], removed: [ZHANG] });
    t.match(await hotlistDelta(db, before, before + 2), { added: [], removed: [ZHANG] }, "the net change over both");
    t.notOk((await q.getHotlist()).cards.includes(ZHANG));
    t.same(await auditActions(db, ZHANG), ["card.loss", "card.unloss"]);
  });

  t.test("freeze, unfreeze and recycle follow their allowed statuses; a recycled card is issued again", async (t) => {
    await t.rejects(bo.freezeCard(db, { cardId: FROZEN }, ALICE), code("CT_CONFLICT"));
    t.match((await bo.unfreezeCard(db, { cardId: FROZEN }, ALICE)).card, { status: "active", hotlisted: false });
    t.match((await bo.freezeCard(db, { cardId: WANG }, ALICE)).card, { status: "frozen", hotlisted: true });
    await t.rejects(bo.unlossCard(db, { cardId: WANG }, ALICE), code("CT_CONFLICT"));
    const recycled = await bo.recycleCard(db, { cardId: WANG }, ALICE);
    t.match(recycled.card, { status: "cancelled", hotlisted: true });
    t.equal(recycled.hotlistVersion, null, "already listed (frozen): no new version");
    t.ok((await q.getHotlist()).cards.includes(WANG));
    await t.rejects(bo.unfreezeCard(db, { cardId: WANG }, ALICE), code("CT_CONFLICT"));
    const again = await bo.issueCard(db, { cardId: WANG, cardType: "gold", member: { name: "新会员" } }, ALICE);
    t.match(again.card, { status: "active", accountId: "A100001", balance: 0, cardType: "gold", hotlisted: false });
    t.ok(again.hotlistVersion, "taken off the hotlist under a new version");
    t.match(await q.getAccountBalance("A0003"), { balance: demoBalance(WANG) }, "the old account keeps its money");
    t.same(await auditActions(db, WANG), ["card.freeze", "card.recycle", "card.reissue"]);
  });

  t.test("replace moves the account to the new card, hotlists the old one and re-points sub-cards", async (t) => {
    await bo.issueCard(db, { cardId: "ic:5B5B", primaryCardId: ZHANG }, ALICE);
    await bo.lossCard(db, { cardId: ZHANG }, ALICE);
    const v = (await q.getHotlist()).version;
    const r = await bo.replaceCard(db, { cardId: ZHANG, newCardId: "ic:0E0E0E0E" }, ALICE);
    t.match(r.card, {
      cardId: "ic:0E0E0E0E",
      status: "active",
      accountId: "A0001",
      balance: demoBalance(ZHANG),
      points: 500,
    });
    t.match(r.old, { status: "replaced", replacedBy: "ic:0E0E0E0E", hotlisted: true });
    t.equal(r.hotlistVersion, null, "the lost card was already listed; the new card is not");
    t.equal((await q.getHotlist()).version, v);
    t.match(await bo.getCardDetail(db, "ic:5B5B"), { primaryCardId: "ic:0E0E0E0E" });
    t.match(await sale("ic:0E0E0E0E", 1_000), { approved: true, balanceAfter: demoBalance(ZHANG) - 880 });
    t.match(await sale(ZHANG, 1_000), { approved: false, code: "CARD_NOT_ACTIVE" });
    await t.rejects(bo.replaceCard(db, { cardId: ZHANG, newCardId: "ic:0F" }, ALICE), code("CT_CONFLICT"));
    await t.rejects(bo.replaceCard(db, { cardId: LI, newCardId: "ic:0E0E0E0E" }, ALICE), /already issued/);
    const active = await bo.replaceCard(db, { cardId: LI, newCardId: "ic:0F0F", pin: "9999" }, ALICE);
    t.equal(active.hotlistVersion, v + 1, "an active card replaced goes on the hotlist");
    t.match(active.card, { hasPin: true, cardType: "silver" });
  });

  t.test("a level change re-prices the card's next sale", async (t) => {
    const r = await bo.changeCardLevel(db, { cardId: LI, cardType: "gold" }, ALICE);
    t.match(r.card, { cardType: "gold" });
    t.match(await sale(LI, 10_000), { approved: true, net: 8_800 });
    await t.rejects(bo.changeCardLevel(db, { cardId: LI, cardType: "gold" }, ALICE), code("CT_CONFLICT"));
    await t.rejects(bo.changeCardLevel(db, { cardId: LI, cardType: "vip" }, ALICE), code("CT_BAD_REQUEST"));
    t.same(await auditActions(db, LI), ["card.level"]);
  });

  t.test("a head-office top-up earns its tier's bonus, once per txnId, and reconciles", async (t) => {
    const r = await bo.topUpAtHq(db, { cardId: WANG, amount: parseMoney("1000"), txnId: "hq-t1" }, ALICE);
    t.match(r, {
      applied: true,
      amount: 100_000,
      bonus: 10_000,
      bonusPoints: 0,
      balanceAfter: demoBalance(WANG) + 110_000,
    });
    const again = await bo.topUpAtHq(db, { cardId: WANG, amount: parseMoney("1000"), txnId: "hq-t1" }, ALICE);
    t.match(again, { applied: false, balanceAfter: r.balanceAfter });
    t.match(await q.getCard(WANG), { balance: demoBalance(WANG) + 110_000 }, "credited once");
    const big = await bo.topUpAtHq(db, { cardId: WANG, amount: parseMoney("5000") }, ALICE);
    t.match(big, { bonus: 0, bonusPoints: 5000 });
    t.match(big.txnId, /^hq-[0-9a-f-]{36}$/);
    t.match(await q.getCard(WANG), { balance: demoBalance(WANG) + 610_000, points: 5000 });
    t.same(await q.reconcile(), [], "balances equal opening + transactions");
    const { rows } = await db.query("SELECT terminal_id, source, mode FROM transactions WHERE txn_id = 'hq-t1'");
    t.same(rows, [{ terminal_id: null, source: "hq", mode: "online" }]);
    await t.rejects(bo.topUpAtHq(db, { cardId: WANG, amount: 100, txnId: "hq-t1" }, ALICE), /already used/);
    await t.rejects(bo.topUpAtHq(db, { cardId: FROZEN, amount: 100 }, ALICE), code("CT_CONFLICT"));
    await t.rejects(bo.topUpAtHq(db, { cardId: WANG, amount: 0 }, ALICE), code("CT_AMOUNT_INVALID"));
    await t.rejects(bo.topUpAtHq(db, { cardId: WANG, amount: 1.5 }, ALICE), code("CT_AMOUNT_INVALID"));
  });

  t.test("a top-up covering a shortfall takes the account's cards off the hotlist", async (t) => {
    await db.query("UPDATE accounts SET balance = -500, opening_balance = -500 WHERE id = 'A0003'");
    await bo.issueCard(db, { cardId: "ic:5A5A", primaryCardId: WANG }, ALICE);
    const { ingestBatch } = await import("../../server/ledger/ingest.js");
    await ingestBatch(db, T1.id, T1.batch([T1.sale(WANG, 100)]));
    const listed = await q.getHotlist();
    t.ok(listed.cards.includes(WANG) && listed.cards.includes("ic:5A5A"), "shortfall listed both cards");
    const r = await bo.topUpAtHq(db, { cardId: WANG, amount: 1_000 }, ALICE);
    t.equal(r.balanceAfter, 400);
    t.equal(r.hotlistVersion, listed.version + 1);
    t.match(await hotlistDelta(db, listed.version, listed.version + 1), { removed: ["ic:0A0B0C0D", "ic:5A5A"].sort() });
  });
}
