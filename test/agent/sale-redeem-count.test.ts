/**
 * The decider with points redemption, count-card uses, sub-card limits and the PIN:
 * offline only within what the cached snapshot says exists minus what this
 * till spent since (offline rule 8); online the server is asked with those figures and
 * its answer journaled as it gave it.
 */
import { randomBytes } from "node:crypto";
import t, { type Test } from "tap";
import { TerminalLedger } from "../../agent/journal/terminal-ledger.js";
import { silentLogger } from "../../agent/logger.js";
import { Decider, type OnlineAuthoriser } from "../../agent/sale/decider.js";
import type { SaleRequest } from "../../agent/sale/sale-request.js";
import type { AuthReply, AuthRequest } from "../../protocol/messages.js";
import type { CardSnapshot } from "../../rules/card.js";
import { hashPin } from "../../rules/pin.js";
import { demoPolicy } from "../../rules/policy.js";
import { tempDir } from "../helpers/temp-dir.js";

const key = randomBytes(32);
const NOW = Date.parse("2026-11-22T02:00:00Z"); // business day 2026-11-22 in Shanghai
const GOLD: CardSnapshot = {
  cardId: "ic:04A1B2C3",
  accountId: "A1",
  memberName: "张伟",
  cardType: "gold", // 88折, 1 point = 1 fen up to half the bill, PIN above 1000.00
  status: "active",
  balance: 1_000_000,
  points: 500,
  hasPin: false,
  packages: [
    { packageId: "P1", service: "洗车", remainingUses: 2, expiresOn: null },
    { packageId: "P2", service: "spa", remainingUses: 5, expiresOn: "2026-11-21" },
  ],
};
const big = {
  enabled: true,
  perTransactionMinor: 10_000_000,
  perCardMinor: 10_000_000,
  perCardCount: 100,
  terminalMinor: 10_000_000,
  terminalCount: 300,
  maxOfflineAgeMs: 24 * 3600_000,
  allowUnknownCards: false,
};
const down: OnlineAuthoriser = { isConnected: () => false, authorise: async () => "timeout" };

async function till(t: Test, card: CardSnapshot = GOLD, online: OnlineAuthoriser = down) {
  const ledger = await TerminalLedger.open({ dataDir: await tempDir(t), terminalId: "T001", key });
  await ledger.rememberCard(card, { appliedSeq: 0, onlineThrough: 0 }, NOW);
  ledger.noteContact(NOW);
  const decider = new Decider({
    terminalId: "T001",
    ledger,
    online,
    policy: demoPolicy,
    hotlist: () => new Set(["ic:DEADBEEF"]),
    now: () => NOW,
    log: silentLogger(),
    settings: { offline: big, authTimeoutMs: 50, timeZone: "Asia/Shanghai", language: "zh-CN" },
  });
  let n = 0;
  const sale = (gross: number, extra: Partial<SaleRequest> = {}) =>
    decider.decideSale({ txnId: `s-${++n}`, cardId: card.cardId, gross, operatorId: "001", ...extra });
  return { ledger, sale };
}

t.test("offline, points redeem only what the cached snapshot holds minus unsynced redemptions", async (t) => {
  const { sale, ledger } = await till(t);
  const first = await sale(10_000, { redeemPoints: 300 });
  t.match(first, { approved: true, mode: "offline", entry: { pointsRedeemed: 300, redeemedMinor: 300, net: 8_500 } });
  t.equal(first.approved && first.entry.pointsEarned, 4, "earned on what the member paid in money only");
  const over = await sale(10_000, { redeemPoints: 201 });
  t.match(
    over,
    { approved: false, code: "POINTS_INSUFFICIENT", reason: "积分不足，无法抵扣" },
    "500 − 300 = 200 known",
  );
  t.match(await sale(10_000, { redeemPoints: 200 }), { approved: true, entry: { pointsRedeemed: 200 } });
  t.match(await sale(100, { redeemPoints: 1 }), { approved: false, code: "POINTS_INSUFFICIENT" }, "none left");
  t.equal(ledger.knownBalance(GOLD.cardId), 1_000_000 - 8_500 - 8_600, "only the approved sales' money is counted");
});

t.test("offline, the share cap cuts a redemption and a card type without the rule declines it", async (t) => {
  const { sale } = await till(t);
  t.match(await sale(1_000, { redeemPoints: 500 }), { approved: true, entry: { pointsRedeemed: 440, net: 440 } });
  const standard = await till(t, { ...GOLD, cardId: "ic:0A0B0C0D", cardType: "standard" });
  t.match(await standard.sale(1_000, { redeemPoints: 10 }), { approved: false, code: "POINTS_NOT_REDEEMABLE" });
});

