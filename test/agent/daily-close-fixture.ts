/**
 * One business day of terminal T001 with figures worked out by hand (see the expected
 * totals in daily-close.test.ts): two operators, online and offline, a discounted sale,
 * a sale partly paid with points, a refund, a top-up with bonus, a top-up voided the same
 * day, an entry of the day before, and the last two entries not yet acknowledged.
 */
import { randomBytes } from "node:crypto";
import type { NewEntry } from "../../agent/journal/terminal-ledger.js";
import { GENESIS_HASH, type JournalEntry, sealEntry } from "../../protocol/journal-entry.js";

export const DAY = "2026-11-22";
export const ACKED_SEQ = 6;

const base = {
  mode: "online" as const,
  businessDay: DAY,
  operatorId: "001",
  cardId: "ic:04A1B2C3D4",
  gross: 0,
  discount: 0,
  net: 0,
  bonus: 0,
  pointsEarned: 0,
  balanceAfter: null,
};

/** Entries as the sale flow hands them to TerminalLedger.commit, in commit order (seq 1…8). */
export const NEW_ENTRIES: NewEntry[] = [
  {
    ...base,
    txnId: "s0",
    kind: "sale",
    at: "2026-11-21T09:00:00.000Z",
    businessDay: "2026-11-21",
    gross: 1234,
    net: 1234,
  },
  {
    ...base,
    txnId: "s2",
    kind: "sale",
    at: "2026-11-22T01:00:00.000Z",
    gross: 10_000,
    discount: 1_000,
    net: 9_000,
    pointsEarned: 9,
  },
  {
    ...base,
    txnId: "t3",
    kind: "topup",
    at: "2026-11-22T02:00:00.000Z",
    gross: 100_000,
    net: 100_000,
    bonus: 10_000,
    payment: "wechat",
  },
  {
    ...base,
    txnId: "s4",
    kind: "sale",
    mode: "offline",
    operatorId: "002",
    cardId: "ic:0499887766",
    at: "2026-11-22T03:00:00.000Z",
    gross: 5_000,
    discount: 500,
    net: 4_000,
    pointsEarned: 4,
    pointsRedeemed: 50,
    redeemedMinor: 500,
  },
  {
    ...base,
    txnId: "r5",
    kind: "refund",
    operatorId: "002",
    at: "2026-11-22T04:00:00.000Z",
    gross: 2_000,
    net: 2_000,
    pointsEarned: -2,
    originalTxnId: "s2",
  },
  {
    ...base,
    txnId: "t6",
    kind: "topup",
    mode: "offline",
    at: "2026-11-22T05:00:00.000Z",
    gross: 50_000,
    net: 50_000,
    payment: "cash",
  },
  // No payment of its own: the close finds it on the voided top-up t6 (cash).
  {
    ...base,
    txnId: "v7",
    kind: "void",
    voidOf: "topup",
    mode: "offline",
    operatorId: "002",
    at: "2026-11-22T06:00:00.000Z",
    gross: 50_000,
    net: 50_000,
    originalTxnId: "t6",
  },
  { ...base, txnId: "s8", kind: "sale", at: "2026-11-22T08:30:00.000Z", gross: 3_000, net: 3_000, pointsEarned: 3 },
];

const key = randomBytes(32);

/** The same entries sealed into a chain, as a ledger would hold them. */
export function sealedEntries(terminalId = "T001"): JournalEntry[] {
  let prevHash = GENESIS_HASH;
  return NEW_ENTRIES.map((e, i) => {
    const sealed = sealEntry({ ...e, terminalId, seq: i + 1, prevHash }, key);
    prevHash = sealed.hash;
    return sealed;
  });
}

export const OPTS = {
  terminalId: "T001",
  businessDay: DAY,
  ackedSeq: ACKED_SEQ,
  generatedAt: "2026-11-22T14:00:00.000Z",
};
