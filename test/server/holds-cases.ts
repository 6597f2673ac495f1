/**
 * The hold state machine at the server (docs/reconciliation.md), run on
 * PGlite (holds.test.ts) and on PostgreSQL 15 (holds-postgres.test.ts): an online approval
 * is held, the till's journal entry or `confirm` confirms it, the till's `release` or the
 * expiry job gives it all back, a release after a confirm is refused, a late request after
 * a release is refused, and a journal entry after a release is applied once, alerted.
 */
import { pino } from "pino";
import type { Test } from "tap";
import type { JournalEntry } from "../../protocol/journal-entry.js";
import type { AuthReply, AuthRequest } from "../../protocol/messages.js";
import type { HoldDoneReply, TillOpRequest } from "../../protocol/till-ops.js";
import { findCardDetail } from "../../server/backoffice/card-read.js";
import { grantPackage } from "../../server/backoffice/count-packages.js";
import type { Db } from "../../server/db/db.js";
import { authorise } from "../../server/ledger/authorise.js";
import { HoldExpiry } from "../../server/ledger/hold-expiry.js";
import { ingestBatch } from "../../server/ledger/ingest.js";
import { ledgerQueries } from "../../server/ledger/queries.js";
import { handleTillOp } from "../../server/till/till-ops.js";
import { ALICE, resetBackoffice, ZHANG } from "./backoffice-fixture.js";
import { T1, T2 } from "./ledger-fixture.js";
import { BUSINESS_DAY, type TestTerminal } from "./test-terminal.js";

type Approved = Extract<AuthReply, { approved: true }>;
const MINUTE = 60_000;

let corr = 0;
/** A till's `hold` request (what agent/sync/hold-resolver.ts sends). */
export function holdOp(
  terminal: TestTerminal,
  action: "confirm" | "release",
  txnId: string,
  cardId = ZHANG,
  amount = 0,
): Extract<TillOpRequest, { op: "hold" }> {
  return {
    v: 1,
    corr: `h${++corr}`,
    terminalId: terminal.id,
    operatorId: "op1",
    businessDay: BUSINESS_DAY,
    at: "2025-05-20T05:00:00.000Z",
    op: "hold",
    action,
    txnId,
    cardId,
    amount,
  };
}

