import { randomBytes } from "node:crypto";
import t, { type Test } from "tap";
import { TerminalLedger } from "../../agent/journal/terminal-ledger.js";
import { silentLogger } from "../../agent/logger.js";
import { Decider, type OnlineAuthoriser } from "../../agent/sale/decider.js";
import type { AuthReply } from "../../protocol/messages.js";
import type { CardSnapshot } from "../../rules/card.js";
import type { OfflineLimits } from "../../rules/offline-rules.js";
import { hashPin } from "../../rules/pin.js";
import { demoPolicy } from "../../rules/policy.js";
import { tempDir } from "../helpers/temp-dir.js";

const key = randomBytes(32);
const HOUR = 3600_000;
const gold: CardSnapshot = {
  cardId: "ic:04A1B2C3",
  accountId: "A1",
  memberName: "张伟",
  cardType: "gold",
  status: "active",
  balance: 100_000,
  points: 0,
};
const limits: OfflineLimits = {
  enabled: true,
  perTransactionMinor: 30_000,
  perCardMinor: 50_000,
  perCardCount: 5,
  terminalMinor: 80_000,
  terminalCount: 300,
  maxOfflineAgeMs: 24 * HOUR,
  allowUnknownCards: false,
};

/** The server link is down: every decision is offline. */
const down: OnlineAuthoriser = { isConnected: () => false, authorise: async () => "timeout" };

async function setup(
  t: Test,
  opts: { online?: OnlineAuthoriser; limits?: Partial<OfflineLimits>; clock?: { now: number } } = {},
) {
  const dir = await tempDir(t);
  const ledger = await TerminalLedger.open({ dataDir: dir, terminalId: "T001", key });
  const clock = opts.clock ?? { now: Date.parse("2026-11-22T02:00:00Z") };
  await ledger.rememberCard(gold, { appliedSeq: 0, onlineThrough: 0 }, clock.now);
  await ledger.rememberCard(
    { ...gold, cardId: "ic:0BADCAFE", accountId: "A4", status: "frozen" }, // another member's card
    { appliedSeq: 0, onlineThrough: 0 },
    clock.now,
  );
  ledger.noteContact(clock.now);
  const decider = new Decider({
    terminalId: "T001",
    ledger,
    online: opts.online ?? down,
    policy: demoPolicy,
    hotlist: () => new Set(["ic:DEADBEEF"]),
    now: () => clock.now,
    log: silentLogger(),
    settings: { offline: { ...limits, ...opts.limits }, authTimeoutMs: 50, timeZone: "Asia/Shanghai", language: "en" },
  });
  let n = 0;
  const sale = (gross: number, cardId = gold.cardId) =>
    decider.decideSale({ txnId: `txn-${++n}`, cardId, gross, operatorId: "001" });
  return { ledger, decider, sale, clock, dir };
}

t.test("an offline sale within every limit is approved at the card type's discount", async (t) => {
  const { sale, ledger } = await setup(t);
  const d = await sale(10_000); // gold pays 88%
  t.equal(d.approved, true);
  t.equal(d.mode, "offline");
  t.equal(d.approved && d.entry.net, 8_800);
  t.equal(d.approved && d.entry.discount, 1_200);
  t.equal(ledger.knownBalance(gold.cardId), 91_200);
});

t.test("each offline rule declines with its own code", async (t) => {
  const cases: [string, number, string, Partial<OfflineLimits>?][] = [
    ["per transaction", 40_000, "OFFLINE_LIMIT_TXN"],
    ["unknown card", 1_000, "CARD_UNKNOWN"],
    ["hotlisted card", 1_000, "CARD_HOTLISTED"],
    ["frozen card", 1_000, "CARD_NOT_ACTIVE"],
    ["offline disabled", 1_000, "OFFLINE_DISABLED", { enabled: false }],
  ];
  for (const [name, gross, code, over] of cases) {
    const { sale } = await setup(t, { limits: over });
    const cardId =
      name === "unknown card"
        ? "ic:11223344"
        : name === "hotlisted card"
          ? "ic:DEADBEEF"
          : name === "frozen card"
            ? "ic:0BADCAFE"
            : gold.cardId;
    const d = await sale(gross, cardId);
    t.equal(!d.approved && d.code, code, name);
  }
});

t.test("the per-card total counts earlier unsynced offline debits", async (t) => {
  const { sale } = await setup(t);
  t.equal((await sale(25_000)).approved, true); // net 22 000
  t.equal((await sale(25_000)).approved, true); // net 22 000 → 44 000
  const third = await sale(10_000); // net 8 800 → 52 800 > 50 000
  t.equal(!third.approved && third.code, "OFFLINE_LIMIT_CARD_AMOUNT");
  t.match(!third.approved && third.reason, /offline total/);
});

t.test("the terminal total counts every card's unsynced offline debits", async (t) => {
  const { sale, ledger } = await setup(t, { limits: { perCardMinor: 1_000_000 } });
  await ledger.rememberCard(
    { ...gold, cardId: "ic:0A0B0C0D", cardType: "standard", balance: 500_000 },
    { appliedSeq: 0, onlineThrough: 0 },
    0,
  );
  t.equal((await sale(30_000, "ic:0A0B0C0D")).approved, true);
  t.equal((await sale(30_000, "ic:0A0B0C0D")).approved, true);
  const d = await sale(25_000, "ic:0A0B0C0D");
  t.equal(!d.approved && d.code, "OFFLINE_LIMIT_TERMINAL_AMOUNT");
});

t.test("no offline approval after the maximum offline age", async (t) => {
  const clock = { now: Date.parse("2026-11-22T02:00:00Z") };
  const { sale } = await setup(t, { clock });
  t.equal((await sale(1_000)).approved, true);
  clock.now += 25 * HOUR;
  const d = await sale(1_000);
  t.equal(!d.approved && d.code, "OFFLINE_TOO_LONG");
});

