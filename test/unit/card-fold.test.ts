/**
 * What a refund or void that gives points and uses back does to the till's view of a
 * card: the acknowledged entry folds them back into the snapshot, and while it is still
 * pending it never counts as points or uses spent (agent/journal/card-fold.ts,
 * agent/sale/unsynced-spend.ts).
 */
import t from "tap";
import { foldEntry } from "../../agent/journal/card-fold.js";
import type { CachedCard } from "../../agent/journal/journal-state.js";
import { unsyncedSpend } from "../../agent/sale/unsynced-spend.js";
import type { JournalEntry } from "../../protocol/journal-entry.js";

const DAY = "2026-11-22";
const card: CachedCard = {
  cardId: "ic:04A1B2C3",
  accountId: "A1",
  memberName: "张伟",
  cardType: "gold",
  status: "active",
  balance: 10_000,
  points: 300,
  packages: [{ packageId: "P1", service: "洗车", remainingUses: 4 }],
  includedThrough: 0,
  onlineThrough: 0,
  refreshedAt: 1,
};

function entry(seq: number, over: Partial<JournalEntry>): JournalEntry {
  return {
    terminalId: "T001",
    seq,
    prevHash: "0".repeat(64),
    hash: "0".repeat(64),
    mac: "",
    txnId: `t${seq}`,
    kind: "sale",
    mode: "offline",
    at: `${DAY}T02:00:00.000Z`,
    businessDay: DAY,
    operatorId: "001",
    cardId: card.cardId,
    gross: 0,
    discount: 0,
    net: 0,
    bonus: 0,
    pointsEarned: 0,
    balanceAfter: null,
    ...over,
  } as JournalEntry;
}

const sale = entry(1, {
  gross: 2_000,
  net: 1_500,
  pointsRedeemed: 50,
  redeemedMinor: 500,
  countPackageId: "P1",
  countUses: 1,
});
const voided = entry(2, {
  kind: "void",
  mode: "online",
  voidOf: "sale",
  originalTxnId: "t1",
  gross: 2_000,
  net: 1_500,
  pointsRedeemed: 50,
  redeemedMinor: 500,
  countPackageId: "P1",
  countUses: 1,
});

t.test("an acknowledged void folds the money, points and use it gave back into the snapshot", async (t) => {
  const afterSale = foldEntry(card, sale);
  t.same([afterSale.balance, afterSale.points, afterSale.packages?.[0]?.remainingUses], [8_500, 250, 3]);
  const afterVoid = foldEntry(afterSale, voided);
  t.same(
    [afterVoid.balance, afterVoid.points, afterVoid.packages?.[0]?.remainingUses, afterVoid.includedThrough],
    [10_000, 300, 4, 2],
    "back where the card started",
  );
});

t.test("points and uses a pending refund or void gives back are not counted as spent", async (t) => {
  const spent = unsyncedSpend(card, card, [sale, voided], () => card.accountId, DAY);
  t.equal(spent.points, 50, "the sale's redemption counts; the void's give-back does not add to it");
  t.equal(spent.uses.get("P1"), 1, "the sale's use counts; the void's given-back use is not a use");
  const refundTakingBack = entry(3, { kind: "refund", originalTxnId: "t9", net: 1_000, pointsEarned: -10 });
  t.equal(
    unsyncedSpend(card, card, [refundTakingBack], () => card.accountId, DAY).points,
    10,
    "earned points a refund takes back do count",
  );
});
