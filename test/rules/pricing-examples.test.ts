/**
 * Worked examples written from the rules (docs/policy.md). Every expected figure is
 * worked out by hand in the row's comment — never by calling the code under test.
 *
 * Rules: discount = gross × (1 − rate), rounded half-up to the fen; bill = gross − discount;
 * points may pay at most maxShare of the bill, in whole points (rounded down); net = bill −
 * points' value; points are earned on net, rounded down; top-up: highest tier wins alone.
 */
import t from "tap";
import { useCount } from "../../rules/count-card.js";
import { checkPinPresent, pinRequired } from "../../rules/pin.js";
import { checkPointsAvailable } from "../../rules/points.js";
import type { CardTypePolicy } from "../../rules/policy.js";
import { priceSale, type SaleOptions } from "../../rules/pricing.js";
import { checkSubCardLimit } from "../../rules/sub-card.js";
import { priceTopUp } from "../../rules/top-up.js";

const tiers = [
  { minMinor: 100_000, bonusMinor: 10_000, bonusPoints: 0 }, // 充 1000 送 100
  { minMinor: 500_000, bonusMinor: 0, bonusPoints: 5000 }, //  充 5000 送 5000 积分
];
const base = { topUpBonus: tiers, offlineAllowed: true, pinAboveMinor: null };
/** 1 point per 20 yuan; birthday ×mult. */
const per20 = (mult: number) => ({ perMinor: 2000, points: 1, birthdayMultiplier: mult });

const standard: CardTypePolicy = { ...base, id: "standard", name: "普卡", payRateBp: 10_000, points: per20(1) };
const silver: CardTypePolicy = { ...base, id: "silver", name: "银卡", payRateBp: 9_500, points: per20(2) };
const gold: CardTypePolicy = {
  ...base,
  id: "gold",
  name: "金卡",
  payRateBp: 8_800,
  points: per20(2),
  pinAboveMinor: 100_000,
  pointsRedemption: { minorPerPoint: 1, maxShareBp: 5_000 }, // 100 积分 = 1 元, up to half the bill
};
const vip: CardTypePolicy = {
  ...base,
  id: "vip",
  name: "VIP",
  payRateBp: 8_500,
  points: { perMinor: 1000, points: 3, birthdayMultiplier: 3 }, // 3 points per 10 yuan
  pointsRedemption: { minorPerPoint: 10, maxShareBp: 3_000 }, // 10 积分 = 1 元, up to 30%
};

const BDAY: SaleOptions = { birthday: "08-08", today: "08-08" };
const NOT_BDAY: SaleOptions = { birthday: "08-08", today: "08-07" };
const redeem = (redeemPoints: number, availablePoints: number, more: SaleOptions = {}): SaleOptions => ({
  redeemPoints,
  availablePoints,
  ...more,
});

type SaleRow = [
  label: string,
  type: CardTypePolicy,
  gross: number,
  opts: SaleOptions,
  discount: number,
  pointsRedeemed: number,
  net: number,
  pointsEarned: number,
];

