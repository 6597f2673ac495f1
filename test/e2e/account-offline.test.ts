/**
 * Issue 13 defect 2 end to end: the real agent, the real central server (PGlite) and a real
 * Mosquitto. 张伟's account (1000.00) has three cards: his IC card, an ID card and a
 * sub-card with its own daily limit. All three are read online (a balance query each), the
 * broker goes away, and sales on all three at one till must never approve more than the
 * account's known balance — in the field each card started again from the full balance.
 * Declines say the limit and what is left. The broker returns, the journal drains, and
 * the server's ledger has no shortfall.
 */
import t from "tap";
import { postSale } from "../helpers/api-client.js";
import { startRig } from "../helpers/rig.js";
import { waitFor } from "../helpers/wait-for.js";

const IC = "ic:04A1B2C3"; // 张伟, gold (pays 88%), account A0001, 1000.00
const ID = "id:0055555555"; // his ID card, same account
const SUB = "ic:5B5B5B5B"; // a sub-card of his IC card: 200.00 a day

t.test(
  "three cards on one account, offline at one till: approvals stay within the account's known balance",
  async (t) => {
    const rig = await startRig(t, { broker: "mosquitto", agent: "none" });
    const { broker, hq } = rig;
    await hq.db.query(
      `INSERT INTO cards (card_id, account_id, card_type, status, primary_card_id, daily_limit)
     VALUES ($1, 'A0001', 'gold', 'active', NULL, NULL), ($2, 'A0001', 'gold', 'active', $3, 20000)`,
      [ID, SUB, IC],
    );
    // Offline limits that let each card alone spend most of the account.
    const offline = { perTransactionMinor: 60_000, perCardMinor: 80_000, terminalMinor: 300_000 };
    const { agent, api } = await rig.startAgent({ authTimeoutMs: 1000, offline });
    const status = () => api.status();

    // 1. Each card is read online: the till learns each one's snapshot, all 1000.00.
    for (const card of [IC, ID, SUB]) {
      const res = await api.call("POST", "/api/v1/balance", { cardUid: card });
      t.match(res.body, { balance: 100_000, source: "online" }, `${card} read online`);
    }

    // 2. The broker goes away; the cashier sells on all three cards.
    await broker.stop();
    await waitFor("agent to notice the broker is gone", async () => !(await status()).broker.connected);
    const sell = async (card: string, amount: number) => (await postSale(agent.url, { amount, cardUid: card })).body;
    const approved: number[] = [];
    const take = (d: Awaited<ReturnType<typeof sell>>) => {
      if (d.approved) approved.push(d.transaction?.net ?? 0);
      return d;
    };
    t.match(take(await sell(IC, 50_000)), { approved: true, mode: "offline", balanceAfter: 56_000 });
    t.match(
      take(await sell(ID, 50_000)),
      { approved: true, mode: "offline", balanceAfter: 12_000 },
      "the ID card sees the IC card's sale",
    );
    const again = take(await sell(ID, 15_000)); // net 132.00, within its own offline total
    t.match(again, { approved: false, code: "INSUFFICIENT_BALANCE" }, "in the field this one was approved too");
    t.equal(again.reason, "卡内余额不足，本机所知余额 ¥120.00", "the cashier reads what is left");
    const overCard = take(await sell(IC, 45_000));
    t.match(overCard, { approved: false, code: "OFFLINE_LIMIT_CARD_AMOUNT" });
    t.equal(overCard.reason, "超过此卡离线累计限额 ¥800.00，本卡离线额度剩余 ¥360.00");
    t.match(
      take(await sell(SUB, 20_000)),
      { approved: false, code: "INSUFFICIENT_BALANCE" },
      "its 200.00 a day would allow it",
    );
    t.match(take(await sell(SUB, 10_000)), { approved: true, mode: "offline", balanceAfter: 3_200 });
    const total = approved.reduce((a, b) => a + b, 0);
    t.ok(total <= 100_000, `approved ${total} against a known 100 000`);
    t.equal(total, 96_800);

    // 3. The broker returns: everything drains, the account covers every sale.
    await broker.start();
    await waitFor("the journal to drain", async () => (await status()).journal.pending === 0, 20_000);
    await hq.idle();
    t.match(await hq.ledger.getCard(IC), { balance: 3_200 });
    t.same(await hq.ledger.reconcile(), [], "every account equals its opening balance plus its transactions");
    t.same(await hq.ledger.listAlerts(), [], "no shortfall, no alert");
    for (const card of [IC, ID, SUB]) t.equal(agent.ledger.knownBalance(card), 3_200, `${card}: the till agrees`);
  },
);
