/**
 * The journal's arithmetic for refunds and voids that give back redeemed points and
 * count uses (protocol/journal-entry.ts): the fields are ≥ 0 and the kind gives their
 * direction, so the deltas the till's cache, the ingest and the daily close use agree;
 * such entries pass the wire schema the server decodes batches with; entries without the
 * fields hash as they always did.
 */
import t from "tap";
import {
  balanceDelta,
  countUseOf,
  type EntryBody,
  hashBody,
  pointsDelta,
  redemptionOf,
  sealEntry,
  usesDelta,
  usesGivenBack,
} from "../../protocol/journal-entry.js";
import { decodeMessage } from "../../protocol/messages.js";

const base: EntryBody = {
  terminalId: "T001",
  seq: 1,
  prevHash: "0".repeat(64),
  txnId: "t-1",
  kind: "sale",
  mode: "online",
  at: "2026-11-22T02:00:00.000Z",
  businessDay: "2026-11-22",
  operatorId: "001",
  cardId: "ic:04A1B2C3",
  gross: 10_000,
  discount: 1_200,
  net: 8_500,
  bonus: 0,
  pointsEarned: 4,
  balanceAfter: 91_500,
};
const sale: EntryBody = { ...base, pointsRedeemed: 300, redeemedMinor: 300, countPackageId: "P1", countUses: 1 };
const voided: EntryBody = {
  ...sale,
  txnId: "t-2",
  kind: "void",
  voidOf: "sale",
  pointsEarned: -4,
  balanceAfter: 100_000,
  originalTxnId: "t-1",
};
const refund: EntryBody = {
  ...base,
  txnId: "t-3",
  kind: "refund",
  gross: 4_250,
  discount: 0,
  net: 4_250,
  pointsEarned: -2,
  pointsRedeemed: 150,
  redeemedMinor: 150,
  originalTxnId: "t-1",
};

t.test("a sale spends points and uses; its void gives exactly those back", async (t) => {
  t.equal(pointsDelta(sale), 4 - 300);
  t.equal(pointsDelta(voided), 300 - 4);
  t.equal(balanceDelta(sale) + balanceDelta(voided), 0);
  t.same(usesDelta(sale), { packageId: "P1", delta: -1 });
  t.same(usesDelta(voided), { packageId: "P1", delta: 1 });
  t.same(countUseOf(sale), { packageId: "P1", uses: 1 }, "a sale's use is a use");
  t.equal(countUseOf(voided), undefined, "a void's uses are not a use: they go back");
  t.same(usesGivenBack(voided), { packageId: "P1", uses: 1 });
  t.equal(usesGivenBack(sale), undefined);
  t.same(redemptionOf(sale), { points: 300, minor: 300 });
  t.same(redemptionOf(voided), { points: -300, minor: -300 }, "signed: net of give-backs when summed");
});

t.test("a refund gives its share of points back; a top-up and its void are untouched", async (t) => {
  t.equal(pointsDelta(refund), 150 - 2);
  t.same(redemptionOf(refund), { points: -150, minor: -150 });
  t.equal(usesDelta(refund), undefined);
  const topup: EntryBody = {
    ...base,
    kind: "topup",
    gross: 1_000,
    discount: 0,
    net: 1_000,
    bonus: 100,
    pointsEarned: 5,
  };
  t.equal(pointsDelta(topup), 5);
  const topupVoid: EntryBody = { ...topup, kind: "void", voidOf: "topup", pointsEarned: -5 };
  t.equal(pointsDelta(topupVoid), -5);
  t.equal(balanceDelta({ ...topup, kind: "void", voidOf: "topup" }), -1_100);
});

t.test("reversal entries with points and uses pass the server's batch schema", async (t) => {
  const key = Buffer.alloc(32, 7);
  const entries = [sealEntry(voided, key), sealEntry({ ...refund, seq: 2, countPackageId: "P1", countUses: 2 }, key)];
  const decoded = decodeMessage("journalBatch", JSON.stringify({ v: 1, terminalId: "T001", entries }));
  t.ok(decoded.ok, decoded.ok ? "decoded" : decoded.reason);
});

t.test("an entry without the new fields hashes as it always did; with them, they are covered", async (t) => {
  const old: EntryBody = { ...refund, pointsRedeemed: undefined, redeemedMinor: undefined } as EntryBody;
  const { pointsRedeemed: _p, redeemedMinor: _m, ...without } = refund;
  t.equal(hashBody(old), hashBody(without as EntryBody), "absent fields stay out of the hash");
  t.not(hashBody(refund), hashBody(without as EntryBody), "points given back are sealed");
  t.not(hashBody({ ...refund, countPackageId: "P1", countUses: 1 }), hashBody(refund), "so are uses given back");
});
