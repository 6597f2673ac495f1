/**
 * Online authorisation's cases (docs/architecture.md#online-intent-ask-hold-commit), run on
 * PGlite (authorise.test.ts) and on a real PostgreSQL 15 (postgres.test.ts), where concurrent
 * requests really race.
 */
import type { Test } from "tap";
import type { AuthReply } from "../../protocol/messages.js";
import { parseMoney } from "../../rules/money.js";
import type { Db } from "../../server/db/db.js";
import { authorise } from "../../server/ledger/authorise.js";
import { ledgerQueries } from "../../server/ledger/queries.js";
import { findTransaction } from "../../server/ledger/transactions.js";
import { resetLedger, T1 } from "./ledger-fixture.js";
import { demoBalance, TestTerminal } from "./test-terminal.js";

export function authoriseCases(t: Test, db: Db): void {
  const q = ledgerQueries(db);
  t.beforeEach(() => resetLedger(db));

  const ZHANG = "ic:04A1B2C3"; // gold, 1000.00, 88折
  const LI = "ic:04D5E6F7"; // silver, 300.00, birthday 08-08
  const WANG = "ic:0A0B0C0D"; // standard, 50.00
  const FROZEN = "ic:0BADCAFE";

  async function auth(req: ReturnType<TestTerminal["authRequest"]>): Promise<AuthReply> {
    const out = await authorise(db, req);
    if (!out.ok) throw new Error(out.reason);
    return out.reply;
  }

  t.test("an approved sale is priced by card type, debited once and earns points", async (t) => {
    const req = T1.authRequest(ZHANG, parseMoney("100.00"));
    const reply = await auth(req);
    t.match(reply, {
      approved: true,
      corr: req.corr,
      txnId: req.txnId,
      gross: 10_000,
      discount: 1_200,
      net: 8_800,
      pointsEarned: 4,
      balanceAfter: demoBalance(ZHANG) - 8_800,
    });
    t.match(reply.card, { cardId: ZHANG, memberName: "张伟", cardType: "gold", balance: 91_200, points: 504 });
    t.match(await q.getCard(ZHANG), { balance: 91_200, points: 504 });
    t.match(await findTransaction(db, req.txnId), { source: "online-auth", mode: "online", net: 8_800, seq: null });
    t.same(await q.reconcile(), []);
  });

  t.test("points double on the member's birthday", async (t) => {
    const plain = await auth(T1.authRequest(LI, parseMoney("100.00"), { businessDay: "2025-08-07" }));
    const birthday = await auth(T1.authRequest(LI, parseMoney("100.00"), { businessDay: "2025-08-08" }));
    t.match(plain, { approved: true, net: 9_500, pointsEarned: 4 });
    t.match(birthday, { approved: true, net: 9_500, pointsEarned: 9 });
  });

  t.test("declines say why and move no money", async (t) => {
    const unknown = await auth(T1.authRequest("ic:DEADBEEF", 100));
    t.match(unknown, { approved: false, code: "CARD_NOT_FOUND", card: null });
    const frozen = await auth(T1.authRequest(FROZEN, 100));
    t.match(frozen, { approved: false, code: "CARD_NOT_ACTIVE", card: { cardId: FROZEN, status: "frozen" } });
    const poor = await auth(T1.authRequest(WANG, parseMoney("50.01")));
    t.match(poor, { approved: false, code: "INSUFFICIENT_BALANCE", card: { balance: 5_000 } });
    t.equal((await q.ledgerTotals()).count, 0);
    const exact = await auth(T1.authRequest(WANG, parseMoney("50.00")));
    t.match(exact, { approved: true, balanceAfter: 0 }, "the whole balance can be spent");
  });

  t.test("a repeated request gets the same answer and is debited once", async (t) => {
    const req = T1.authRequest(ZHANG, parseMoney("10.00"));
    const first = await auth(req);
    const again = await auth({ ...req, corr: "retry-corr" });
    t.same({ ...again, corr: req.corr }, first);
    const racing = await Promise.all([1, 2, 3, 4].map(() => auth(req)));
    for (const r of racing) t.match(r, { approved: true, balanceAfter: first.approved && first.balanceAfter });
    t.equal((await q.ledgerTotals()).count, 1);
    t.match(await q.getCard(ZHANG), { balance: demoBalance(ZHANG) - 880 });
  });

  t.test("two tills cannot both spend the last of a balance", async (t) => {
    const replies = await Promise.all([
      auth(T1.authRequest(WANG, parseMoney("30.00"))),
      auth(T1.authRequest(WANG, parseMoney("30.00"))),
    ]);
    t.same(replies.map((r) => r.approved).sort(), [false, true]);
    t.match(await q.getCard(WANG), { balance: 2_000 });
    t.same(await q.reconcile(), []);
  });

  t.test("a txnId reused for a different sale is refused and alerted, not debited", async (t) => {
    const req = T1.authRequest(ZHANG, 1_000);
    await auth(req);
    const reused = await auth({ ...req, gross: 99_000 });
    t.match(reused, { approved: false });
    t.match(await q.getCard(ZHANG), { balance: demoBalance(ZHANG) - 880 });
    t.match(await q.listAlerts(), [{ kind: "txn-conflict", txnId: req.txnId }]);
  });

  t.test("a request from an unregistered terminal is not answered", async (t) => {
    const stranger = new TestTerminal("T999", "99".repeat(32));
    const out = await authorise(db, stranger.authRequest(ZHANG, 100));
    t.match(out, { ok: false, reason: /not registered/ });
    t.match(await q.listAlerts(), [{ kind: "unknown-terminal", terminalId: "T999" }]);
    t.equal((await q.ledgerTotals()).count, 0);
  });
}
