/**
 * The reversal arithmetic (server/till/reversals.ts) as properties, on the pure function:
 * random sales (stored value, points earned, points redeemed at a random rate, count
 * uses) and random sequences of partial refunds — amounts, "the rest", uses, and requests
 * that ask too much. After every step, whatever the sequence:
 *   (a) nothing given back ever exceeds what the sale took: stored value, redeemed points
 *       and their cash, uses — nor do earned points taken back exceed those earned;
 *   (b) redeemed points given back never exceed their share: given × net ≤ redeemed ×
 *       refunded (floor, cumulatively), and the cash follows the points at the sale's rate;
 *   (c) the refund that completes the money gives back exactly every redeemed point and
 *       takes back exactly every earned one;
 *   (d) a refused refund moves nothing, and is refused for the reason the rules give;
 * and a void of an untouched sale — or a full refund with every use named — undoes the
 * sale exactly, measured with the journal's own deltas (balanceDelta, pointsDelta, usesDelta).
 */
import fc from "fast-check";
import t from "tap";
import { balanceDelta, type EntryBody, pointsDelta, type TxnKind, usesDelta } from "../../protocol/journal-entry.js";
import type { AppliedTxn } from "../../protocol/till-ops.js";
import { type GivenBack, NOTHING_GIVEN_BACK, type OriginalTxn, reversalOf } from "../../server/till/reversals.js";

const DAY = "2026-11-22";

const saleArb = fc
  .record({
    net: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 200_000 })),
    points: fc.integer({ min: 0, max: 10_000 }),
    pointsRedeemed: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 20_000 })),
    rate: fc.integer({ min: 1, max: 10 }),
    uses: fc.integer({ min: 0, max: 5 }),
  })
  .map(
    (s): OriginalTxn => ({
      txnId: "S1",
      kind: "sale",
      cardId: "ic:0D000001",
      gross: s.net + s.pointsRedeemed * s.rate,
      discount: 0,
      net: s.net,
      bonus: 0,
      points: s.points,
      pointsRedeemed: s.pointsRedeemed,
      // What a sale records: the points' cash value at the policy's whole-fen rate (pricing.ts).
      redeemedMinor: s.pointsRedeemed * s.rate,
      packageId: s.uses > 0 ? "P1" : null,
      uses: s.uses,
      businessDay: DAY,
    }),
  );

/** A refund request: an amount (or the rest), maybe uses; sometimes more than is left. */
const refundArb = (net: number) =>
  fc.record(
    {
      amount: fc.oneof(
        fc.integer({ min: 0, max: Math.max(1, Math.ceil(net / 3)) }),
        fc.integer({ min: 0, max: net + 5 }),
      ),
      uses: fc.integer({ min: 1, max: 3 }),
    },
    { requiredKeys: [] },
  );

function add(given: GivenBack, txn: AppliedTxn): GivenBack {
  return {
    refunds: given.refunds + (txn.kind === "refund" ? 1 : 0),
    voided: given.voided || txn.kind === "void",
    net: given.net + txn.net,
    pointsTaken: given.pointsTaken - txn.pointsEarned,
    pointsGiven: given.pointsGiven + (txn.pointsRedeemed ?? 0),
    redeemedMinor: given.redeemedMinor + (txn.redeemedMinor ?? 0),
    uses: given.uses + (txn.countUses ?? 0),
  };
}

/** The journal line each side would write, for the protocol's deltas. */
function entryOf(kind: TxnKind, f: Partial<EntryBody> & Pick<EntryBody, "net" | "pointsEarned">) {
  return { kind, bonus: 0, ...f } as Pick<
    EntryBody,
    "kind" | "net" | "bonus" | "voidOf" | "pointsEarned" | "pointsRedeemed" | "countPackageId" | "countUses"
  >;
}

function saleEntry(o: OriginalTxn) {
  return entryOf("sale", {
    net: o.net,
    pointsEarned: o.points,
    pointsRedeemed: o.pointsRedeemed,
    ...(o.packageId ? { countPackageId: o.packageId, countUses: o.uses } : {}),
  });
}

function txnEntry(txn: AppliedTxn) {
  return entryOf(txn.kind, {
    net: txn.net,
    pointsEarned: txn.pointsEarned,
    ...(txn.voidOf ? { voidOf: txn.voidOf } : {}),
    ...(txn.pointsRedeemed !== undefined ? { pointsRedeemed: txn.pointsRedeemed } : {}),
    ...(txn.countPackageId ? { countPackageId: txn.countPackageId, countUses: txn.countUses ?? 0 } : {}),
  });
}

/** Balance, points and uses moved by a set of entries: zero when they undo each other. */
function netEffect(entries: ReturnType<typeof entryOf>[]): { balance: number; points: number; uses: number } {
  return entries.reduce(
    (sum, e) => ({
      balance: sum.balance + balanceDelta(e),
      points: sum.points + pointsDelta(e),
      uses: sum.uses + (usesDelta(e)?.delta ?? 0),
    }),
    { balance: 0, points: 0, uses: 0 },
  );
}

