/**
 * Every till operation through the local HTTP API against the real central server and
 * broker (issue 7): operator log-in with permissions, a sale, a top-up with its bonus
 * tier, a partial refund and a refund too large, a void of a top-up, a balance query,
 * today's transactions, the event stream, log-out — then the journal drains and the
 * server's ledger and the till agree to the fen.
 */
import { request } from "node:http";
import t from "tap";
import { DEMO_OPERATORS } from "../../agent/demo/demo-operators.js";
import { startRig } from "../helpers/rig.js";
import { waitFor } from "../helpers/wait-for.js";

const GOLD = "04A1B2C3"; // 张伟, gold (pays 88%), 1000.00
const TOKEN = "pos-app-token-0123456789";

t.test("every till operation through the API, with operators and permissions, reconciled exactly once", async (t) => {
  const { agent, hq, api } = await startRig(t, { agent: { apiToken: TOKEN, operators: DEMO_OPERATORS } });
  const call = (method: string, path: string, body?: unknown, session?: string, token = TOKEN) =>
    api.call(method, path, body, session, { authorization: `Bearer ${token}` });

  // The API token and the Host guard.
  t.match(await call("GET", "/api/v1/status", undefined, undefined, "wrong"), {
    status: 401,
    body: { code: "CT_UNAUTHORIZED" },
  });
  const rebinding = await new Promise<number>((resolve, reject) => {
    const req = request(`${agent.url}/api/v1/status`, {
      headers: { authorization: `Bearer ${TOKEN}`, host: "evil.example" },
    });
    req.on("response", (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on("error", reject);
    req.end();
  });
  t.equal(rebinding, 403, "a request addressed to another host name (DNS rebinding) is refused");

  // Log-in: wrong PIN refused, a sale needs a session.
  t.match(await call("POST", "/api/v1/sessions", { operatorId: "001", pin: "0000" }), {
    status: 401,
    body: { code: "CT_LOGIN_FAILED" },
  });
  t.match(await call("POST", "/api/v1/sales", { amount: 2500, cardUid: GOLD }), {
    status: 401,
    body: { code: "CT_UNAUTHORIZED" },
  });
  const cashier = (await call("POST", "/api/v1/sessions", { operatorId: "001", pin: "1234" })).body;
  t.match(cashier, { operator: { id: "001", role: "cashier" }, permissions: ["sale", "topup", "balance", "status"] });
  const boss = (await call("POST", "/api/v1/sessions", { operatorId: "900", pin: "9999" })).body;

  // An event stream is open while the till works.
  const events = await api.events();

  // Sale (cashier): recorded under the cashier.
  const sale = await call("POST", "/api/v1/sales", { amount: 2500, cardUid: GOLD }, cashier.session);
  t.match(sale.body, { approved: true, mode: "online", balanceAfter: 97_800, transaction: { operatorId: "001" } });

  // Top-up 1000.00 (cashier): the gold tier 充1000送100.
  const topup = await call(
    "POST",
    "/api/v1/topups",
    { amount: 100_000, cardUid: GOLD, payment: "wechat" },
    cashier.session,
  );
  t.match(topup.body, {
    approved: true,
    transaction: { kind: "topup", net: 100_000, bonus: 10_000 },
    balanceAfter: 97_800 + 110_000,
  });
  t.match(await hq.ledger.getCard(`ic:${GOLD}`), { balance: 207_800 }, "credited at the server at once");

  // Refund: refused to a cashier, partial for a supervisor, never more than is left.
  t.match(await call("POST", "/api/v1/refunds", { originalTxnId: sale.body.txnId }, cashier.session), {
    status: 403,
    body: { code: "CT_FORBIDDEN" },
  });
  const refund = await call("POST", "/api/v1/refunds", { originalTxnId: sale.body.txnId, amount: 1_000 }, boss.session);
  t.match(refund.body, {
    approved: true,
    transaction: { kind: "refund", net: 1_000, originalTxnId: sale.body.txnId, operatorId: "900" },
    balanceAfter: 208_800,
  });
  const tooMuch = await call(
    "POST",
    "/api/v1/refunds",
    { originalTxnId: sale.body.txnId, amount: 1_201 },
    boss.session,
  );
  t.match(tooMuch.body, { approved: false, code: "REFUND_TOO_LARGE" });
  t.match(tooMuch.body.reason, /退款金额超过可退金额/);

  // Void of the top-up (supervisor): money and bonus taken back; a cashier may not.
  t.match(await call("POST", "/api/v1/voids", { originalTxnId: topup.body.txnId }, cashier.session), {
    status: 403,
  });
  const voided = await call("POST", "/api/v1/voids", { originalTxnId: topup.body.txnId }, boss.session);
  t.match(voided.body, { approved: true, transaction: { kind: "void" }, balanceAfter: 98_800 });
  const again = await call("POST", "/api/v1/voids", { originalTxnId: topup.body.txnId }, boss.session);
  t.match(again.body, { approved: false, code: "ORIGINAL_NOT_REFUNDABLE" }, "voided once only");

  // Balance (online), and today's transactions with what is left to refund.
  t.match((await call("POST", "/api/v1/balance", { cardUid: GOLD }, cashier.session)).body, {
    balance: 98_800,
    source: "online",
    card: { memberName: "张伟" },
  });
  const list = (await call("GET", "/api/v1/transactions", undefined, cashier.session)).body.transactions;
  t.same(
    list.map((x: { kind: string }) => x.kind),
    ["sale", "topup", "refund", "void"],
  );
  t.equal(list[0].refundable, 1_200, "2200 paid, 1000 refunded");

  // The daily close: a supervisor's, rebuilt from the journal with every operation of the day.
  t.match(await call("GET", "/api/v1/close?format=json", undefined, cashier.session), { status: 403 });
  const close = await call("GET", "/api/v1/close?format=json", undefined, boss.session);
  t.equal(close.status, 200);
  t.match(JSON.stringify(close.body), /refund/, "the close counts the refund");
  const csv = await fetch(`${agent.url}/api/v1/close?format=csv`, {
    headers: { authorization: `Bearer ${TOKEN}`, "x-cardterm-session": boss.session },
  });
  t.match(csv.headers.get("content-type"), /text\/csv/);

  // Log-out ends the session.
  t.equal((await call("DELETE", "/api/v1/sessions/current", undefined, cashier.session)).status, 204);
  t.match(await call("POST", "/api/v1/sales", { amount: 100, cardUid: GOLD }, cashier.session), { status: 401 });

  // The journal drains; the ledger holds each once and both sides agree.
  await waitFor("the journal to drain", async () => agent.ledger.pending().length === 0, 20_000);
  await hq.idle();
  t.equal((await hq.ledger.ledgerTotals()).count, 4);
  t.same(await hq.ledger.reconcile(), [], "every account equals its opening balance plus its transactions");
  t.same(await hq.ledger.listAlerts(), [], "no conflict between the till's journal and the online operations");
  t.equal(agent.ledger.knownBalance(`ic:${GOLD}`), 98_800, "the till agrees with the server");
  await waitFor("the events to arrive", async () => events.text().includes("event: decision"));
  const streamed = events.text();
  t.match(streamed, /event: decision\ndata: \{"approved":true,"mode":"online"/, "decisions stream as they happen");
  t.notOk(streamed.includes(GOLD), "card numbers are masked in the stream");
  await events.close();
});
