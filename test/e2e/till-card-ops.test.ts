/**
 * Every card operation at the till through the local HTTP API, against the real central
 * server (PGlite) and broker: issue to a new and to an existing member (and by a
 * tap), a sub-card sharing the balance, loss / unloss, freeze / unfreeze, replace, level
 * change, recycle, declines with their codes, a repeated request applied once, the audit
 * log naming the till's operator, a slip printed for each — and no journal entry for any
 * of them, so the journal still drains and reconciles to the fen.
 */
import { readFile } from "node:fs/promises";
import t from "tap";
import { cardTypeOf, demoPolicy } from "../../rules/policy.js";
import { priceSale } from "../../rules/pricing.js";
import { listAudit } from "../../server/backoffice/actor.js";
import { decodeEscPos } from "../helpers/escpos-decode.js";
import { waitFor } from "../helpers/wait-for.js";
import { startTillRig } from "./till-rig.js";

const GOLD = "04A1B2C3"; // 张伟, gold (pays 88%), 1000.00
const SILVER = "04D5E6F7"; // 李娜, silver, 300.00
const STANDARD = "0A0B0C0D"; // 王芳, standard, 50.00

t.test("card operations at the till, decided by the server, each with its slip", async (t) => {
  const rig = await startTillRig(t);
  const { call, hq } = rig;
  const cashier = await rig.login("001");
  const boss = await rig.login("900");
  const sale = async (cardUid: string, amount: number) =>
    (await call("POST", "/api/v1/sales", { amount, cardUid }, cashier)).body;
  const serverCard = (uid: string) => hq.ledger.getCard(`ic:${uid}`);
  const slipLines = async (receipt: { previewPng?: string }) => {
    t.ok(receipt.previewPng, "the slip was printed (preview)");
    const bin = await readFile(String(receipt.previewPng).replace(/\.png$/, ".bin"));
    return decodeEscPos(bin).lines.join("\n");
  };

  // Issue to a new member (cashier): a card with nothing on it; money only by top-up.
  const issued = await call(
    "POST",
    "/api/v1/cards",
    { cardUid: "1A2B3C4D", cardType: "silver", member: { name: "赵敏", phone: "139 0000 1234", birthday: "05-20" } },
    cashier,
  );
  t.match(issued, {
    status: 200,
    body: {
      ok: true,
      op: "issue",
      replayed: false,
      card: { id: "ic:1A2B****3C4D", memberName: "赵敏", cardType: "silver", status: "active", balance: 0 },
    },
  });
  t.match(issued.body.memberId, /^M\d+$/, "the server gave the new member an id");
  t.match(
    await slipLines(issued.body.receipt),
    /发卡凭证[\s\S]*赵敏[\s\S]*银卡/,
    "the issue slip names member and card type",
  );
  t.match(await sale("1A2B3C4D", 1_000), { approved: false, code: "INSUFFICIENT_BALANCE" }, "known at once, empty");
  const topup = await call("POST", "/api/v1/topups", { amount: 10_000, cardUid: "1A2B3C4D", payment: "cash" }, cashier);
  t.match(topup.body, { approved: true, balanceAfter: 10_000 });
  t.match(await sale("1A2B3C4D", 2_000), { approved: true, balanceAfter: 10_000 - 1_900 }, "silver pays 95%");

  // Issue to an existing member: a new account of 李娜 (M0002); and by a tap on the reader.
  const second = await call(
    "POST",
    "/api/v1/cards",
    { cardUid: "1A2B3C4E", cardType: "standard", memberId: "M0002" },
    cashier,
  );
  t.match(second.body, { ok: true, memberId: "M0002", card: { memberName: "李娜", balance: 0 } });
  const byTap = call("POST", "/api/v1/cards", { cardType: "standard", memberId: "M0003" }, cashier);
  await new Promise((r) => setTimeout(r, 100));
  rig.reader.tap("3C3C3C3C");
  t.match(
    (await byTap).body,
    { ok: true, card: { id: "ic:3C3C****3C3C", memberName: "王芳" } },
    "the tapped card is issued",
  );

  // Declines with their codes (a 200 decision, in the cashier's words).
  t.match((await call("POST", "/api/v1/cards", { cardUid: GOLD, cardType: "gold", memberId: "M0001" }, cashier)).body, {
    ok: false,
    code: "CARD_ALREADY_ISSUED",
    message: /已发出/,
  });
  t.match(
    (await call("POST", "/api/v1/cards", { cardUid: "1A2B3C4F", cardType: "platinum", memberId: "M0001" }, cashier))
      .body,
    {
      ok: false,
      code: "CARD_TYPE_UNKNOWN",
    },
  );
  t.match(
    (await call("POST", "/api/v1/cards", { cardUid: "1A2B3C4F", cardType: "gold", memberId: "M9999" }, cashier)).body,
    {
      ok: false,
      code: "MEMBER_NOT_FOUND",
    },
  );
  t.match(await call("POST", "/api/v1/cards", { cardUid: "1A2B3C4F", cardType: "gold" }, cashier), {
    status: 400,
    body: { code: "CT_BAD_REQUEST" },
  });

  // A repeated request (same Idempotency-Key) is applied once; the same key for another request is refused.
  const once = { cardUid: "6D6D6D6D", cardType: "standard", member: { name: "孙七", phone: "13900007777" } };
  const key = { "idempotency-key": "pos-req-0001" };
  const first = await call("POST", "/api/v1/cards", once, cashier, key);
  const retry = await call("POST", "/api/v1/cards", once, cashier, key);
  t.match(first.body, { ok: true, replayed: false });
  t.match(retry.body, { ok: true, replayed: true, memberId: first.body.memberId, requestId: "pos-req-0001" });
  const members = await hq.db.query<{ n: number }>("SELECT count(*)::int AS n FROM members WHERE name = '孙七'");
  t.equal(members.rows[0]?.n, 1, "one member made, not two");
  t.equal((await listAudit(hq.db, { subject: "ic:6D6D6D6D" })).length, 1, "one card.issue in the audit log");
  t.match((await call("POST", "/api/v1/cards", { ...once, cardType: "gold" }, cashier, key)).body, {
    ok: false,
    code: "TXN_CONFLICT",
  });

  // Sub-card (cashier): shares the primary's balance; a sale on it debits the shared account.
  const sub = await call(
    "POST",
    `/api/v1/cards/${SILVER}/subcards`,
    { cardUid: "5A5A5A5A", limitMinor: 5_000 },
    cashier,
  );
  t.match(sub.body, {
    ok: true,
    op: "subcard",
    card: { memberName: "李娜", balance: 30_000 },
    primaryCard: { id: "ic:04D5****E6F7" },
  });
  t.match(await slipLines(sub.body.receipt), /附属卡发卡凭证[\s\S]*主卡号/);
  const subSale = await sale("5A5A5A5A", 1_000);
  t.match(subSale, { approved: true, transaction: { net: 950 } });
  t.match(await serverCard(SILVER), { balance: 30_000 - 950 }, "the primary card's account paid");

  // Loss: a supervisor's; refused at this till at once and on the server's hotlist; unloss takes it back.
  t.match(await call("POST", `/api/v1/cards/${STANDARD}/loss`, {}, cashier), {
    status: 403,
    body: { code: "CT_FORBIDDEN" },
  });
  const lost = await call("POST", `/api/v1/cards/${STANDARD}/loss`, { note: "顾客电话挂失" }, boss);
  t.match(lost.body, { ok: true, card: { status: "lost" } });
  t.match(await sale(STANDARD, 500), { approved: false, code: "CARD_NOT_ACTIVE" }, "a lost card is refused at once");
  t.ok((await hq.ledger.getHotlist()).cards.includes(`ic:${STANDARD}`), "the server's hotlist has it");
  t.match(await slipLines(lost.body.receipt), /挂失凭证[\s\S]*顾客电话挂失/);
  t.match((await call("POST", `/api/v1/cards/${STANDARD}/unloss`, {}, boss)).body, {
    ok: true,
    card: { status: "active" },
  });
  t.match(await sale(STANDARD, 500), { approved: true });
  const again = await call("POST", `/api/v1/cards/${STANDARD}/unloss`, {}, boss);
  t.match(
    again.body,
    { ok: false, code: "CARD_STATUS_CONFLICT", card: { status: "active" } },
    "unloss of an active card",
  );

  // Freeze / unfreeze.
  t.match((await call("POST", `/api/v1/cards/${GOLD}/freeze`, undefined, boss)).body, {
    ok: true,
    card: { status: "frozen" },
  });
  t.match(await sale(GOLD, 500), { approved: false, code: "CARD_NOT_ACTIVE" });
  t.match((await call("POST", `/api/v1/cards/${GOLD}/unfreeze`, undefined, boss)).body, {
    ok: true,
    card: { status: "active" },
  });
  t.match(await sale(GOLD, 500), { approved: true });

  // Level change: the next sale is priced by the new card type.
  const policy = demoPolicy();
  const before = await sale(GOLD, 10_000);
  t.equal(before.transaction.net, priceSale(10_000, cardTypeOf(policy, "gold")!).net);
  const level = await call("POST", `/api/v1/cards/${GOLD}/level`, { cardType: "standard", note: "降级" }, boss);
  t.match(level.body, { ok: true, card: { cardType: "standard" } });
  t.match(await slipLines(level.body.receipt), /卡等级变更凭证[\s\S]*金卡[\s\S]*普卡/);
  const after = await sale(GOLD, 10_000);
  t.equal(after.transaction.net, priceSale(10_000, cardTypeOf(policy, "standard")!).net, "no discount now");
  t.not(after.transaction.net, before.transaction.net);
  t.match((await call("POST", `/api/v1/cards/${GOLD}/level`, { cardType: "standard" }, boss)).body, {
    code: "LEVEL_UNCHANGED",
  });

  // Replace: the balance moves to the new card; the old one is refused; the sub-card follows.
  const balance = (await serverCard(SILVER))!.balance;
  const replaced = await call(
    "POST",
    `/api/v1/cards/${SILVER}/replace`,
    { newCardUid: "7B7B7B7B", note: "卡损坏" },
    boss,
  );
  t.match(replaced.body, {
    ok: true,
    card: { id: "ic:7B7B****7B7B", balance, status: "active" },
    previousCard: { status: "replaced" },
  });
  t.match(await slipLines(replaced.body.receipt), /补卡凭证[\s\S]*新卡号/);
  t.match(await sale(SILVER, 500), { approved: false, code: "CARD_NOT_ACTIVE" }, "the old card is refused");
  t.match(await sale("7B7B7B7B", 1_000), { approved: true, balanceAfter: balance - 950 });
  t.equal(
    (await hq.db.query<{ p: string }>("SELECT primary_card_id AS p FROM cards WHERE card_id = 'ic:5A5A5A5A'")).rows[0]
      ?.p,
    "ic:7B7B7B7B",
  );

  // Recycle: refused while a sub-card is in use; then the sub-card, then the card.
  t.match((await call("POST", "/api/v1/cards/7B7B7B7B/recycle", {}, boss)).body, {
    ok: false,
    code: "SUB_CARDS_IN_USE",
  });
  t.match((await call("POST", "/api/v1/cards/5A5A5A5A/recycle", {}, boss)).body, {
    ok: true,
    card: { status: "cancelled" },
  });
  const recycled = await call("POST", "/api/v1/cards/1A2B3C4E/recycle", { note: "退卡" }, boss);
  t.match(recycled.body, { ok: true, card: { status: "cancelled" } });
  t.match(await slipLines(recycled.body.receipt), /退卡回收凭证/);
  t.match(await sale("1A2B3C4E", 100), { approved: false, code: "CARD_NOT_ACTIVE" });

  // The audit log names the till's operator and the till.
  const audit = await listAudit(hq.db, { limit: 500 });
  t.match(
    audit.find((a) => a.action === "card.loss"),
    { actor: "900", via: "till:T001", subject: `ic:${STANDARD}` },
  );
  t.match(
    audit.find((a) => a.action === "card.issue" && a.subject === "ic:1A2B3C4D"),
    { actor: "001", via: "till:T001" },
  );
  t.match(
    audit.find((a) => a.action === "member.create"),
    { via: "till:T001" },
  );

  // Card events are not journal entries: the journal holds the money only, drains and reconciles.
  const kinds = (await call("GET", "/api/v1/transactions", undefined, boss)).body.transactions.map(
    (x: { kind: string }) => x.kind,
  );
  t.same([...new Set(kinds)].sort(), ["sale", "topup"]);
  await waitFor("the journal to drain", async () => rig.agent.ledger.pending().length === 0, 20_000);
  await hq.idle();
  t.same(await hq.ledger.reconcile(), [], "every account equals its opening balance plus its transactions");
  t.same(await hq.ledger.listAlerts(), []);
  const slips = (await call("GET", "/api/v1/receipts")).body.receipts.filter(
    (r: { template: string }) => r.template === "card-event",
  );
  t.equal(slips.length, 13, "one slip for each card operation done (the repeated request reprinted its own)");
});