t.test("partial refunds never give back more than the sale took, and the last gives back exactly the rest", (t) => {
  let steps = 0;
  let completed = 0;
  fc.assert(
    fc.property(
      saleArb.chain((sale) =>
        fc.tuple(fc.constant(sale), fc.array(refundArb(sale.net), { minLength: 1, maxLength: 10 })),
      ),
      ([sale, requests]) => {
        let given = NOTHING_GIVEN_BACK;
        let n = 0;
        for (const r of requests) {
          const plan = reversalOf({ op: "refund", txnId: `R${++n}`, ...r }, sale, given, { balance: 0 });
          const left = sale.net - given.net;
          const usesLeft = sale.uses - given.uses;
          const amount = r.amount ?? left;
          steps++;
          if (!plan.ok) {
            const tooMuch = amount > left || (r.uses ?? 0) > usesLeft;
            if (plan.code !== (tooMuch ? "REFUND_TOO_LARGE" : "ORIGINAL_NOT_REFUNDABLE")) return false;
            continue;
          }
          const txn = plan.txn;
          // Every figure moved is ≥ 0 but earned points, which only go back (≤ 0).
          if (txn.net !== amount || txn.pointsEarned > 0 || (txn.pointsRedeemed ?? 0) < 0) return false;
          if ((txn.countUses ?? 0) !== (r.uses ?? 0)) return false;
          given = add(given, txn);
          // (a) never more than the sale took.
          if (given.net > sale.net || given.pointsGiven > sale.pointsRedeemed) return false;
          if (given.pointsTaken > sale.points || given.uses > sale.uses) return false;
          if (given.redeemedMinor > sale.redeemedMinor) return false;
          // (b) the share, rounded down, cumulatively; the cash at the sale's own rate.
          if (sale.net > 0) {
            const share = Math.floor((sale.pointsRedeemed * given.net) / sale.net);
            if (given.pointsGiven !== share) return false;
            if (given.pointsTaken !== Math.floor((sale.points * given.net) / sale.net)) return false;
          }
          const rate = sale.pointsRedeemed > 0 ? sale.redeemedMinor / sale.pointsRedeemed : 0;
          if (given.redeemedMinor !== given.pointsGiven * rate) return false;
          // (c) the money complete: every point back, every earned point taken.
          if (given.net === sale.net) {
            completed++;
            if (given.pointsGiven !== sale.pointsRedeemed || given.pointsTaken !== sale.points) return false;
            if (given.redeemedMinor !== sale.redeemedMinor) return false;
          }
        }
        // A void after any refund is refused; the sale stays as partly refunded.
        const late = reversalOf({ op: "void", txnId: "V", businessDay: DAY }, sale, given, { balance: 0 });
        return given.refunds > 0 ? !late.ok && late.code === "VOID_NOT_ALLOWED" : true;
      },
    ),
    { numRuns: 400 },
  );
  t.ok(steps > 400, `${steps} refund requests judged`);
  t.ok(completed > 0, `${completed} sequences reached the full refund`);
  t.end();
});

t.test("a void of an untouched sale undoes it exactly, by the journal's own deltas", (t) => {
  let undone = 0;
  fc.assert(
    fc.property(saleArb, (sale) => {
      const plan = reversalOf({ op: "void", txnId: "V", businessDay: DAY }, sale, NOTHING_GIVEN_BACK, { balance: 0 });
      if (!plan.ok) return false;
      const { txn } = plan;
      const exact =
        txn.net === sale.net &&
        (txn.pointsRedeemed ?? 0) === sale.pointsRedeemed &&
        (txn.redeemedMinor ?? 0) === sale.redeemedMinor &&
        (txn.countUses ?? 0) === sale.uses &&
        txn.pointsEarned === -sale.points &&
        txn.balanceAfter === sale.net;
      const effect = netEffect([saleEntry(sale), txnEntry(txn)]);
      const again = reversalOf({ op: "void", txnId: "V2", businessDay: DAY }, sale, add(NOTHING_GIVEN_BACK, txn), {
        balance: 0,
      });
      const ok =
        exact &&
        effect.balance === 0 &&
        effect.points === 0 &&
        effect.uses === 0 &&
        !again.ok &&
        again.code === "ORIGINAL_NOT_REFUNDABLE";
      if (ok && (sale.pointsRedeemed > 0 || sale.uses > 0)) undone++;
      return ok;
    }),
    { numRuns: 300 },
  );
  t.ok(undone > 100, `${undone} voids gave back redeemed points or uses, exactly`);
  t.end();
});

