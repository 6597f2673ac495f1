/**
 * What the day's list says can still be voided or refunded (agent/till/reversibility.ts),
 * a pure function of the journal entries: the server's rules (server/till/reversals.ts)
 * seen from the till — voided, refunded, a reversal itself, another day, not uploaded yet.
 */
import t from "tap";
import { reversibility } from "../../agent/till/reversibility.js";
import type { JournalEntry } from "../../protocol/journal-entry.js";

let seq = 0;
const entry = (over: Partial<JournalEntry>): JournalEntry =>
  ({
    txnId: `t${++seq}`,
    seq,
    kind: "sale",
    mode: "online",
    net: 1_000,
    bonus: 0,
    ...over,
  }) as JournalEntry;

t.test("each of the day's transactions says whether it can be voided, and if not why", async (t) => {
  const sale = entry({});
  const voidedSale = entry({});
  const theVoid = entry({ kind: "void", originalTxnId: voidedSale.txnId, net: 1_000 });
  const partly = entry({ net: 2_000 });
  const refund = entry({ kind: "refund", originalTxnId: partly.txnId, net: 500 });
  const topUp = entry({ kind: "topup", net: 10_000, bonus: 1_000 });
  const voidedTopUp = entry({ kind: "topup", net: 5_000 });
  const topUpVoid = entry({ kind: "void", originalTxnId: voidedTopUp.txnId, net: 5_000 });
  const offlineSent = entry({ mode: "offline" });
  const offlineWaiting = entry({ mode: "offline" });
  const all = [sale, voidedSale, theVoid, partly, refund, topUp, voidedTopUp, topUpVoid, offlineSent, offlineWaiting];
  const today = reversibility(all, true, offlineSent.seq);
  const of = (e: JournalEntry) => today.get(e.txnId);

  t.same(of(sale), { voidable: true, notVoidable: null, refundable: 1_000 });
  t.same(of(voidedSale), { voidable: false, notVoidable: "voided", refundable: 0 }, "a void gives the whole back");
  t.same(of(theVoid), { voidable: false, notVoidable: "reversal", refundable: 0 });
  t.same(of(partly), { voidable: false, notVoidable: "refunded", refundable: 1_500 }, "refund the rest instead");
  t.same(of(refund), { voidable: false, notVoidable: "reversal", refundable: 0 });
  t.same(of(topUp), { voidable: true, notVoidable: null, refundable: 0 }, "a top-up is voided, never refunded");
  t.same(of(voidedTopUp), { voidable: false, notVoidable: "voided", refundable: 0 });
  t.same(of(offlineSent), { voidable: true, notVoidable: null, refundable: 1_000 }, "acknowledged by the server");
  t.match(of(offlineWaiting), { voidable: false, notVoidable: "notSynced" }, "the server cannot find it yet");

  const yesterday = reversibility(all, false, offlineWaiting.seq);
  t.match(yesterday.get(sale.txnId), { voidable: false, notVoidable: "otherDay", refundable: 1_000 });
  t.match(yesterday.get(voidedSale.txnId), { notVoidable: "voided" }, "what happened says more than the day");
  t.equal(today.size, all.length, "every entry has its answer");
});
