/**
 * Properties of the pricing rules, checked with fast-check over random card
 * types and amounts. The references are BigInt arithmetic on the exact rationals, written
 * here independently of rules/money.ts.
 */
import fc from "fast-check";
import t from "tap";
import { useCount } from "../../rules/count-card.js";
import { MAX_MINOR } from "../../rules/money.js";
import type { CardTypePolicy, TopUpBonusTier } from "../../rules/policy.js";
import { priceSale, type SaleOptions } from "../../rules/pricing.js";
import { checkSubCardLimit } from "../../rules/sub-card.js";
import { priceTopUp, topUpTierProblems } from "../../rules/top-up.js";

const RUNS = { numRuns: 2000 };

const amount = fc.oneof(
  fc.integer({ min: 0, max: 10_000 }),
  fc.integer({ min: 0, max: 10_000_000 }),
  fc.integer({ min: 0, max: MAX_MINOR }),
);
const tier = fc.record({ minMinor: amount, bonusMinor: amount, bonusPoints: fc.integer({ min: 0, max: 1_000_000 }) });
const cardType: fc.Arbitrary<CardTypePolicy> = fc.record(
  {
    id: fc.constant("t"),
    name: fc.constant("卡"),
    payRateBp: fc.oneof(fc.constantFrom(10_000, 9_500, 9_000, 8_800, 8_500, 0), fc.integer({ min: 0, max: 10_000 })),
    points: fc.record({
      perMinor: fc.integer({ min: 1, max: 100_000 }),
      points: fc.integer({ min: 0, max: 10 }),
      birthdayMultiplier: fc.integer({ min: 1, max: 5 }),
    }),
    topUpBonus: fc.array(tier, { maxLength: 4 }),
    offlineAllowed: fc.boolean(),
    pinAboveMinor: fc.option(amount),
    pointsRedemption: fc.record({
      minorPerPoint: fc.integer({ min: 1, max: 100 }),
      maxShareBp: fc.integer({ min: 0, max: 10_000 }),
    }),
  },
  { requiredKeys: ["id", "name", "payRateBp", "points", "topUpBonus", "offlineAllowed", "pinAboveMinor"] },
);
const saleOptions: fc.Arbitrary<SaleOptions> = fc.record(
  {
    birthday: fc.constantFrom("08-08", "02-29"),
    today: fc.constantFrom("08-08", "01-01"),
    redeemPoints: fc.oneof(fc.integer({ min: 0, max: 1000 }), fc.integer({ min: 0, max: 1_000_000_000 })),
    availablePoints: fc.oneof(fc.integer({ min: -1000, max: 1000 }), fc.integer({ min: 0, max: 1_000_000_000 })),
  },
  { requiredKeys: [] },
);

/** round-half-up(n / d) for n ≥ 0, d > 0. */
function halfUp(n: bigint, d: bigint): bigint {
  return 2n * (n % d) >= d ? n / d + 1n : n / d;
}

t.test("net + discount + pointsValue === gross, and 0 ≤ net ≤ gross", async (t) => {
  fc.assert(
    fc.property(amount, cardType, saleOptions, (gross, type, opts) => {
      const p = priceSale(gross, type, opts);
      return (
        p.gross === gross &&
        p.net + p.discount + p.pointsValue === gross &&
        p.net >= 0 &&
        p.net <= gross &&
        p.discount >= 0 &&
        p.pointsValue >= 0 &&
        [p.net, p.discount, p.pointsValue, p.pointsRedeemed, p.pointsEarned].every(Number.isSafeInteger)
      );
    }),
    RUNS,
  );
  t.pass();
});

t.test("the discount is the exact rational gross × (1 − rate), rounded half-up", async (t) => {
  fc.assert(
    fc.property(amount, cardType, (gross, type) => {
      const exact = halfUp(BigInt(gross) * BigInt(10_000 - type.payRateBp), 10_000n);
      return BigInt(priceSale(gross, type).discount) === exact;
    }),
    RUNS,
  );
  t.pass();
});

t.test("points earned are floor(net × points × multiplier / perMinor), and monotone in net", async (t) => {
  fc.assert(
    fc.property(amount, amount, cardType, saleOptions, (g1, g2, type, opts) => {
      const a = priceSale(g1, type, opts);
      const b = priceSale(g2, type, opts);
      const mult = opts.birthday !== undefined && opts.birthday === opts.today ? type.points.birthdayMultiplier : 1;
      const exact = (BigInt(a.net) * BigInt(type.points.points * mult)) / BigInt(type.points.perMinor);
      const monotone = a.net <= b.net ? a.pointsEarned <= b.pointsEarned : a.pointsEarned >= b.pointsEarned;
      return BigInt(a.pointsEarned) === exact && monotone;
    }),
    RUNS,
  );
  t.pass();
});

