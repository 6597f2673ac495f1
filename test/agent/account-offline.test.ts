/**
 * Limits per account: two cards on one account at one till, offline. The known balance,
 * the unsynced offline spend, points and count uses belong to the account (a member's IC
 * and ID card, a primary and its sub-card share them); the per-card offline limits and a
 * sub-card's own limits still apply per card on top.
 *
 * Real TerminalLedger on disk, the real Decider; the server is only what it said when both
 * cards were read online (their snapshots), then the link is down.
 */
import { randomBytes } from "node:crypto";
import t, { type Test } from "tap";
import { TerminalLedger } from "../../agent/journal/terminal-ledger.js";
import { silentLogger } from "../../agent/logger.js";
import { Decider, type OnlineAuthoriser } from "../../agent/sale/decider.js";
import type { Decision } from "../../agent/sale/decision.js";
import type { AuthRequest } from "../../protocol/messages.js";
import type { CardSnapshot } from "../../rules/card.js";
import type { OfflineLimits } from "../../rules/offline-rules.js";
import { demoPolicy } from "../../rules/policy.js";
import { tempDir } from "../helpers/temp-dir.js";

const key = randomBytes(32);
const START = Date.parse("2026-11-22T02:00:00Z");
const DAY = "2026-11-22";
/** The balance both cards reported when read online: the account's, 960.08. */
const KNOWN = 96_008;
const IC: CardSnapshot = {
  cardId: "ic:04A1B2C3",
  accountId: "A1",
  memberName: "张伟",
  cardType: "standard",
  status: "active",
  balance: KNOWN,
  points: 400,
  packages: [{ packageId: "P1", service: "洗车", remainingUses: 3, expiresOn: null }],
};
const ID: CardSnapshot = { ...IC, cardId: "id:0012345678" };
/** A sub-card on the same account with its own limits: 100.00 a payment, 150.00 a day (50.00 spent). */
const SUB: CardSnapshot = {
  ...IC,
  cardId: "ic:05050505",
  subCard: { primaryCardId: IC.cardId, perTxnLimit: 10_000, dailyLimit: 15_000, spentDay: DAY, spentToday: 5_000 },
};
const limits: OfflineLimits = {
  enabled: true,
  perTransactionMinor: 60_000,
  perCardMinor: 100_000,
  perCardCount: 5,
  terminalMinor: 500_000,
  terminalCount: 300,
  maxOfflineAgeMs: 24 * 3600_000,
  allowUnknownCards: false,
};

async function till(t: Test, cards: CardSnapshot[], online?: OnlineAuthoriser) {
  const ledger = await TerminalLedger.open({ dataDir: await tempDir(t), terminalId: "T001", key });
  // Both cards were read online (a balance query each): the till holds both snapshots.
  for (const c of cards) await ledger.rememberCard(c, { appliedSeq: 0, onlineThrough: 0 }, START);
  ledger.noteContact(START);
  const decider = new Decider({
    terminalId: "T001",
    ledger,
    online: online ?? { isConnected: () => false, authorise: async () => "timeout" },
    policy: demoPolicy,
    hotlist: () => new Set(),
    now: () => START + 60_000,
    log: silentLogger(),
    settings: { offline: limits, authTimeoutMs: 50, timeZone: "Asia/Shanghai", language: "zh-CN" },
  });
  let n = 0;
  const sell = (cardId: string, gross: number, more: { redeemPoints?: number; uses?: number } = {}) =>
    decider.decideSale({
      txnId: `txn-${++n}`,
      cardId,
      gross,
      operatorId: "001",
      ...(more.redeemPoints ? { redeemPoints: more.redeemPoints } : {}),
      ...(more.uses ? { countUse: { packageId: "P1", uses: more.uses } } : {}),
    });
  return { ledger, sell };
}

const approvedNet = (ds: Decision[]) => ds.reduce((sum, d) => sum + (d.approved ? d.entry.net : 0), 0);

