/**
 * Refunds and voids of sales paid partly with points or with a count use, at the server
 * (server/till/till-ops.ts + reversals.ts): what goes back to the account and its
 * package, exactly once by txnId — repeated, or sent many times at once — and then the
 * till's journal lines for the same transactions, which ingest must recognise as already
 * applied (no money, points or uses moved twice, no txn-conflict alert), with reconcile()
 * empty at the end of every case.
 */
import type { Test } from "tap";
import type { JournalEntry } from "../../protocol/journal-entry.js";
import type { AuthReply, AuthRequest } from "../../protocol/messages.js";
import type { AppliedTxn, TillOpReply, TillOpRequest } from "../../protocol/till-ops.js";
import { issueCard } from "../../server/backoffice/card-issue.js";
import { grantPackage } from "../../server/backoffice/count-packages.js";
import type { Db } from "../../server/db/db.js";
import { authorise } from "../../server/ledger/authorise.js";
import { ingestBatch } from "../../server/ledger/ingest.js";
import { ledgerQueries } from "../../server/ledger/queries.js";
import { findTransaction } from "../../server/ledger/transactions.js";
import { handleTillOp } from "../../server/till/till-ops.js";
import { ALICE, resetBackoffice, ZHANG } from "./backoffice-fixture.js";
import { T1 } from "./ledger-fixture.js";
import { BUSINESS_DAY } from "./test-terminal.js";

type MoneyOp = Extract<TillOpRequest, { op: "refund" | "void" | "balance" }>;

let corr = 0;
const op = (body: Record<string, unknown>): MoneyOp =>
  ({
    v: 1,
    corr: `c${++corr}`,
    terminalId: "T001",
    operatorId: "900",
    businessDay: BUSINESS_DAY,
    at: "2025-05-20T05:00:00.000Z",
    ...body,
  }) as MoneyOp;

/** The journal line the till writes for a transaction the server applied (agent/till/till-operations.ts). */
function lineOf(txn: AppliedTxn): JournalEntry {
  return T1.next({
    txnId: txn.txnId,
    kind: txn.kind,
    mode: "online",
    cardId: txn.cardId,
    gross: txn.gross,
    discount: txn.discount,
    net: txn.net,
    bonus: txn.bonus,
    pointsEarned: txn.pointsEarned,
    balanceAfter: txn.balanceAfter,
    ...(txn.pointsRedeemed ? { pointsRedeemed: txn.pointsRedeemed, redeemedMinor: txn.redeemedMinor ?? 0 } : {}),
    ...(txn.countPackageId ? { countPackageId: txn.countPackageId, countUses: txn.countUses ?? 0 } : {}),
    ...(txn.originalTxnId ? { originalTxnId: txn.originalTxnId } : {}),
    ...(txn.voidOf ? { voidOf: txn.voidOf } : {}),
  });
}

/** The till's line for an online sale (agent/sale/sale-entry.ts). */
function saleLine(req: AuthRequest, r: Extract<AuthReply, { approved: true }>): JournalEntry {
  return T1.next({
    txnId: req.txnId,
    kind: "sale",
    mode: "online",
    cardId: req.cardId,
    gross: r.gross,
    discount: r.discount,
    net: r.net,
    pointsEarned: r.pointsEarned,
    balanceAfter: r.balanceAfter,
    ...(r.pointsRedeemed ? { pointsRedeemed: r.pointsRedeemed, redeemedMinor: r.redeemedMinor ?? 0 } : {}),
    ...(r.countUse ? { countPackageId: r.countUse.packageId, countUses: r.countUse.uses } : {}),
  });
}