// biome-ignore format: a table of worked examples reads best aligned
const SALES: SaleRow[] = [
  // label                                   type      gross  options              disc  redeemed net   earned
  ["88折 ¥0.01: 0.12 fen → 0",              gold,          1, {},                     0,    0,      1,   0],
  ["88折 ¥0.04: 0.48 → 0",                  gold,          4, {},                     0,    0,      4,   0],
  ["88折 ¥0.05: 0.6 → 1",                   gold,          5, {},                     1,    0,      4,   0],
  ["88折 ¥0.09: 1.08 → 1",                  gold,          9, {},                     1,    0,      8,   0],
  ["88折 ¥1.05: 12.6 → 13",                 gold,        105, {},                    13,    0,     92,   0],
  ["88折 ¥100: 1200; 8800/2000 = 4.4 → 4",  gold,     10_000, {},                  1200,    0,   8800,   4],
  ["88折 ¥100 on the birthday: 8.8 → 8",    gold,     10_000, BDAY,                1200,    0,   8800,   8],
  ["88折 ¥100 the day before: 4",           gold,     10_000, NOT_BDAY,            1200,    0,   8800,   4],
  ["88折 ¥22.73: 272.76 → 273; net 2000 = 1 pt", gold,  2273, {},                   273,    0,   2000,   1],
  ["88折 ¥22.72: 272.64 → 273; 1999 → 0 pt", gold,      2272, {},                   273,    0,   1999,   0],
  ["88折 ¥22.72 birthday: 3998/2000 → 1",   gold,       2272, BDAY,                 273,    0,   1999,   1],
  ["95折 ¥0.10: 0.5 is a tie → 1",          silver,       10, {},                     1,    0,      9,   0],
  ["95折 ¥0.20: 1.0 → 1",                   silver,       20, {},                     1,    0,     19,   0],
  ["95折 ¥0.30: 1.5 → 2",                   silver,       30, {},                     2,    0,     28,   0],
  ["95折 ¥12.30: 61.5 → 62",                silver,     1230, {},                    62,    0,   1168,   0],
  ["95折 ¥40 birthday: 3800×2/2000 = 3.8 → 3", silver,  4000, BDAY,                 200,    0,   3800,   3],
  ["85折 ¥0.10: 1.5 → 2",                   vip,          10, {},                     2,    0,      8,   0],
  ["85折 ¥10 birthday: 850×9/1000 = 7.65 → 7", vip,     1000, BDAY,                 150,    0,    850,   7],
  ["full price ¥19.99: 0.9995 pt → 0",      standard,   1999, {},                     0,    0,   1999,   0],
  ["full price ¥20.00: 1 pt",               standard,   2000, {},                     0,    0,   2000,   1],
  ["full price ¥40 birthday ×1: 2 pt",      standard,   4000, BDAY,                   0,    0,   4000,   2],
  ["no sale, nothing",                      gold,          0, redeem(100, 100),       0,    0,      0,   0],
  // points redemption: cap = floor(bill × share / minorPerPoint)
  ["¥100 gold, 10000 pts asked: cap 8800×50% = 4400", gold, 10_000, redeem(10_000, 10_000), 1200, 4400, 4400, 2],
  ["¥100 gold, exactly the cap 4400",       gold,     10_000, redeem(4400, 4400),   1200, 4400,   4400,   2],
  ["¥100 gold, 4401 asked → cut to 4400",   gold,     10_000, redeem(4401, 9999),   1200, 4400,   4400,   2],
  ["¥100 gold, 3000 asked, 1000 held → 1000; 7800/2000 → 3", gold, 10_000, redeem(3000, 1000), 1200, 1000, 7800, 3],
  ["¥100 gold, points held but none asked", gold,     10_000, redeem(0, 5000),      1200,    0,   8800,   4],
  ["¥100 gold, asked but none held",        gold,     10_000, redeem(500, 0),       1200,    0,   8800,   4],
  ["¥100 gold, negative points held → 0",   gold,     10_000, redeem(500, -20),     1200,    0,   8800,   4],
  ["¥0.05 gold: bill 4, cap 2 pts",         gold,          5, redeem(100, 100),       1,    2,      2,   0],
  ["¥0.03 gold: 0.36 → 0; bill 3, cap 1.5 → 1", gold,      3, redeem(100, 100),       0,    1,      2,   0],
  ["full price card has no redemption rule", standard, 10_000, redeem(500, 500),       0,    0, 10_000,   5],
  // vip ¥99.99: 1499.85 → 1500; bill 8499; cap 8499×30%/10 = 254.97 → 254 pts = 25.40 yuan;
  // net 8499 − 2540 = 5959; earned 5959×3/1000 = 17.877 → 17
  ["vip ¥99.99 redeems 254 pts at 10 fen",  vip,        9999, redeem(1000, 1000),  1500,  254,   5959,  17],
  ["vip ¥99.99 birthday: 5959×9/1000 → 53", vip,        9999, redeem(1000, 1000, BDAY), 1500, 254, 5959, 53],
  // ¥100 000 000 gold: 12% = 12 000 000.00; net 8 800 000 000 fen / 2000 = 4 400 000 pts
  ["88折 the largest amount",               gold, 10_000_000_000, {},     1_200_000_000,    0, 8_800_000_000, 4_400_000],
];

t.test("sale pricing matches the worked examples", async (t) => {
  for (const [label, type, gross, opts, discount, pointsRedeemed, net, pointsEarned] of SALES) {
    const pointsValue = pointsRedeemed * (type.pointsRedemption?.minorPerPoint ?? 0);
    t.equal(gross, discount + pointsValue + net, `${label}: the row itself adds up`);
    t.same(priceSale(gross, type, opts), { gross, discount, pointsRedeemed, pointsValue, net, pointsEarned }, label);
  }
});

// biome-ignore format: a table of worked examples reads best aligned
const TOP_UPS: [label: string, amount: number, bonusMinor: number, bonusPoints: number, tierMin: number | null][] = [
  ["¥0.01: no tier",                         1,       0,    0, null],
  ["¥999.99: just below 充1000",        99_999,       0,    0, null],
  ["¥1000.00: 送 ¥100",                100_000,  10_000,    0, 100_000],
  ["¥1000.01: 送 ¥100",                100_001,  10_000,    0, 100_000],
  ["¥4999.99: still 送 ¥100",          499_999,  10_000,    0, 100_000],
  ["¥5000.00: 送 5000 积分 alone, no ¥100", 500_000, 0,  5000, 500_000],
  ["¥10000: the highest tier, once",  1_000_000,      0, 5000, 500_000],
];

