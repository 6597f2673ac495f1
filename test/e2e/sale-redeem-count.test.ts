/**
 * A sale with points redemption and count-card uses end to end through the local HTTP API
 * (issue 7), with the real central server on PGlite, the embedded broker (aedes) and the
 * agent: online redemption and use; the broker goes away — offline redemption within the
 * cached points, one beyond them declined; offline uses until the package is exhausted;
 * a receipt for each, decoded from the printed bytes; a `tap` event for each sale's card;
 * the broker returns, the journal drains, and the server and the till agree on balance,
 * points and uses left, with reconcile() empty and no alert.
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import t from "tap";
import { DEMO_OPERATORS } from "../../agent/demo/demo-operators.js";
import { previewFileStem } from "../../drivers/printer/preview-printer.js";
import { grantPackage } from "../../server/backoffice/count-packages.js";
import { decodeEscPos } from "../helpers/escpos-decode.js";
import { startRig } from "../helpers/rig.js";
import { waitFor } from "../helpers/wait-for.js";

const GOLD = "04A1B2C3"; // 张伟, gold (88折; points pay up to half the bill, 1 point = 1 fen), 1000.00, 500 points
const CARD = `ic:${GOLD}`;
const TOKEN = "pos-app-token-redeem-0123";

t.test("points redemption and count uses, online and offline, reconciled exactly once", async (t) => {
  const rig = await startRig(t, { agent: "none" });
  const { hq, broker } = rig;
  const wash = await grantPackage(hq.db, { cardId: CARD, service: "洗车", uses: 3 }, { id: "hq-test", via: "cli" });
  const { agent, api, previewDir } = await rig.startAgent({
    apiToken: TOKEN,
    operators: DEMO_OPERATORS,
    preview: true,
    deps: { receiptWaitMs: 10_000 },
  });
  const call = api.call;
  const status = () => api.status();
  const cashier = (await call("POST", "/api/v1/sessions", { operatorId: "001", pin: "1234" })).body.session;
  const sell = (body: Record<string, unknown>) => call("POST", "/api/v1/sales", { cardUid: GOLD, ...body }, cashier);
  /** What the printer put on paper for a transaction (the preview's raw ESC/POS, decoded). */
  const printed = async (txnId: string) =>
    decodeEscPos(await readFile(join(previewDir, `${previewFileStem(txnId)}.bin`))).lines.join("\n");

  const events = await api.events();
  t.teardown(() => events.close());

  // 1. Online: 300 points pay 3.00 of the 88.00 bill; points are earned on the 85.00 paid.
  const redeem = await sell({ amount: 10_000, redeemPoints: 300 });
  t.match(redeem.body, {
    approved: true,
    mode: "online",
    transaction: {
      gross: 10_000,
      discount: 1_200,
      pointsRedeemed: 300,
      redeemedMinor: 300,
      net: 8_500,
      pointsEarned: 4,
    },
    balanceAfter: 91_500,
    receipt: { printed: true },
  });
  const saleSlip = await printed(redeem.body.txnId);
  t.match(saleSlip, /积分抵扣\s+-￥3\.00/, "the receipt shows the points' cash value");
  t.match(saleSlip, /使用积分\s+-300/);
  t.match(saleSlip, /积分余额\s+204/);
  t.match(saleSlip, /实付\s+￥?85\.00/);

  // 2. Online: a count use alone, 0 yuan.
  const use = await sell({ amount: 0, countUse: { packageId: wash.packageId } });
  t.match(use.body, {
    approved: true,
    mode: "online",
    transaction: { net: 0, countUse: { packageId: wash.packageId, service: "洗车", uses: 1, remainingUses: 2 } },
    balanceAfter: 91_500,
  });
  const useSlip = await printed(use.body.txnId);
  t.match(useSlip, /次卡核销/, "the count-use receipt");
  t.match(useSlip, /剩余次数\s+2/);
  t.match(await hq.ledger.getCard(CARD), { balance: 91_500, points: 204, packages: [{ remainingUses: 2 }] });
  await waitFor("the online entries acknowledged", async () => (await status()).journal.pending === 0);

  // 3. Offline: redeem only what the till knows of — 204 cached, minus its own unsynced.
  await broker.stop();
  await waitFor("agent to notice the broker is gone", async () => !(await status()).broker.connected);
  const off1 = await sell({ amount: 5_000, redeemPoints: 150 });
  t.match(off1.body, { approved: true, mode: "offline", transaction: { pointsRedeemed: 150, net: 4_250 } });
  t.match(await printed(off1.body.txnId), /积分抵扣\s+-￥1\.50/);
  const beyond = await sell({ amount: 5_000, redeemPoints: 55 });
  t.match(beyond.body, { approved: false, mode: "offline", code: "POINTS_INSUFFICIENT", reason: "积分不足，无法抵扣" });
  const exact = await sell({ amount: 5_000, redeemPoints: 54 });
  t.match(exact.body, { approved: true, mode: "offline", transaction: { pointsRedeemed: 54, net: 4_346 } });

  // 4. Offline: the two uses left, one with a paid item; then none.
  const offUse = await sell({ amount: 0, countUse: { packageId: wash.packageId } });
  t.match(offUse.body, { approved: true, mode: "offline", transaction: { countUse: { remainingUses: 1 } } });
  t.match(await printed(offUse.body.txnId), /剩余次数\s+1/);
  const paidUse = await sell({ amount: 2_500, countUse: { packageId: wash.packageId, uses: 1 } });
  t.match(paidUse.body, {
    approved: true,
    mode: "offline",
    transaction: { net: 2_200, countUse: { remainingUses: 0 } },
  });
  const paidSlip = await printed(paidUse.body.txnId);
  t.match(paidSlip, /实付\s+￥?22\.00/, "a paid sale with a use prints the sale receipt");
  t.match(paidSlip, /次卡项目\s+洗车/);
  t.match(paidSlip, /剩余次数\s+0/);
  const exhausted = await sell({ amount: 0, countUse: { packageId: wash.packageId } });
  t.match(exhausted.body, { approved: false, mode: "offline", code: "COUNT_EXHAUSTED", reason: "次卡剩余次数不足" });
  t.equal((await status()).journal.pending, 4);

  // 5. The broker returns: the journal drains, and both sides agree.
  await broker.start();
  await waitFor("the journal to drain", async () => (await status()).journal.pending === 0, 20_000);
  await hq.idle();
  const server = await hq.ledger.getCard(CARD);
  const points = 204 - 150 + 2 - 54 + 2 + 1; // earned offline on 42.50, 43.46 and 22.00
  const balance = 91_500 - 4_250 - 4_346 - 2_200;
  t.match(server, { balance, points, packages: [{ packageId: wash.packageId, remainingUses: 0 }] });
  t.equal(agent.ledger.knownBalance(CARD), balance, "the till agrees on the balance");
  t.match(agent.ledger.card(CARD), { points, packages: [{ packageId: wash.packageId, remainingUses: 0 }] });
  t.equal((await hq.ledger.ledgerTotals()).count, 6, "six approved sales, each once");
  t.same(await hq.ledger.reconcile(), [], "balances, points and uses equal their transactions");
  t.same(await hq.ledger.listAlerts(), [], "no shortfall: the till never spent what it did not know of");

  // 6. The close counts the uses; the stream told the POS each sale's card, masked.
  const boss = (await call("POST", "/api/v1/sessions", { operatorId: "900", pin: "9999" })).body.session;
  const close = await call("GET", "/api/v1/close?format=json", undefined, boss);
  t.match(close.body, { countUses: { count: 3, uses: 3 }, total: { pointsRedeemed: 504 } });
  await waitFor("the tap events", async () => (events.text().match(/event: tap/g) ?? []).length >= 8);
  const streamed = events.text();
  t.match(
    streamed,
    new RegExp(
      `event: tap\\ndata: \\{"card":"ic:04A1\\*+B2C3","memberName":"张伟","cardType":"gold","level":"金卡","balance":91500,"points":204,"packages":\\[\\{"packageId":"${wash.packageId}","service":"洗车","remainingUses":2`,
    ),
    "a sale's tap names the member, level, balance, points and packages",
  );
  t.notOk(streamed.includes(GOLD), "card numbers are masked in the stream");
  t.notOk(streamed.includes("scrypt"), "no PIN verifier in the stream");
});
