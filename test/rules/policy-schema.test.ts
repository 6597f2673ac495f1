import t from "tap";
import { decodeMessage, encodeMessage } from "../../protocol/messages.js";
import { demoPolicy, type PolicyDocument } from "../../rules/policy.js";
import { topUpTierProblems } from "../../rules/top-up.js";

/** A policy document as published before redemption and PIN rules existed: no redemption, no PIN rules. */
function yesterdaysPolicy(): PolicyDocument {
  const p = demoPolicy();
  delete p.pin;
  for (const type of Object.values(p.cardTypes)) delete type.pointsRedemption;
  return p;
}

t.test("the policy schema accepts today's documents and the new optional fields", async (t) => {
  t.same(decodeMessage("policy", encodeMessage("policy", yesterdaysPolicy())), { ok: true, value: yesterdaysPolicy() });
  t.same(decodeMessage("policy", encodeMessage("policy", demoPolicy())), { ok: true, value: demoPolicy() });
});

t.test("the policy schema refuses malformed redemption, PIN and tier fields", async (t) => {
  const bad: [string, (p: PolicyDocument) => void][] = [
    [
      "a fractional point value",
      (p) => (p.cardTypes.gold!.pointsRedemption = { minorPerPoint: 0.5, maxShareBp: 5000 }),
    ],
    ["a share above 100%", (p) => (p.cardTypes.gold!.pointsRedemption = { minorPerPoint: 1, maxShareBp: 10_001 })],
    ["no attempts allowed", (p) => (p.pin = { maxAttempts: 0, lockoutMs: 1000 })],
    ["a lock-out of nothing", (p) => (p.pin = { maxAttempts: 3, lockoutMs: 0 })],
    [
      "a negative tier bonus",
      (p) => (p.cardTypes.gold!.topUpBonus = [{ minMinor: 1, bonusMinor: -1, bonusPoints: 0 }]),
    ],
  ];
  for (const [label, mutate] of bad) {
    const p = demoPolicy();
    mutate(p);
    t.equal(decodeMessage("policy", JSON.stringify(p)).ok, false, label);
  }
});

t.test("the demo tiers are what the issue asks for, and the back office is told about their cliff", async (t) => {
  // 充1000送100, 充5000送5000积分: a 5000 top-up gets points only, less money than 4999.99.
  t.same(topUpTierProblems(demoPolicy().cardTypes.gold!.topUpBonus), [
    "a top-up of 5000.00 gets less bonus money than one of 1000.00",
  ]);
});