t.test("offline, a count package is used until the uses the till knows of are gone, across an ack", async (t) => {
  const { sale, ledger } = await till(t);
  const use = () => sale(0, { countUse: { packageId: "P1", uses: 1 } });
  const first = await use();
  t.match(first, { approved: true, entry: { gross: 0, net: 0, countPackageId: "P1", countUses: 1 } });
  t.match(first, { countUse: { service: "洗车", uses: 1, remainingUses: 1 } });
  await ledger.acknowledge(1, NOW); // the server applied it: folded into the cached package
  t.match(ledger.card(GOLD.cardId)?.packages, [{ packageId: "P1", remainingUses: 1 }], "the ack folds the use in");
  t.match(await use(), { approved: true, countUse: { remainingUses: 0 } }, "not counted twice after the ack");
  t.match(await use(), { approved: false, code: "COUNT_EXHAUSTED", reason: "次卡剩余次数不足" });
  t.match(await sale(0, { countUse: { packageId: "P2", uses: 1 } }), { approved: false, code: "COUNT_EXPIRED" });
  t.match(await sale(0, { countUse: { packageId: "P9", uses: 1 } }), {
    approved: false,
    code: "COUNT_PACKAGE_UNKNOWN",
  });
  const both = await sale(2_500, { countUse: { packageId: "P1", uses: 1 } });
  t.match(both, { approved: false, code: "COUNT_EXHAUSTED" }, "a paid sale with a use is declined whole");
});

t.test("offline, the offline rules speak before the card rules", async (t) => {
  const { sale } = await till(t, { ...GOLD, cardId: "ic:DEADBEEF" });
  t.match(await sale(1_000, { redeemPoints: 9_999 }), { approved: false, code: "CARD_HOTLISTED" });
  const stranger = await till(t);
  const unknown = await stranger.sale(0, { cardId: "ic:11223344", countUse: { packageId: "P1", uses: 1 } });
  t.match(unknown, { approved: false, code: "CARD_UNKNOWN" });
});

t.test(
  "offline, a sub-card's daily limit counts the server's figure for today and the till's unsynced sales",
  async (t) => {
    const today = { primaryCardId: GOLD.cardId, perTxnLimit: 5_000, dailyLimit: 8_000 };
    const sub = { ...GOLD, cardId: "ic:5B5B5B01", subCard: { ...today, spentDay: "2026-11-22", spentToday: 4_000 } };
    const { sale } = await till(t, sub);
    t.match(await sale(6_000), { approved: false, code: "SUB_CARD_LIMIT_TXN" }, "net 52.80 > 50.00");
    t.match(await sale(5_000), { approved: false, code: "SUB_CARD_LIMIT_DAY" }, "40 + 44 > 80");
    t.match(await sale(4_000), { approved: true }, "40 + 35.20 fits");
    t.match(await sale(1_000), { approved: false, code: "SUB_CARD_LIMIT_DAY" }, "40 + 35.20 + 8.80 > 80");
    const yesterday = await till(t, { ...sub, subCard: { ...today, spentDay: "2026-11-21", spentToday: 7_999 } });
    t.match(await yesterday.sale(5_000), { approved: true }, "yesterday's spending does not count today");
  },
);

t.test("offline, the PIN threshold counts points too, and a card with no PIN on file has none to ask", async (t) => {
  const { sale } = await till(t);
  t.match(await sale(120_000), { approved: true }, "no PIN on file: above the threshold without one");
  const pinHash = hashPin("246810", undefined, { N: 1024, r: 8, p: 1 });
  const withPin = await till(t, { ...GOLD, hasPin: true, pinHash });
  // 1140.00 gross → 1003.20 bill; 10 points pay 0.10: 1003.10 in money, 1003.20 from the account.
  t.match(await withPin.sale(114_000, { redeemPoints: 10 }), { approved: false, code: "PIN_REQUIRED" });
  t.match(await withPin.sale(114_000, { redeemPoints: 10, pin: "246810" }), { approved: true });
});

t.test("online, the server is asked with the till's unsynced figures and its answer is journaled", async (t) => {
  const asked: Omit<AuthRequest, "corr" | "v">[] = [];
  let online = false;
  const server: OnlineAuthoriser = {
    isConnected: () => online,
    authorise: async (req): Promise<AuthReply> => {
      asked.push(req);
      return {
        v: 1,
        corr: "c",
        txnId: req.txnId,
        approved: true,
        gross: req.gross,
        discount: 120,
        net: 780,
        pointsEarned: 0,
        pointsRedeemed: 100,
        redeemedMinor: 100,
        countUse: { packageId: "P1", service: "洗车", remainingUses: 0, expiresOn: null, uses: 1 },
        balanceAfter: 900_000,
        card: { ...GOLD, balance: 900_000, points: 100 },
      };
    },
  };
  const { sale, ledger } = await till(t, GOLD, server);
  t.match(await sale(10_000, { redeemPoints: 300 }), { approved: true, mode: "offline" });
  t.match(await sale(0, { countUse: { packageId: "P1", uses: 1 } }), { approved: true, mode: "offline" });
  online = true;
  const d = await sale(1_000, { redeemPoints: 100, countUse: { packageId: "P1", uses: 1 }, pin: "1234" });
  t.match(asked[0], {
    redeemPoints: 100,
    unsyncedOfflinePoints: 300,
    countUse: { packageId: "P1", uses: 1 },
    unsyncedOfflineUses: 1,
    unsyncedOfflineMinor: 8_500,
    pin: "1234",
  });
  t.match(d, { approved: true, mode: "online", countUse: { remainingUses: 0 } });
  t.match(d.approved && d.entry, { pointsRedeemed: 100, redeemedMinor: 100, countPackageId: "P1", countUses: 1 });
  t.notOk(d.approved && "pin" in d.entry, "the PIN is never journaled");
  t.match(ledger.card(GOLD.cardId), { points: 100, balance: 900_000 }, "the server's snapshot is cached");
});
