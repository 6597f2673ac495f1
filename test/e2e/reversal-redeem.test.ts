/**
 * Refunds and voids of sales paid with points or a count use, end to end through the
 * local HTTP API — the real central server on PGlite, the embedded broker and
 * the agent (till-rig.ts): a sale paying 300 points is refunded half, then the rest, and
 * the member has every point back; a count use is voided and the use is back; a paid sale
 * with a use gets its use back by a refund of the use alone. Each slip, decoded from the
 * printed bytes, shows what came back. Then the journal drains: till and server agree on
 * balance, points and uses, reconcile() is empty, no alert, and the daily close nets the
 * redemptions and counts the uses given back.
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import t from "tap";
import { previewFileStem } from "../../drivers/printer/preview-printer.js";
import { grantPackage } from "../../server/backoffice/count-packages.js";
import { decodeEscPos } from "../helpers/escpos-decode.js";
import { waitFor } from "../helpers/wait-for.js";
import { startTillRig } from "./till-rig.js";

const GOLD = "04A1B2C3"; // 张伟, gold (88折; points pay up to half the bill, 1 point = 1 fen), 1000.00, 500 points
const CARD = `ic:${GOLD}`;

t.test("refunds and voids give back redeemed points and count uses, reconciled exactly once", async (t) => {
  const rig = await startTillRig(t);
  const { agent, hq, call } = rig;
  const wash = await grantPackage(hq.db, { cardId: CARD, service: "洗车", uses: 3 }, { id: "hq-test", via: "cli" });
  const cashier = await rig.login("001");
  const boss = await rig.login("900");
  const sell = (body: Record<string, unknown>) => call("POST", "/api/v1/sales", { cardUid: GOLD, ...body }, cashier);
  const refund = (body: Record<string, unknown>) => call("POST", "/api/v1/refunds", body, boss);
  const printed = async (txnId: string) =>
    decodeEscPos(await readFile(join(rig.previewDir, `${previewFileStem(txnId)}.bin`))).lines.join("\n");
  const status = async () => (await call("GET", "/api/v1/status")).body;

  // 1. 100.00 at 88折 = 88.00: 300 points pay 3.00, 85.00 from stored value, 4 points earned.
  const sale = await sell({ amount: 10_000, redeemPoints: 300 });
  t.match(sale.body, { approved: true, transaction: { pointsRedeemed: 300, net: 8_500, pointsEarned: 4 } });

  // 2. Half the stored value back: half the redeemed points back, half the earned ones taken.
  const half = await refund({ originalTxnId: sale.body.txnId, amount: 4_250 });
  t.match(half.body, {
    approved: true,
    transaction: { kind: "refund", net: 4_250, pointsRedeemed: 150, redeemedMinor: 150, pointsEarned: -2 },
    balanceAfter: 95_750,
    pointsAfter: 204 + 150 - 2,
    receipt: { printed: true },
  });
  const halfSlip = await printed(half.body.txnId);
  t.match(halfSlip, /退款小票/);
  t.match(halfSlip, /退回积分\s+\+150/, "the slip shows the points given back");
  t.match(halfSlip, /抵扣金额\s+￥1\.50/, "and what they paid");
  t.match(halfSlip, /积分变动\s+\+148/);
  t.match(halfSlip, /退款金额\s+￥42\.50/);
  t.match(halfSlip, /积分余额\s+352/);

  // 3. The rest: exactly the rest of the points, never one more.
  t.match((await refund({ originalTxnId: sale.body.txnId, amount: 4_251 })).body, {
    approved: false,
    code: "REFUND_TOO_LARGE",
  });
  const rest = await refund({ originalTxnId: sale.body.txnId });
  t.match(rest.body, {
    approved: true,
    transaction: { net: 4_250, pointsRedeemed: 150, pointsEarned: -2 },
    balanceAfter: 100_000,
    pointsAfter: 500,
  });
  t.match((await refund({ originalTxnId: sale.body.txnId })).body, {
    approved: false,
    code: "ORIGINAL_NOT_REFUNDABLE",
  });

  // 4. A count use alone, voided: the use is back, once.
  const use = await sell({ amount: 0, countUse: { packageId: wash.packageId } });
  t.match(use.body, { approved: true, transaction: { countUse: { uses: 1, remainingUses: 2 } } });
  const voided = await call("POST", "/api/v1/voids", { originalTxnId: use.body.txnId }, boss);
  t.match(voided.body, {
    approved: true,
    transaction: { kind: "void", net: 0, countUse: { packageId: wash.packageId, uses: 1 } },
  });
  const voidSlip = await printed(voided.body.txnId);
  t.match(voidSlip, /撤销小票/);
  t.match(voidSlip, /次卡项目\s+洗车/);
  t.match(voidSlip, /退回次数\s+\+1/, "the slip shows the use given back");
  t.match(voidSlip, /剩余次数\s+3/);
  const again = await call("POST", "/api/v1/voids", { originalTxnId: use.body.txnId }, boss);
  t.match(again.body, { approved: false, code: "ORIGINAL_NOT_REFUNDABLE" }, "voided once");
  t.match(await hq.ledger.getCard(CARD), { packages: [{ packageId: wash.packageId, remainingUses: 3 }] });

  // 5. A paid sale with a use: the use back alone (amount 0), only because it is named.
  const paid = await sell({ amount: 2_500, countUse: { packageId: wash.packageId } }); // 22.00, 1 point
  t.match(paid.body, { approved: true, transaction: { net: 2_200, countUse: { remainingUses: 2 } } });
  const useBack = await refund({ originalTxnId: paid.body.txnId, amount: 0, uses: 1 });
  t.match(useBack.body, { approved: true, transaction: { net: 0, countUse: { uses: 1 } }, balanceAfter: 97_800 });
  t.match(await printed(useBack.body.txnId), /退回次数\s+\+1/);
  const tooMany = await refund({ originalTxnId: paid.body.txnId, amount: 0, uses: 1 });
  t.match(tooMany.body, { approved: false, code: "REFUND_TOO_LARGE" }, "its one use is back already");

  // 6. The journal drains; both sides agree; nothing applied twice.
  await waitFor("the journal to drain", async () => (await status()).journal.pending === 0, 20_000);
  await hq.idle();
  const points = 500 + 1;
  const balance = 100_000 - 2_200;
  t.match(await hq.ledger.getCard(CARD), {
    balance,
    points,
    packages: [{ packageId: wash.packageId, remainingUses: 3 }],
  });
  t.equal(agent.ledger.knownBalance(CARD), balance, "the till agrees on the balance");
  t.match(agent.ledger.card(CARD), { points, packages: [{ packageId: wash.packageId, remainingUses: 3 }] });
  t.equal((await hq.ledger.ledgerTotals()).count, 7, "three sales, three refunds, one void — each once");
  t.same(await hq.ledger.reconcile(), [], "balances, points and uses equal their transactions");
  t.same(await hq.ledger.listAlerts(), [], "every journal line matched what the server had applied");
  const online = (await call("POST", "/api/v1/balance", { cardUid: GOLD }, cashier)).body;
  t.match(online, { balance, points, source: "online" });

  // 7. The close: redemptions net of what came back, uses taken and given back.
  const close = (await call("GET", "/api/v1/close?format=json", undefined, boss)).body;
  t.match(close, {
    total: { pointsRedeemed: 0, redeemedMinor: 0, balanceChange: -2_200, pointsEarned: 5 - 4 },
    countUses: { count: 2, uses: 2, givenBack: 2 },
  });
  const kind = (k: string) => close.byKind.find((r: { kind: string }) => r.kind === k);
  t.match(kind("refund"), { count: 3, pointsRedeemed: -300, redeemedMinor: -300, net: 8_500 });
  t.match(kind("sale"), { count: 3, pointsRedeemed: 300 });
  const csv = (await call("GET", "/api/v1/close?format=csv", undefined, boss)).body as string;
  t.match(csv, /count_use,given_back,2,次卡退回/, "the CSV has a row for the uses given back");
});
