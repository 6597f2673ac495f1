/**
 * The walking skeleton's end-to-end scenario, run against either broker the rig offers
 * (aedes embedded, a real Mosquitto), each stopped and started on the same port:
 *
 *   online sale → broker down → offline sales within limits approved, one over a limit
 *   declined with its reason → broker back → journal drains → the server's ledger holds
 *   every transaction exactly once and both sides agree on the balances.
 */
import type { Test } from "tap";
import { postSale } from "../helpers/api-client.js";
import { startRig } from "../helpers/rig.js";
import { waitFor } from "../helpers/wait-for.js";

const GOLD = "04A1B2C3"; // 张伟, gold (pays 88%), 1000.00
const SILVER = "04D5E6F7"; // 李娜, silver (pays 95%), 300.00
// Offline, a terminal approves only cards it has seen online (docs/architecture.md, offline
// rule 2), so the scenario uses both cards online first.

export async function saleScenario(t: Test, brokerKind: "aedes" | "mosquitto"): Promise<void> {
  const { broker, hq, agent, api } = await startRig(t, { broker: brokerKind, agent: { authTimeoutMs: 1000 } });
  const status = () => api.status();

  // 1. Online: the server decides from its ledger and prices by card type.
  const online = await postSale(agent.url, { amount: 2500, cardUid: GOLD });
  t.equal(online.status, 200);
  t.match(online.body, { approved: true, mode: "online", balanceAfter: 100_000 - 2_200 });
  t.match(online.body.transaction, { gross: 2500, discount: 300, net: 2200 });
  t.match(await hq.ledger.getCard(`ic:${GOLD}`), { balance: 97_800 }, "debited at the server at once");
  const silverOnline = await postSale(agent.url, { amount: 1000, cardUid: SILVER });
  t.match(silverOnline.body, { approved: true, mode: "online", balanceAfter: 30_000 - 950 });
  await waitFor("the online entries to be acknowledged", async () => (await status()).journal.pending === 0);

  // 2. The broker goes away: offline within the limits, declines beyond them.
  await broker.stop();
  await waitFor("agent to notice the broker is gone", async () => !(await status()).broker.connected);
  const offline1 = await postSale(agent.url, { amount: 10_000, cardUid: GOLD });
  t.match(offline1.body, { approved: true, mode: "offline", balanceAfter: 97_800 - 8_800 });
  const offline2 = await postSale(agent.url, { amount: 5_000, cardUid: SILVER });
  t.match(offline2.body, { approved: true, mode: "offline" });
  t.equal(offline2.body.transaction?.net, 4_750);
  const tooBig = await postSale(agent.url, { amount: 40_000, cardUid: SILVER });
  t.match(tooBig.body, { approved: false, mode: "offline", code: "OFFLINE_LIMIT_TXN" });
  t.match(tooBig.body.reason, /离线单笔限额/, "the cashier reads why, in the store's language");
  const unknown = await postSale(agent.url, { amount: 100, cardUid: "0EADBEEF" });
  t.match(unknown.body, { approved: false, code: "CARD_UNKNOWN" });
  t.equal((await status()).journal.pending, 2);

  // 3. The broker returns: the journal drains, exactly once.
  await broker.start();
  await waitFor("the journal to drain", async () => (await status()).journal.pending === 0, 20_000);
  await hq.idle();
  const totals = await hq.ledger.ledgerTotals();
  t.equal(totals.count, 4, "four approved transactions, each once");
  t.same(totals.byCard[`ic:${GOLD}`], { count: 2, delta: -11_000, points: 1 + 4 });
  t.equal(totals.byCard[`ic:${SILVER}`]?.delta, -950 - 4_750);
  t.equal(await hq.ledger.journalCount("T001"), 4);
  t.same(await hq.ledger.reconcile(), [], "every account equals its opening balance plus its transactions");
  t.match(await hq.ledger.getCard(`ic:${GOLD}`), { balance: 89_000 });
  t.match(await hq.ledger.getCard(`ic:${SILVER}`), { balance: 24_300 });
  t.equal(agent.ledger.knownBalance(`ic:${GOLD}`), 89_000, "the terminal agrees with the server");
  t.equal(agent.ledger.knownBalance(`ic:${SILVER}`), 24_300);
  t.same(await hq.ledger.listAlerts(), []);
}