t.test("refunds that give back all the money and name every use undo the sale exactly", (t) => {
  let squared = 0;
  fc.assert(
    fc.property(saleArb, fc.array(fc.integer({ min: 1, max: 1_000 }), { minLength: 0, maxLength: 6 }), (sale, cuts) => {
      // Random parts of the money, one use per refund while any is left, then "the rest" with the remaining uses.
      let given = NOTHING_GIVEN_BACK;
      const entries = [saleEntry(sale)];
      let n = 0;
      for (const cut of cuts) {
        const left = sale.net - given.net;
        const uses = sale.uses - given.uses > 0 ? { uses: 1 } : {};
        const plan = reversalOf({ op: "refund", txnId: `R${++n}`, amount: Math.min(cut, left), ...uses }, sale, given, {
          balance: 0,
        });
        if (!plan.ok) continue; // nothing left to move with this cut: refused, and nothing moved
        given = add(given, plan.txn);
        entries.push(txnEntry(plan.txn));
      }
      const rest = sale.uses - given.uses;
      const last = reversalOf({ op: "refund", txnId: "R-last", ...(rest > 0 ? { uses: rest } : {}) }, sale, given, {
        balance: 0,
      });
      if (last.ok) entries.push(txnEntry(last.txn));
      else if (sale.net - given.net > 0 || sale.pointsRedeemed - given.pointsGiven > 0 || rest > 0) return false;
      const effect = netEffect(entries);
      const ok = effect.balance === 0 && effect.points === 0 && effect.uses === 0;
      if (ok && entries.length > 2) squared++;
      return ok;
    }),
    { numRuns: 300 },
  );
  t.ok(squared > 100, `${squared} sequences of several refunds squared to zero`);
  t.end();
});

t.test("the rules' edges, by example", (t) => {
  // 100.00 sale: 85.00 stored value, 300 points (3.00) redeemed, 4 points earned, 2 uses.
  const sale: OriginalTxn = {
    txnId: "S1",
    kind: "sale",
    cardId: "ic:0D000001",
    gross: 10_000,
    discount: 1_200,
    net: 8_500,
    bonus: 0,
    points: 4,
    pointsRedeemed: 300,
    redeemedMinor: 300,
    packageId: "P1",
    uses: 2,
    businessDay: DAY,
  };
  const refund = (r: { amount?: number; uses?: number }, given = NOTHING_GIVEN_BACK) =>
    reversalOf({ op: "refund", txnId: "R", ...r }, sale, given, { balance: 1_000 });
  const half = refund({ amount: 4_250 });
  t.match(half, { ok: true, txn: { net: 4_250, pointsRedeemed: 150, redeemedMinor: 150, pointsEarned: -2 } });
  t.notOk(half.ok && "countUses" in half.txn, "money alone gives no use back");
  t.match(refund({ amount: 1 }), { ok: true, txn: { net: 1, pointsEarned: 0, balanceAfter: 1_001 } });
  t.notOk((refund({ amount: 1 }) as { txn: AppliedTxn }).txn.pointsRedeemed, "1 fen of 85.00 gives no point back");
  t.match(refund({ amount: 0, uses: 1 }), { ok: true, txn: { net: 0, countPackageId: "P1", countUses: 1 } });
  t.match(refund({ uses: 3 }), { ok: false, code: "REFUND_TOO_LARGE" }, "more uses than the sale took");
  t.match(refund({ amount: 8_501 }), { ok: false, code: "REFUND_TOO_LARGE" });
  t.match(refund({ amount: 0 }), { ok: false, code: "ORIGINAL_NOT_REFUNDABLE" }, "a refund of nothing");
  const all = { ...NOTHING_GIVEN_BACK, refunds: 1, net: 8_500, pointsTaken: 4, pointsGiven: 300, redeemedMinor: 300 };
  t.match(refund({}, all), { ok: false, code: "ORIGINAL_NOT_REFUNDABLE", message: /name an amount or the uses/ });
  t.match(refund({}, { ...all, uses: 2 }), { ok: false, message: /refunded in full already/ });
  const pointsOnly: OriginalTxn = { ...sale, net: 0, points: 0, packageId: null, uses: 0 };
  t.match(
    reversalOf({ op: "refund", txnId: "R" }, pointsOnly, NOTHING_GIVEN_BACK, { balance: 0 }),
    { ok: true, txn: { net: 0, pointsRedeemed: 300, redeemedMinor: 300 } },
    "a sale paid all in points has its points back at once",
  );
  const voidOf = (over: Partial<OriginalTxn>, given = NOTHING_GIVEN_BACK, day = DAY) =>
    reversalOf({ op: "void", txnId: "V", businessDay: day }, { ...sale, ...over }, given, { balance: 1_000 });
  t.match(voidOf({}), {
    ok: true,
    txn: { kind: "void", voidOf: "sale", net: 8_500, pointsRedeemed: 300, countUses: 2, pointsEarned: -4 },
  });
  t.match(
    voidOf({}, NOTHING_GIVEN_BACK, "2026-11-23"),
    { ok: false, code: "VOID_NOT_ALLOWED" },
    "another business day",
  );
  t.match(voidOf({}, { ...NOTHING_GIVEN_BACK, refunds: 1, uses: 1 }), { ok: false, code: "VOID_NOT_ALLOWED" });
  const topup = voidOf({
    kind: "topup",
    net: 500,
    bonus: 100,
    points: 0,
    pointsRedeemed: 0,
    redeemedMinor: 0,
    uses: 0,
  });
  t.match(topup, { ok: true, txn: { voidOf: "topup", balanceAfter: 400 } });
  t.notOk(topup.ok && ("pointsRedeemed" in topup.txn || "countUses" in topup.txn), "a top-up's void keeps its shape");
  t.end();
});