t.test(
  "redemption: whole points, never more than asked, held or the cap — and no fewer than all three allow",
  async (t) => {
    fc.assert(
      fc.property(amount, cardType, saleOptions, (gross, type, opts) => {
        const p = priceSale(gross, type, opts);
        const rule = type.pointsRedemption;
        const asked = opts.redeemPoints ?? 0;
        const held = Math.max(0, opts.availablePoints ?? 0);
        if (!rule) return p.pointsRedeemed === 0 && p.pointsValue === 0;
        const bill = BigInt(gross - p.discount);
        const withinCap = (pts: number) => BigInt(pts * rule.minorPerPoint) * 10_000n <= bill * BigInt(rule.maxShareBp);
        const limits = p.pointsRedeemed <= asked && p.pointsRedeemed <= held && withinCap(p.pointsRedeemed);
        const maximal = p.pointsRedeemed === asked || p.pointsRedeemed === held || !withinCap(p.pointsRedeemed + 1);
        return (
          Number.isSafeInteger(p.pointsRedeemed) &&
          p.pointsRedeemed >= 0 &&
          p.pointsValue === p.pointsRedeemed * rule.minorPerPoint &&
          limits &&
          maximal
        );
      }),
      RUNS,
    );
    t.pass();
  },
);

/** Tiers whose gifts never shrink as the threshold grows. */
const monotoneTiers = fc.array(tier, { maxLength: 5 }).map((list) => {
  const sorted = [...list].sort((a, b) => a.minMinor - b.minMinor);
  let money = 0;
  let points = 0;
  return sorted.map((x): TopUpBonusTier => {
    money = Math.max(money, x.bonusMinor);
    points = Math.max(points, x.bonusPoints);
    return { minMinor: x.minMinor, bonusMinor: money, bonusPoints: points };
  });
});

function withTiers(topUpBonus: TopUpBonusTier[]): CardTypePolicy {
  return {
    id: "t",
    name: "卡",
    payRateBp: 10_000,
    points: { perMinor: 1, points: 0, birthdayMultiplier: 1 },
    topUpBonus,
    offlineAllowed: true,
    pinAboveMinor: null,
  };
}

t.test("top-up: the bonus is monotone in the amount when no tier gives less than a lower one", async (t) => {
  const monotone = (tiers: TopUpBonusTier[], a1: number, a2: number) => {
    const [lo, hi] = a1 <= a2 ? [a1, a2] : [a2, a1];
    const x = priceTopUp(lo, withTiers(tiers));
    const y = priceTopUp(hi, withTiers(tiers));
    return x.bonusMinor <= y.bonusMinor && x.bonusPoints <= y.bonusPoints;
  };
  fc.assert(fc.property(monotoneTiers, amount, amount, monotone), RUNS);
  // The back office's check is the same promise: no problem reported ⇒ monotone.
  fc.assert(
    fc.property(fc.array(tier, { maxLength: 4 }), amount, amount, (tiers, a1, a2) => {
      return topUpTierProblems(tiers).length > 0 || monotone(tiers, a1, a2);
    }),
    RUNS,
  );
  t.same(topUpTierProblems(withTiers([]).topUpBonus), []);
  t.pass();
});

t.test("top-up: the tier applied is the highest one the amount reaches", async (t) => {
  fc.assert(
    fc.property(fc.array(tier, { maxLength: 5 }), amount, (tiers, topUp) => {
      const got = priceTopUp(topUp, withTiers(tiers));
      const reached = tiers.filter((x) => x.minMinor <= topUp);
      if (reached.length === 0) return got.tier === null && got.bonusMinor === 0 && got.bonusPoints === 0;
      const highest = Math.max(...reached.map((x) => x.minMinor));
      return (
        got.tier !== null &&
        got.tier.minMinor === highest &&
        got.bonusMinor === got.tier.bonusMinor &&
        got.bonusPoints === got.tier.bonusPoints
      );
    }),
    RUNS,
  );
  t.pass();
});

t.test("count cards: uses taken plus uses left is what was bought, never below zero", async (t) => {
  fc.assert(
    fc.property(
      fc.integer({ min: 0, max: 50 }),
      fc.array(fc.integer({ min: 1, max: 5 }), { maxLength: 30 }),
      (n, uses) => {
        let pkg = { packageId: "P", service: "s", remainingUses: n };
        let taken = 0;
        for (const u of uses) {
          const r = useCount(pkg, u);
          if (r.ok) {
            pkg = r.pkg;
            taken += u;
          } else if (pkg.remainingUses >= u) return false;
        }
        return pkg.remainingUses >= 0 && taken + pkg.remainingUses === n;
      },
    ),
  );
  t.pass();
});

t.test("sub-cards: a payment passes exactly when it fits both limits", async (t) => {
  const limit = fc.option(amount, { nil: undefined });
  fc.assert(
    fc.property(limit, limit, amount, amount, (perTxnLimit, dailyLimit, spentToday, a) => {
      const r = checkSubCardLimit({ perTxnLimit, dailyLimit, spentToday }, a);
      const fitsTxn = perTxnLimit === undefined || a <= perTxnLimit;
      const fitsDay = dailyLimit === undefined || spentToday + a <= dailyLimit;
      if (r.ok) return fitsTxn && fitsDay;
      return r.code === (fitsTxn ? "SUB_CARD_LIMIT_DAY" : "SUB_CARD_LIMIT_TXN") && !(fitsTxn && fitsDay);
    }),
  );
  t.pass();
});