export function reversalLedgerCases(t: Test, db: Db): void {
  const q = ledgerQueries(db);
  t.beforeEach(() => resetBackoffice(db));

  async function sell(gross: number, extra: Partial<AuthRequest> = {}) {
    const req = { ...T1.authRequest(ZHANG, gross), ...extra };
    const out = await authorise(db, req);
    if (!out.ok || !out.reply.approved) throw new Error(`sale not approved: ${JSON.stringify(out)}`);
    return { req, reply: out.reply, line: saleLine(req, out.reply) };
  }
  async function applied(reply: TillOpReply): Promise<AppliedTxn> {
    if (!reply.ok || !reply.txn) throw new Error(`not applied: ${JSON.stringify(reply)}`);
    return reply.txn;
  }
  /** The till's lines arrive: verified, recorded, and nothing moved again. */
  async function drain(t: Test, lines: JournalEntry[]) {
    const before = await q.getCard(ZHANG);
    const out = await ingestBatch(db, T1.id, T1.batch(lines));
    t.match(out, { ok: true, applied: lines.length, ack: { ackedSeq: lines.at(-1)?.seq, rejected: [] } });
    const after = await q.getCard(ZHANG);
    t.same(
      { balance: after?.balance, points: after?.points, packages: after?.packages },
      { balance: before?.balance, points: before?.points, packages: before?.packages },
      "the journal lines move nothing the server had not already moved",
    );
    t.same(await q.listAlerts(), [], "every line agrees with the row the server wrote");
    t.same(await q.reconcile(), [], "balance, points and uses equal the transactions");
  }

  t.test("a void of a sale paid with points and a count use gives back money, points and uses, once", async (t) => {
    const pkg = await grantPackage(db, { cardId: ZHANG, service: "洗车", uses: 3 }, ALICE);
    // gold: 88折 → 88.00; 300 points pay 3.00, 85.00 from stored value, 4 points earned; one use.
    const sale = await sell(10_000, { redeemPoints: 300, countUse: { packageId: pkg.packageId, uses: 1 } });
    t.match(await q.getCard(ZHANG), { balance: 91_500, points: 204, packages: [{ remainingUses: 2 }] });
    const req = op({ op: "void", txnId: "V-1", originalTxnId: sale.req.txnId });
    const reply = await handleTillOp(db, req);
    t.match(reply, {
      ok: true,
      txn: {
        kind: "void",
        voidOf: "sale",
        net: 8_500,
        pointsEarned: -4,
        pointsRedeemed: 300,
        redeemedMinor: 300,
        countPackageId: pkg.packageId,
        countUses: 1,
        balanceAfter: 100_000,
      },
      card: { balance: 100_000, points: 500, packages: [{ packageId: pkg.packageId, remainingUses: 3 }] },
    });
    t.match(await q.getCard(ZHANG), { balance: 100_000, points: 500, packages: [{ remainingUses: 3 }] });
    t.match(await findTransaction(db, "V-1"), { pointsRedeemed: 300, redeemedMinor: 300, packageId: pkg.packageId });
    const again = await handleTillOp(db, { ...req, corr: "retry" });
    t.same(again.ok && again.txn, reply.ok && reply.txn, "a repeat gets the stored transaction");
    t.match(await q.getCard(ZHANG), { balance: 100_000, points: 500, packages: [{ remainingUses: 3 }] }, "once");
    const twice = await handleTillOp(db, op({ op: "void", txnId: "V-2", originalTxnId: sale.req.txnId }));
    t.match(twice, { ok: false, code: "ORIGINAL_NOT_REFUNDABLE" }, "a sale is voided once");
    const refund = await handleTillOp(db, op({ op: "refund", txnId: "R-1", originalTxnId: sale.req.txnId }));
    t.match(refund, { ok: false, code: "ORIGINAL_NOT_REFUNDABLE" }, "nor refunded after its void");
    await drain(t, [sale.line, lineOf(await applied(reply))]);
  });

  t.test("partial refunds give redeemed points back in proportion, never more, the last one the rest", async (t) => {
    const sale = await sell(10_000, { redeemPoints: 300 }); // net 85.00, 300 redeemed, 4 earned
    const refund = (txnId: string, amount?: number) =>
      handleTillOp(
        db,
        op({ op: "refund", txnId, originalTxnId: sale.req.txnId, ...(amount !== undefined ? { amount } : {}) }),
      );
    const half = await refund("R-1", 4_250);
    t.match(half, { ok: true, txn: { net: 4_250, pointsRedeemed: 150, redeemedMinor: 150, pointsEarned: -2 } });
    t.match(half, { ok: true, card: { balance: 95_750, points: 204 + 150 - 2 } });
    const fen = await refund("R-2", 1);
    t.match(fen, { ok: true, txn: { net: 1, pointsEarned: 0 } });
    t.notOk(fen.ok && fen.txn?.pointsRedeemed, "1 fen more does not reach the next point");
    t.match(await refund("R-3", 4_250), { ok: false, code: "REFUND_TOO_LARGE" }, "4249 fen are left");
    const rest = await refund("R-4");
    t.match(rest, { ok: true, txn: { net: 4_249, pointsRedeemed: 150, redeemedMinor: 150, pointsEarned: -2 } });
    t.match(await q.getCard(ZHANG), { balance: 100_000, points: 500 }, "the member has every point back");
    t.match(await refund("R-5"), { ok: false, code: "ORIGINAL_NOT_REFUNDABLE" });
    const late = await handleTillOp(db, op({ op: "void", txnId: "V-1", originalTxnId: sale.req.txnId }));
    t.match(late, { ok: false, code: "VOID_NOT_ALLOWED" });
    const lines = [sale.line];
    for (const r of [half, fen, rest]) lines.push(lineOf(await applied(r)));
    await drain(t, lines);
  });

  t.test("a refund gives count uses back only when named, never more than were used", async (t) => {
    const pkg = await grantPackage(db, { cardId: ZHANG, service: "洗车", uses: 5 }, ALICE);
    const sale = await sell(2_500, { countUse: { packageId: pkg.packageId, uses: 2 } }); // net 22.00
    const refund = (txnId: string, body: { amount?: number; uses?: number }) =>
      handleTillOp(db, op({ op: "refund", txnId, originalTxnId: sale.req.txnId, ...body }));
    const money = await refund("R-1", { amount: 1_000 });
    t.match(money, { ok: true, txn: { net: 1_000 }, card: { packages: [{ remainingUses: 3 }] } });
    t.notOk(money.ok && money.txn?.countUses, "money alone gives no use back");
    t.match(await refund("R-2", { amount: 0, uses: 3 }), { ok: false, code: "REFUND_TOO_LARGE" }, "2 were used");
    const one = await refund("R-3", { amount: 0, uses: 1 });
    t.match(one, { ok: true, txn: { net: 0, countPackageId: pkg.packageId, countUses: 1 } });
    t.match(one, { ok: true, card: { packages: [{ remainingUses: 4 }] } });
    t.match(await refund("R-4", { amount: 0, uses: 2 }), { ok: false, code: "REFUND_TOO_LARGE" }, "1 is left");
    t.match(await refund("R-5", { amount: 0 }), { ok: false, code: "ORIGINAL_NOT_REFUNDABLE" }, "nothing named");
    const last = await refund("R-6", { uses: 1 }); // the rest of the money, and the last use
    t.match(last, { ok: true, txn: { net: 1_200, countUses: 1 }, card: { balance: 100_000 } });
    t.match(await q.getCard(ZHANG), { packages: [{ remainingUses: 5 }] });
    const lines = [sale.line];
    for (const r of [money, one, last]) lines.push(lineOf(await applied(r)));
    await drain(t, lines);
  });

  t.test("copies of one refund sent at once apply once; racing refunds never pass the sale", async (t) => {
    const sale = await sell(10_000, { redeemPoints: 300 }); // net 85.00
    const copy = op({ op: "refund", txnId: "R-same", originalTxnId: sale.req.txnId, amount: 1_000 });
    const copies = await Promise.all(Array.from({ length: 8 }, (_, i) => handleTillOp(db, { ...copy, corr: `k${i}` })));
    t.ok(
      copies.every((r) => r.ok && r.txn?.txnId === "R-same" && r.txn.net === 1_000),
      "every copy is answered with the one refund",
    );
    const racing = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        handleTillOp(db, op({ op: "refund", txnId: `R-${i}`, originalTxnId: sale.req.txnId, amount: 3_000 })),
      ),
    );
    t.equal(racing.filter((r) => r.ok).length, 2, "10.00 + 2 × 30.00 fit in 85.00, a third does not");
    t.ok(
      racing.filter((r) => !r.ok).every((r) => !r.ok && r.code === "REFUND_TOO_LARGE"),
      "the others are refused",
    );
    // 70.00 of 85.00 refunded: floor(300 × 7000 / 8500) = 247 points back in all.
    t.match(await q.getCard(ZHANG), { balance: 91_500 + 7_000, points: 204 + 247 - 3 });
    t.same(await q.reconcile(), []);
  });

  t.test("a balance query answers a sub-card's spending on the till's business day", async (t) => {
    const SUB = "ic:5B5B5B02";
    await issueCard(db, { cardId: SUB, primaryCardId: ZHANG, perTxnLimit: 5_000, dailyLimit: 8_000 }, ALICE);
    const spent = await authorise(db, T1.authRequest(SUB, 5_000)); // net 44.00
    t.match(spent, { ok: true, reply: { approved: true, net: 4_400 } });
    const balance = await handleTillOp(db, op({ op: "balance", cardId: SUB }));
    t.match(balance, { ok: true, card: { subCard: { spentDay: BUSINESS_DAY, spentToday: 4_400, dailyLimit: 8_000 } } });
    const tomorrow = await handleTillOp(db, op({ op: "balance", cardId: SUB, businessDay: "2025-05-21" }));
    t.match(tomorrow, { ok: true, card: { subCard: { spentDay: "2025-05-21", spentToday: 0 } } });
  });

  t.test("a void of a sub-card's sale gives its daily limit back", async (t) => {
    const SUB = "ic:5B5B5B03";
    await issueCard(db, { cardId: SUB, primaryCardId: ZHANG, perTxnLimit: 5_000, dailyLimit: 8_000 }, ALICE);
    const first = T1.authRequest(SUB, 5_000); // net 44.00
    t.match(await authorise(db, first), { ok: true, reply: { approved: true, net: 4_400 } });
    t.match(
      await authorise(db, T1.authRequest(SUB, 5_000)),
      { ok: true, reply: { approved: false } },
      "44.00 + 44.00 is over the 80.00 a day",
    );
    t.match(await handleTillOp(db, op({ op: "void", txnId: "V-SUB", originalTxnId: first.txnId })), { ok: true });
    const balance = await handleTillOp(db, op({ op: "balance", cardId: SUB }));
    t.match(balance, { ok: true, card: { subCard: { spentToday: 0 } } }, "the voided sale no longer counts");
    t.match(
      await authorise(db, T1.authRequest(SUB, 5_000)),
      { ok: true, reply: { approved: true, net: 4_400 } },
      "the member can spend again",
    );
  });
}