t.test("an IC and an ID card on one account: offline approvals never pass the account's known balance", async (t) => {
  const { ledger, sell } = await till(t, [IC, ID]);
  // The field run: 994.70 approved against a known 960.08, each card from the full balance.
  const ds = [await sell(IC.cardId, 50_000), await sell(ID.cardId, 49_470)];
  t.ok(approvedNet(ds) <= KNOWN, `approved ${approvedNet(ds)} against a known ${KNOWN}`);
  t.match(ds[1], { approved: false, code: "INSUFFICIENT_BALANCE" }, "the second card sees what the first spent");
  t.equal(ledger.knownBalance(IC.cardId), KNOWN - 50_000, "the account's known balance, by either card");
  t.equal(ledger.knownBalance(ID.cardId), KNOWN - 50_000);
  const rest = await sell(ID.cardId, KNOWN - 50_000);
  t.match(rest, { approved: true, mode: "offline" }, "what is left can still be spent by the other card");
  t.equal(ledger.knownBalance(IC.cardId), 0);
});

t.test("points and count uses are the account's, whichever card spends them offline", async (t) => {
  // Silver redeems points (1 fen a point, up to half the bill, demo policy); 400 points on the account.
  const { sell } = await till(t, [
    { ...IC, cardType: "silver" },
    { ...ID, cardType: "silver" },
  ]);
  t.match(await sell(IC.cardId, 1_000, { redeemPoints: 300 }), { approved: true });
  t.match(await sell(ID.cardId, 1_000, { redeemPoints: 200 }), { approved: false, code: "POINTS_INSUFFICIENT" });
  t.match(await sell(ID.cardId, 1_000, { redeemPoints: 100 }), { approved: true }, "the 100 points left");
  t.match(await sell(IC.cardId, 100, { uses: 2 }), { approved: true });
  t.match(await sell(ID.cardId, 100, { uses: 2 }), { approved: false, code: "COUNT_EXHAUSTED" });
  t.match(await sell(ID.cardId, 100, { uses: 1 }), { approved: true }, "the one use left");
});

t.test("a sub-card shares the account's known balance and keeps its own limits", async (t) => {
  const { ledger, sell } = await till(t, [IC, SUB]);
  t.match(await sell(IC.cardId, 90_000), { approved: false, code: "OFFLINE_LIMIT_TXN" });
  t.match(await sell(IC.cardId, 55_000), { approved: true });
  t.match(await sell(IC.cardId, 35_000), { approved: true });
  // 6 008 left on the account: the sub-card's own 100.00 a payment would allow more.
  t.match(await sell(SUB.cardId, 8_000), { approved: false, code: "INSUFFICIENT_BALANCE" });
  t.match(await sell(SUB.cardId, 6_000), { approved: true });
  t.equal(ledger.knownBalance(SUB.cardId), 8);
  t.equal(ledger.knownBalance(IC.cardId), 8);
});

t.test("a sub-card's daily limit counts only its own spending, not the primary's", async (t) => {
  const { sell } = await till(t, [IC, SUB]);
  t.match(await sell(IC.cardId, 20_000), { approved: true }, "the primary spends");
  t.match(await sell(SUB.cardId, 10_001), { approved: false, code: "SUB_CARD_LIMIT_TXN" });
  t.match(await sell(SUB.cardId, 10_000), { approved: true }, "50.00 + 100.00 = its 150.00 a day");
  t.match(await sell(SUB.cardId, 1), { approved: false, code: "SUB_CARD_LIMIT_DAY" });
});

t.test("the per-card offline limits stay per card", async (t) => {
  const { sell } = await till(t, [
    { ...IC, balance: 400_000 },
    { ...ID, balance: 400_000 },
  ]);
  t.match(await sell(IC.cardId, 60_000), { approved: true });
  t.match(await sell(IC.cardId, 45_000), { approved: false, code: "OFFLINE_LIMIT_CARD_AMOUNT" });
  t.match(await sell(ID.cardId, 60_000), { approved: true }, "the other card has its own offline total");
});

