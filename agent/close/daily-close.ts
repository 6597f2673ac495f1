/**
 * buildDailyClose: the daily close (日结) of one terminal and business day, computed from
 * its journal entries alone (docs/daily-close.md). Pure and deterministic — no clock, no locale, no
 * I/O — so the close is rebuilt from the journal every time it is asked for and comes
 * out the same however often it is run; nothing is ever kept as running counters that
 * could drift from the journal.
 */

import {
  balanceDelta,
  countUseOf,
  type JournalEntry,
  PAYMENT_METHODS,
  redemptionOf,
  TXN_KINDS,
  type TxnKind,
  usesGivenBack,
} from "../../protocol/journal-entry.js";
import { maskCardId } from "../../rules/card.js";
import type {
  CloseTxn,
  DailyCloseReport,
  KindTotals,
  OperatorTotals,
  PaymentKey,
  PaymentTotals,
  Totals,
} from "./close-report.js";
import { ZERO } from "./close-report.js";

export interface DailyCloseOptions {
  terminalId: string;
  /** YYYY-MM-DD */
  businessDay: string;
  /** The highest sequence number the server has acknowledged. */
  ackedSeq: number;
  /** ISO-8601 time the report is made (JSON and receipt only, never the exports). */
  generatedAt: string;
}

export function buildDailyClose(entries: readonly JournalEntry[], opts: DailyCloseOptions): DailyCloseReport {
  const { kept, duplicates } = entriesOfDay(entries, opts);
  const unsynced = kept.filter((e) => e.seq > opts.ackedSeq);
  const byKind = TXN_KINDS.map((kind) => ({ kind, ...totalsOf(kept.filter((e) => e.kind === kind)) }));
  const voidsOf = (of: "sale" | "topup") => totalsOf(kept.filter((e) => e.kind === "void" && e.voidOf === of));
  const voids = { sale: voidsOf("sale"), topup: voidsOf("topup") };
  const times = kept.map((e) => e.at).sort(byInstant);
  return {
    format: 1,
    terminalId: opts.terminalId,
    businessDay: opts.businessDay,
    generatedAt: opts.generatedAt,
    ackedSeq: opts.ackedSeq,
    firstTxnAt: times[0] ?? null,
    lastTxnAt: times[times.length - 1] ?? null,
    firstSeq: kept[0]?.seq ?? null,
    lastSeq: kept[kept.length - 1]?.seq ?? null,
    total: totalsOf(kept),
    byKind,
    voids,
    byOperator: operators(kept),
    byPayment: payments(kept),
    byMode: {
      online: totalsOf(kept.filter((e) => e.mode === "online")),
      offline: totalsOf(kept.filter((e) => e.mode === "offline")),
    },
    unsynced: { ...totalsOf(unsynced), firstSeq: unsynced[0]?.seq ?? null },
    bonusGiven: kindOf(byKind, "topup").bonus - voids.topup.bonus,
    countUses: countUsesOf(kept),
    duplicatesDropped: duplicates,
    transactions: kept.map((e) => txnRow(e, kept, opts.ackedSeq)),
  };
}

/**
 * The day's entries of this terminal in sequence order, each txnId once. A txnId seen
 * twice cannot come from one sound journal (the sequence is unique); it is counted once
 * defensively, the lowest sequence number kept, and reported so it is noticed.
 */
function entriesOfDay(
  entries: readonly JournalEntry[],
  opts: DailyCloseOptions,
): { kept: JournalEntry[]; duplicates: number } {
  const ofDay = entries
    .filter((e) => e.businessDay === opts.businessDay && e.terminalId === opts.terminalId)
    .sort((a, b) => a.seq - b.seq || compareText(a.txnId, b.txnId));
  const seen = new Set<string>();
  const kept: JournalEntry[] = [];
  for (const e of ofDay) {
    if (seen.has(e.txnId)) continue;
    seen.add(e.txnId);
    kept.push(e);
  }
  return { kept, duplicates: ofDay.length - kept.length };
}

export function totalsOf(entries: readonly JournalEntry[]): Totals {
  const t = { ...ZERO };
  for (const e of entries) {
    const delta = balanceDelta(e);
    t.count += 1;
    t.gross += e.gross;
    t.discount += e.discount;
    t.net += e.net;
    t.bonus += e.bonus;
    if (delta > 0) t.credit += delta;
    else t.debit -= delta;
    t.balanceChange += delta;
    t.pointsEarned += e.pointsEarned;
    // Signed like pointsEarned: a refund's or void's redeemed points given back count −.
    const redeemed = redemptionOf(e);
    t.pointsRedeemed += redeemed.points;
    t.redeemedMinor += redeemed.minor;
  }
  return t;
}