t.test("offline never spends money the terminal does not know exists", async (t) => {
  const { sale, ledger } = await setup(t, {
    limits: { perCardMinor: 10_000_000, perTransactionMinor: 10_000_000, terminalMinor: 10_000_000 },
  });
  await ledger.rememberCard({ ...gold, balance: 5_000, cardType: "standard" }, { appliedSeq: 0, onlineThrough: 1 }, 0);
  t.equal((await sale(5_000)).approved, true);
  const d = await sale(1);
  t.equal(!d.approved && d.code, "INSUFFICIENT_BALANCE");
});

t.test("two concurrent taps cannot both pass a check only one of them fits", async (t) => {
  const { sale, ledger } = await setup(t);
  const results = await Promise.all([sale(28_000), sale(28_000)]); // net 24 640 each; two pass 50 000? no: 49 280 fits
  t.equal(results.filter((d) => d.approved).length, 2, "both fit the 500.00 card limit");
  const more = await Promise.all([sale(2_000), sale(2_000), sale(2_000)]); // 1 760 each; only none fit: 49 280 + 1 760 > 50 000
  t.equal(more.filter((d) => d.approved).length, 0);
  t.equal(ledger.offlineExposure(gold.cardId).minor, 49_280);
  const racers = await setup(t);
  const race = await Promise.all(Array.from({ length: 10 }, () => racers.sale(10_000))); // 8 800 each: 5 fit under 50 000 (count limit 5)
  t.equal(race.filter((d) => d.approved).length, 5);
  t.ok(racers.ledger.offlineExposure(gold.cardId).minor <= 50_000);
});

t.test("an online timeout falls back to the offline rules with the same transaction id", async (t) => {
  const asked: string[] = [];
  const slow: OnlineAuthoriser = {
    isConnected: () => true,
    authorise: async (req) => {
      asked.push(req.txnId);
      return "timeout";
    },
  };
  const { sale } = await setup(t, { online: slow });
  const d = await sale(1_000);
  t.equal(d.mode, "offline");
  t.equal(d.approved, true);
  t.same(asked, [d.txnId]);
  t.equal(d.approved && d.entry.txnId, asked[0]);
});

t.test("an online approval is journalled with the server's pricing and balance", async (t) => {
  const online: OnlineAuthoriser = {
    isConnected: () => true,
    authorise: async (req): Promise<AuthReply> => ({
      v: 1,
      corr: "c",
      txnId: req.txnId,
      approved: true,
      gross: req.gross,
      discount: 1_200,
      net: 8_800,
      pointsEarned: 8,
      balanceAfter: 91_200,
      card: { ...gold, balance: 91_200 },
      appliedSeq: 0,
    }),
  };
  const { sale, ledger } = await setup(t, { online });
  const d = await sale(10_000);
  t.equal(d.mode, "online");
  t.equal(d.approved && d.entry.balanceAfter, 91_200);
  t.equal(ledger.knownBalance(gold.cardId), 91_200);
  t.same(ledger.offlineExposure(), { minor: 0, count: 0 });
});

t.test("offline, a PIN above the card type's threshold is checked with a durable retry counter", async (t) => {
  const pinHash = hashPin("246810", undefined, { N: 1024, r: 8, p: 1 });
  const big = {
    perTransactionMinor: 10_000_000,
    perCardMinor: 10_000_000,
    terminalMinor: 10_000_000,
    perCardCount: 100,
  };
  const { decider, ledger, dir } = await setup(t, { limits: big });
  await ledger.rememberCard({ ...gold, balance: 10_000_000, pinHash }, { appliedSeq: 0, onlineThrough: 0 }, 0);
  let n = 100;
  const sale = (gross: number, pin?: string) =>
    decider.decideSale({ txnId: `pin-${++n}`, cardId: gold.cardId, gross, operatorId: "001", pin });
  // gold pays 88%; a PIN is asked above ¥1000.00 net.
  t.equal((await sale(100_000)).approved, true, "net 880.00: no PIN asked");
  const none = await sale(200_000);
  t.equal(!none.approved && none.code, "PIN_REQUIRED");
  const wrong = await sale(200_000, "111111");
  t.equal(!wrong.approved && wrong.code, "PIN_WRONG");
  const right = await sale(200_000, "246810");
  t.equal(right.approved, true, "the right PIN approves");
  for (let i = 0; i < 4; i++) await sale(200_000, "000000");
  const fifth = await sale(200_000, "000000");
  t.equal(!fifth.approved && fifth.code, "PIN_LOCKED", "locked after five wrong PINs in a row");
  const locked = await sale(200_000, "246810");
  t.equal(!locked.approved && locked.code, "PIN_LOCKED", "even the right PIN is refused while locked");
  const reopened = await TerminalLedger.open({ dataDir: dir, terminalId: "T001", key });
  t.same(reopened.checkIntegrity(), { ok: true });
  t.match(reopened.pinAttemptsOf(gold.cardId), { failures: 5 }, "the counter survived a restart");
});

t.test("offline, a card whose PIN hash the till does not hold cannot pay above the threshold", async (t) => {
  const big = { perTransactionMinor: 10_000_000, perCardMinor: 10_000_000, terminalMinor: 10_000_000 };
  const { decider, ledger } = await setup(t, { limits: big });
  await ledger.rememberCard({ ...gold, balance: 10_000_000 }, { appliedSeq: 0, onlineThrough: 0 }, 0);
  const d = await decider.decideSale({
    txnId: "x",
    cardId: gold.cardId,
    gross: 200_000,
    operatorId: "001",
    pin: "1234",
  });
  t.equal(!d.approved && d.code, "PIN_NOT_CACHED");
});