t.test("online, the server is told the account's unsynced offline spend, and the card's own for its day", async (t) => {
  let link = false;
  const asked: Omit<AuthRequest, "corr" | "v">[] = [];
  const online: OnlineAuthoriser = {
    isConnected: () => link,
    authorise: async (req) => {
      asked.push(req);
      return "timeout";
    },
  };
  const { sell } = await till(t, [IC, SUB], online);
  await sell(IC.cardId, 30_000);
  await sell(SUB.cardId, 2_000);
  link = true;
  await sell(SUB.cardId, 1_000);
  t.equal(asked[0]?.unsyncedOfflineMinor, 32_000, "both cards' offline sales are the account's");
  t.equal(asked[0]?.unsyncedOfflineCardMinor, 2_000, "the sub-card's own, for its daily limit at the server");
});

t.test("a sale acknowledged on one card stays spent in the other card's snapshot, across a restart", async (t) => {
  const dir = await tempDir(t);
  const open = () => TerminalLedger.open({ dataDir: dir, terminalId: "T001", key });
  const ledger = await open();
  for (const c of [IC, ID]) await ledger.rememberCard(c, { appliedSeq: 0, onlineThrough: 0 }, START);
  const sale = await ledger.commit({
    txnId: "t1",
    kind: "sale",
    mode: "offline",
    at: new Date(START).toISOString(),
    businessDay: DAY,
    operatorId: "001",
    cardId: IC.cardId,
    gross: 50_000,
    discount: 0,
    net: 50_000,
    bonus: 0,
    pointsEarned: 0,
    balanceAfter: null,
  });
  await ledger.acknowledge(sale.seq, START + 1);
  t.equal(ledger.pending().length, 0, "the sale left the outbox");
  t.equal(ledger.knownBalance(ID.cardId), KNOWN - 50_000, "the ID card's snapshot took it in");
  t.equal(ledger.card(ID.cardId)?.balance, KNOWN - 50_000);
  // A snapshot of the ID card the server took before it applied the sale must not undo that.
  await ledger.rememberCard(ID, { appliedSeq: 0, onlineThrough: 0, ackedAtAsk: 0 }, START + 2);
  t.equal(ledger.knownBalance(ID.cardId), KNOWN - 50_000, "an older snapshot does not bring the money back");
  await ledger.rememberCard({ ...ID, status: "lost" }, { appliedSeq: 0, onlineThrough: 0, ackedAtAsk: 0 }, START + 2);
  t.equal(ledger.card(ID.cardId)?.status, "lost", "but what it says of the card itself is taken");
  t.equal(ledger.knownBalance(ID.cardId), KNOWN - 50_000);
  await ledger.rememberCard(ID, { appliedSeq: 0, onlineThrough: 0, ackedAtAsk: 0 }, START + 2);
  await ledger.flushCards();
  await ledger.close();
  const again = await open();
  t.equal(again.knownBalance(ID.cardId), KNOWN - 50_000, "after a restart");
  t.equal(again.knownBalance(IC.cardId), KNOWN - 50_000);
  await again.rememberCard({ ...ID, balance: KNOWN - 50_000 }, { appliedSeq: sale.seq, onlineThrough: 0 }, START + 3);
  t.equal(again.card(ID.cardId)?.refreshedAt, START + 3, "a snapshot that includes it is taken");
  await again.close();
});

t.test("an offline decline names the limit and what is left, in the store's language", async (t) => {
  const { sell } = await till(t, [IC, SUB]);
  await sell(IC.cardId, 60_000);
  const over = await sell(IC.cardId, 45_000);
  t.match(over, { approved: false, code: "OFFLINE_LIMIT_CARD_AMOUNT" });
  t.equal(!over.approved && over.reason, "超过此卡离线累计限额 ¥1000.00，本卡离线额度剩余 ¥400.00");
  t.match(await sell(SUB.cardId, 6_000), { approved: true }, "the sub-card has spent 110.00 of its 150.00 today");
  const short = await sell(SUB.cardId, 5_000);
  t.equal(!short.approved && short.reason, "超过附属卡当日消费限额 ¥150.00，今日剩余 ¥40.00");
  const big = await sell(SUB.cardId, 10_001);
  t.equal(!big.approved && big.reason, "超过附属卡单笔消费限额 ¥100.00");
  const broke = await sell(IC.cardId, 31_000);
  t.equal(!broke.approved && broke.reason, "卡内余额不足，本机所知余额 ¥300.08");
});