/** The till's journal line for an online sale (agent/sale/sale-entry.ts). */
export function onlineLine(terminal: TestTerminal, req: AuthRequest, r: Approved): JournalEntry {
  return terminal.next({
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

export function holdsCases(t: Test, db: Db): void {
  const q = ledgerQueries(db);
  t.beforeEach(() => resetBackoffice(db));

  async function sell(gross: number, extra: Partial<AuthRequest> = {}, at = Date.now()) {
    const req = { ...T1.authRequest(ZHANG, gross), ...extra };
    const out = await authorise(db, req, () => at, 15 * MINUTE);
    if (!out.ok || !out.reply.approved) throw new Error(`sale not approved: ${JSON.stringify(out)}`);
    return { req, reply: out.reply };
  }
  const hold = async (req: Extract<TillOpRequest, { op: "hold" }>) =>
    ((await handleTillOp(db, req)) as HoldDoneReply).hold;
  const stateOf = async (txnId: string) =>
    (await db.query<{ hold_state: string }>("SELECT hold_state FROM transactions WHERE txn_id = $1", [txnId])).rows[0]
      ?.hold_state ?? "gone";
  const alertKinds = async () => (await q.listAlerts()).map((a) => a.kind);

  t.test("an online approval is a hold: the money is taken at once, held until the till confirms", async (t) => {
    const at = Date.parse("2025-05-20T05:00:00Z");
    const { req } = await sell(10_000, {}, at); // gold 88折: 88.00, 4 points
    const { rows } = await db.query<{ hold_state: string; hold_until: Date | string }>(
      "SELECT hold_state, hold_until FROM transactions WHERE txn_id = $1",
      [req.txnId],
    );
    t.equal(rows[0]?.hold_state, "held");
    t.equal(new Date(rows[0]!.hold_until).getTime(), at + 15 * MINUTE, "held for the TTL from the server's clock");
    t.match(await q.getCard(ZHANG), { balance: 91_200 }, "not spendable twice: out of the balance now");
    t.match(await findCardDetail(db, ZHANG), { balance: 91_200, held: 8_800 }, "head office sees it held");
    t.same(await q.reconcile(), [], "the ledger balances with the hold in it");
  });

  t.test("the till's journal entry confirms the hold, and moves no money a second time", async (t) => {
    const { req, reply } = await sell(10_000);
    const out = await ingestBatch(db, T1.id, T1.batch([onlineLine(T1, req, reply)]));
    t.match(out, { ok: true, applied: 1, ack: { ackedSeq: 1, rejected: [] } });
    t.equal(await stateOf(req.txnId), "confirmed");
    t.match(await q.getCard(ZHANG), { balance: 91_200, points: 504 }, "debited once");
    t.match(await findCardDetail(db, ZHANG), { held: 0 });
    t.same(await q.listAlerts(), []);
    const released = await hold(holdOp(T1, "release", req.txnId));
    t.match(released, { state: "confirmed", changed: false }, "a release after the confirm is refused and says so");
    t.match(await q.getCard(ZHANG), { balance: 91_200, points: 504 }, "nothing given back");
  });

  t.test("the till's release gives back all the approval took, once, and leaves a tombstone", async (t) => {
    const pkg = await grantPackage(db, { cardId: ZHANG, service: "洗车", uses: 3 }, ALICE);
    const { req } = await sell(10_000, { redeemPoints: 300, countUse: { packageId: pkg.packageId, uses: 1 } });
    t.match(await q.getCard(ZHANG), { balance: 91_500, points: 204, packages: [{ remainingUses: 2 }] });
    const first = await hold(holdOp(T1, "release", req.txnId, ZHANG, 10_000));
    t.match(first, { state: "released", changed: true });
    t.match(await q.getCard(ZHANG), { balance: 100_000, points: 500, packages: [{ remainingUses: 3 }] }, "whole");
    t.equal(await stateOf(req.txnId), "gone", "a released hold is no transaction: no sum can see it");
    t.same(await q.reconcile(), [], "balance, points and uses equal the transactions");
    t.same(await alertKinds(), ["hold-released"], "head office hears a till gave a sale up");
    const again = await hold(holdOp(T1, "release", req.txnId, ZHANG, 10_000));
    t.match(again, { state: "released", changed: false }, "idempotent");
    t.match(await q.getCard(ZHANG), { balance: 100_000, points: 500 }, "nothing given back twice");
    const late = await authorise(db, { ...req, corr: "late-copy" });
    t.match(late, { ok: true, reply: { approved: false, code: "TXN_CONFLICT" } }, "a late copy of the request");
    t.match(await q.getCard(ZHANG), { balance: 100_000 }, "is refused, not approved again");
  });

  t.test("a release for a request the server never saw refuses that request when it comes late", async (t) => {
    const req = T1.authRequest(ZHANG, 5_000);
    t.match(await hold(holdOp(T1, "release", req.txnId, ZHANG, 5_000)), { state: "released", changed: false });
    t.match(await authorise(db, req), { ok: true, reply: { approved: false } });
    t.match(await q.getCard(ZHANG), { balance: 100_000 });
    t.equal(await stateOf(req.txnId), "gone");
  });

  t.test("a till cannot release another till's hold", async (t) => {
    const { req } = await sell(10_000);
    t.match(await hold(holdOp(T2, "release", req.txnId)), { state: "unknown", changed: false });
    t.equal(await stateOf(req.txnId), "held");
    t.match(await q.getCard(ZHANG), { balance: 91_200 });
    t.same(await alertKinds(), ["hold-release-refused"]);
  });

  t.test("the till's confirm confirms; its journal entry later moves nothing", async (t) => {
    const { req, reply } = await sell(10_000);
    t.match(await hold(holdOp(T1, "confirm", req.txnId)), { state: "confirmed", changed: true });
    t.match(await hold(holdOp(T1, "confirm", req.txnId)), { state: "confirmed", changed: false });
    await ingestBatch(db, T1.id, T1.batch([onlineLine(T1, req, reply)]));
    t.match(await q.getCard(ZHANG), { balance: 91_200, points: 504 });
    t.same(await q.reconcile(), []);
    t.match(await hold(holdOp(T1, "confirm", "never-asked")), { state: "unknown", changed: false });
  });

  t.test("a journal entry after its hold was released is applied once, and head office is told", async (t) => {
    const { req, reply } = await sell(10_000);
    await hold(holdOp(T1, "release", req.txnId));
    t.match(await hold(holdOp(T1, "confirm", req.txnId)), { state: "released", changed: false });
    const line = onlineLine(T1, req, reply);
    const out = await ingestBatch(db, T1.id, T1.batch([line]));
    t.match(out, { ok: true, applied: 1, ack: { ackedSeq: 1 } });
    t.match(await q.getCard(ZHANG), { balance: 91_200, points: 504 }, "the till recorded it: real money, applied");
    t.equal(await stateOf(req.txnId), "confirmed");
    t.same(await alertKinds(), ["hold-released", "hold-applied-after-release"]);
    await ingestBatch(db, T1.id, T1.batch([line]));
    t.match(await q.getCard(ZHANG), { balance: 91_200 }, "a resend is a duplicate: once");
    t.same(await q.reconcile(), []);
    t.equal((await q.ledgerTotals()).count, 1, "one transaction");
  });

  t.test("a refund of a held sale confirms it: it can no longer be released", async (t) => {
    const { req } = await sell(10_000);
    const refund = await handleTillOp(db, {
      ...holdOp(T1, "release", req.txnId),
      op: "refund",
      txnId: "R-1",
      originalTxnId: req.txnId,
      amount: 1_000,
    } as Extract<TillOpRequest, { op: "refund" }>);
    t.match(refund, { ok: true, txn: { kind: "refund", net: 1_000 } });
    t.equal(await stateOf(req.txnId), "confirmed");
    t.match(await hold(holdOp(T1, "release", req.txnId)), { state: "confirmed", changed: false });
    t.match(await q.getCard(ZHANG), { balance: 92_200 }, "88.00 taken, 10.00 refunded, nothing more");
  });

  t.test("the expiry job releases holds past the TTL, alerts, and leaves younger ones", async (t) => {
    const t0 = Date.parse("2025-05-20T05:00:00Z");
    const old = await sell(10_000, {}, t0);
    const young = await sell(1_000, {}, t0 + 10 * MINUTE);
    const job = new HoldExpiry(db, pino({ level: "silent" }), { everyMs: 3_600_000, now: () => t0 + 16 * MINUTE });
    t.teardown(() => job.stop());
    t.equal(await job.sweep(), 1);
    t.equal(await stateOf(old.req.txnId), "gone");
    t.equal(await stateOf(young.req.txnId), "held");
    t.match(await q.getCard(ZHANG), { balance: 99_120 }, "the old hold given back, the young one still held");
    const alerts = await q.listAlerts();
    t.match(alerts, [{ kind: "hold-expired", terminalId: T1.id, txnId: old.req.txnId }]);
    t.match(alerts[0]?.detail, /not confirmed in time/);
    t.equal(await job.sweep(), 0, "nothing left to expire");
  });

  t.test("rows before migration 11 read as confirmed: no hold to release", async (t) => {
    const { req } = await sell(10_000);
    await db.query("UPDATE transactions SET hold_state = DEFAULT, hold_until = NULL WHERE txn_id = $1", [req.txnId]);
    t.equal(await stateOf(req.txnId), "confirmed");
    t.match(await hold(holdOp(T1, "release", req.txnId)), { state: "confirmed", changed: false });
  });
}