function operators(entries: readonly JournalEntry[]): OperatorTotals[] {
  const ids = [...new Set(entries.map((e) => e.operatorId))].sort(compareText);
  return ids.map((operatorId) => {
    const own = entries.filter((e) => e.operatorId === operatorId);
    const byKind = TXN_KINDS.map((kind) => ({ kind, ...totalsOf(own.filter((e) => e.kind === kind)) })).filter(
      (k) => k.count > 0,
    );
    return { operatorId, total: totalsOf(own), byKind };
  });
}

/**
 * Top-up takings per payment method. A void of a top-up gives the member's money back
 * the way it came: its own `payment` when recorded, else the voided top-up's (voids are
 * same-day, so the original is among these entries).
 */
function payments(entries: readonly JournalEntry[]): PaymentTotals[] {
  const rows = new Map<PaymentKey, PaymentTotals>();
  const row = (payment: PaymentKey) => {
    let r = rows.get(payment);
    if (!r) {
      r = {
        payment,
        topups: { count: 0, paid: 0, bonus: 0 },
        voided: { count: 0, paid: 0, bonus: 0 },
        takings: { count: 0, paid: 0 },
      };
      rows.set(payment, r);
    }
    return r;
  };
  for (const e of entries) {
    const bucket = e.kind === "topup" ? "topups" : e.kind === "void" && e.voidOf === "topup" ? "voided" : undefined;
    if (!bucket) continue;
    const r = row(paymentOf(e, entries));
    r[bucket].count += 1;
    r[bucket].paid += e.net;
    r[bucket].bonus += e.bonus;
  }
  for (const r of rows.values()) {
    r.takings = { count: r.topups.count - r.voided.count, paid: r.topups.paid - r.voided.paid };
  }
  const order: PaymentKey[] = [...PAYMENT_METHODS, "unspecified"];
  return order.flatMap((p) => rows.get(p) ?? []);
}

function paymentOf(e: JournalEntry, entries: readonly JournalEntry[]): PaymentKey {
  if (e.payment) return e.payment;
  if (e.kind === "void" && e.originalTxnId !== undefined) {
    const original = entries.find((o) => o.txnId === e.originalTxnId);
    if (original?.payment) return original.payment;
  }
  return "unspecified";
}

function txnRow(e: JournalEntry, entries: readonly JournalEntry[], ackedSeq: number): CloseTxn {
  const paysIn = e.kind === "topup" || (e.kind === "void" && e.voidOf === "topup");
  return {
    seq: e.seq,
    txnId: e.txnId,
    at: e.at,
    kind: e.kind,
    voidOf: e.voidOf ?? null,
    mode: e.mode,
    operatorId: e.operatorId,
    card: maskCardId(e.cardId),
    gross: e.gross,
    discount: e.discount,
    net: e.net,
    bonus: e.bonus,
    balanceChange: balanceDelta(e),
    pointsEarned: e.pointsEarned,
    pointsRedeemed: redemptionOf(e).points,
    payment: paysIn ? paymentOf(e, entries) : null,
    originalTxnId: e.originalTxnId ?? null,
    synced: e.seq <= ackedSeq,
  };
}

/**
 * Sales that used a count package and how many uses in all, and the uses refunds and
 * voids gave back (a use is not money: it has no amount).
 */
function countUsesOf(entries: readonly JournalEntry[]): DailyCloseReport["countUses"] {
  const used = entries.flatMap((e) => countUseOf(e) ?? []);
  const back = entries.flatMap((e) => usesGivenBack(e) ?? []);
  return {
    count: used.length,
    uses: used.reduce((sum, u) => sum + u.uses, 0),
    givenBack: back.reduce((sum, u) => sum + u.uses, 0),
  };
}

function kindOf(rows: readonly KindTotals[], kind: TxnKind): KindTotals {
  return rows.find((r) => r.kind === kind) ?? { kind, ...ZERO };
}

/** Code-point order: localeCompare would make the order (and the bytes) depend on the box's ICU. */
export function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function byInstant(a: string, b: string): number {
  return Date.parse(a) - Date.parse(b) || compareText(a, b);
}