t.test("top-up bonus matches the worked examples: the highest tier reached wins alone", async (t) => {
  for (const [label, amount, bonusMinor, bonusPoints, tierMin] of TOP_UPS) {
    const got = priceTopUp(amount, gold);
    t.same({ ...got, tier: got.tier?.minMinor ?? null }, { amount, bonusMinor, bonusPoints, tier: tierMin }, label);
  }
  const shuffled = { ...gold, topUpBonus: [...tiers].reverse() };
  t.equal(priceTopUp(500_000, shuffled).bonusPoints, 5000, "the order tiers are listed in does not matter");
  t.equal(priceTopUp(100_000, { ...gold, topUpBonus: [] }).bonusMinor, 0, "no tiers, no bonus");
});

t.test("count cards: uses come off until none are left", async (t) => {
  const pkg = { packageId: "P1", service: "洗车", remainingUses: 3 };
  t.same(useCount(pkg), { ok: true, pkg: { ...pkg, remainingUses: 2 } }, "3 − 1 = 2");
  t.same(useCount(pkg, 3), { ok: true, pkg: { ...pkg, remainingUses: 0 } }, "3 − 3 = 0: the last uses");
  t.same(useCount(pkg, 4), { ok: false, code: "COUNT_EXHAUSTED" }, "4 asked, 3 left");
  t.same(useCount({ ...pkg, remainingUses: 0 }), { ok: false, code: "COUNT_EXHAUSTED" }, "none left");
  t.equal(pkg.remainingUses, 3, "the package given is not changed");
  for (const bad of [0, -1, 1.5, Number.NaN]) t.throws(() => useCount(pkg, bad), { code: "CT_BAD_REQUEST" });
});

// biome-ignore format: a table of worked examples reads best aligned
const SUB_CARDS: [label: string, perTxnLimit: number | null | undefined, dailyLimit: number | null | undefined, spentToday: number, amount: number, code: string | null][] = [
  ["no limits at all",                  undefined, undefined,  90_000, 50_000, null],
  ["null limits mean none",             null,      null,       90_000, 50_000, null],
  ["¥50 per payment, ¥50.00 paid",      5000,      undefined,       0,   5000, null],
  ["¥50 per payment, ¥50.01 paid",      5000,      undefined,       0,   5001, "SUB_CARD_LIMIT_TXN"],
  ["¥100 a day, ¥60 spent + ¥40",       undefined, 10_000,       6000,   4000, null],
  ["¥100 a day, ¥60 spent + ¥40.01",    undefined, 10_000,       6000,   4001, "SUB_CARD_LIMIT_DAY"],
  ["both passed: the payment limit is the reason", 5000, 10_000, 9000, 6000, "SUB_CARD_LIMIT_TXN"],
  ["within the payment limit, over the day", 5000, 10_000,       9000,   1001, "SUB_CARD_LIMIT_DAY"],
];

t.test("sub-card limits match the worked examples", async (t) => {
  for (const [label, perTxnLimit, dailyLimit, spentToday, amount, code] of SUB_CARDS) {
    const expected = code === null ? { ok: true } : { ok: false, code };
    t.same(checkSubCardLimit({ perTxnLimit, dailyLimit, spentToday }, amount), expected, label);
  }
});

t.test("points and PIN thresholds match the worked examples", async (t) => {
  t.same(checkPointsAvailable(100, 100), { ok: true }, "asking for all one holds");
  t.same(checkPointsAvailable(101, 100), { ok: false, code: "POINTS_INSUFFICIENT" }, "one point more than held");
  t.same(checkPointsAvailable(1, -5), { ok: false, code: "POINTS_INSUFFICIENT" }, "a negative points balance");
  t.throws(() => checkPointsAvailable(-1, 100), { code: "CT_BAD_REQUEST" });
  t.throws(() => priceSale(100, gold, redeem(0.5, 100)), { code: "CT_BAD_REQUEST" });
  t.equal(pinRequired(gold, 100_000), false, "gold: ¥1000.00 is not above ¥1000");
  t.equal(pinRequired(gold, 100_001), true, "gold: ¥1000.01 is");
  t.equal(pinRequired(standard, 10_000_000_000), false, "standard: never");
  t.same(checkPinPresent(gold, 100_001, undefined), { ok: false, code: "PIN_REQUIRED" });
  t.same(checkPinPresent(gold, 100_001, ""), { ok: false, code: "PIN_REQUIRED" });
  t.same(checkPinPresent(gold, 100_001, "1234"), { ok: true });
  t.same(checkPinPresent(gold, 100_000, undefined), { ok: true });
});
