/**
 * The sale's core on its own (agent/sale/sale-core.ts): a snapshot in, a decision or an
 * entry to commit out — no ledger, no disk, no clock. The same facts always give the same
 * verdict and the facts are left as they were.
 */
import t from "tap";
import type { CachedCard } from "../../agent/journal/journal-state.js";
import type { LedgerSnapshot } from "../../agent/journal/sale-snapshot.js";
import { offlineVerdict, onlineAsk, type SaleFacts } from "../../agent/sale/sale-core.js";
import type { SaleRequest } from "../../agent/sale/sale-request.js";
import type { JournalEntry } from "../../protocol/journal-entry.js";
import type { OfflineLimits } from "../../rules/offline-rules.js";
import { hashPin } from "../../rules/pin.js";
import { demoPolicy } from "../../rules/policy.js";

const HOUR = 3600_000;
const at = Date.parse("2026-12-07T04:00:00Z");
const day = "2026-12-07";
const limits: OfflineLimits = {
  enabled: true,
  perTransactionMinor: 300_000,
  perCardMinor: 500_000,
  perCardCount: 5,
  terminalMinor: 800_000,
  terminalCount: 300,
  maxOfflineAgeMs: 24 * HOUR,
  allowUnknownCards: false,
};
const gold: CachedCard = {
  cardId: "ic:04A1B2C3",
  accountId: "A1",
  memberName: "张伟",
  cardType: "gold",
  status: "active",
  balance: 100_000,
  points: 0,
  includedThrough: 0,
  onlineThrough: 0,
  refreshedAt: at - HOUR,
};
/** An offline sale of 20 000 net on the card, not yet acknowledged. */
const pendingSale = {
  seq: 1,
  txnId: "T-1",
  kind: "sale",
  mode: "offline",
  cardId: gold.cardId,
  businessDay: day,
  gross: 20_000,
  discount: 0,
  net: 20_000,
  bonus: 0,
  pointsEarned: 0,
} as unknown as JournalEntry;

function snapshot(over: Partial<LedgerSnapshot> = {}): LedgerSnapshot {
  return {
    cardId: gold.cardId,
    card: gold,
    account: gold,
    knownBalance: gold.balance,
    pending: [],
    accountOfPending: new Map(),
    cardExposure: { minor: 0, count: 0 },
    terminalExposure: { minor: 0, count: 0 },
    lastContactAt: at - HOUR,
    nextSeq: 1,
    ackedSeq: 0,
    ...over,
  };
}
const facts = (ledger = snapshot(), onHotlist = false): SaleFacts => ({ ledger, onHotlist });
const sale = (gross: number, more: Partial<SaleRequest> = {}): SaleRequest => ({
  txnId: "T-2",
  cardId: gold.cardId,
  gross,
  operatorId: "op1",
  ...more,
});
const ctx = { policy: demoPolicy(), limits, language: "en" as const, at, day };

t.test(
  "an offline sale the snapshot covers becomes one entry, its balance after judged on the same facts",
  async (t) => {
    const verdict = offlineVerdict(facts(), sale(10_000), ctx);
    if (!verdict.approved) throw new Error(`declined: ${verdict.decision.code}`);
    t.match(verdict.entry, {
      kind: "sale",
      mode: "offline",
      gross: 10_000,
      net: 8_800,
      cardId: gold.cardId,
      businessDay: day,
    });
    t.equal(verdict.pin, undefined, "no PIN below the gold card's 1 000.00");
    t.same(verdict.decision.balanceAfter, 100_000 - 8_800);
    t.equal(verdict.decision.mode, "offline");
  },
);

t.test("the known balance in the snapshot, not the card's cached one, is what may be spent (rule 8)", async (t) => {
  const ledger = snapshot({
    pending: [pendingSale],
    accountOfPending: new Map([[gold.cardId, "A1"]]),
    knownBalance: 80_000,
    cardExposure: { minor: 20_000, count: 1 },
    terminalExposure: { minor: 20_000, count: 1 },
  });
  const verdict = offlineVerdict(facts(ledger), sale(95_000), ctx);
  t.equal(verdict.approved, false);
  if (!verdict.approved) t.equal(verdict.decision.code, "INSUFFICIENT_BALANCE");
  const fits = offlineVerdict(facts(ledger), sale(90_000), ctx);
  t.equal(fits.approved, true, "79 200 net fits the 80 000 known");
});

t.test("the hotlist and a missing policy decline before anything is priced", async (t) => {
  const listed = offlineVerdict(facts(snapshot(), true), sale(1_000), ctx);
  t.match(listed, { approved: false, decision: { mode: "offline", card: { cardId: gold.cardId } } });
  if (!listed.approved) t.match(listed.decision.code, /HOTLIST/);
  t.match(offlineVerdict(facts(), sale(1_000), { ...ctx, policy: undefined }), {
    approved: false,
    decision: { code: "NO_POLICY" },
  });
});

t.test("a PIN the card type asks for is declined when missing, else named for the durable check", async (t) => {
  const rich = { ...gold, balance: 500_000 };
  const richFacts = facts(snapshot({ card: rich, account: rich, knownBalance: 500_000 }));
  t.match(offlineVerdict(richFacts, sale(150_000), ctx), { approved: false, decision: { code: "PIN_REQUIRED" } });
  t.match(offlineVerdict(richFacts, sale(150_000, { pin: "1234" }), ctx), {
    approved: false,
    decision: { code: "PIN_NOT_CACHED" },
  });
  const withPin = { ...rich, pinHash: hashPin("1234") };
  const ledger = snapshot({ card: withPin, account: withPin, knownBalance: 500_000 });
  const verdict = offlineVerdict(facts(ledger), sale(150_000, { pin: "1234" }), ctx);
  t.match(verdict, { approved: true, pin: { cardId: gold.cardId, pin: "1234", pinHash: withPin.pinHash } });
});

t.test("the online ask carries the unsynced offline spend and where the journal stood", async (t) => {
  const ledger = snapshot({
    pending: [pendingSale],
    accountOfPending: new Map([[gold.cardId, "A1"]]),
    nextSeq: 2,
    ackedSeq: 0,
  });
  const ask = onlineAsk(ledger, sale(5_000), { terminalId: "T001", at, day });
  t.match(ask.request, {
    txnId: "T-2",
    terminalId: "T001",
    kind: "sale",
    gross: 5_000,
    businessDay: day,
    unsyncedOfflineMinor: 20_000,
    unsyncedOfflineCardMinor: 20_000,
  });
  t.same(ask.asked, { onlineThrough: 1, ackedAtAsk: 0 });
  t.match(ask.intent, { txnId: "T-2", accountId: "A1", amount: 5_000 });
});

t.test("the same facts give the same verdict, and are left as they were", async (t) => {
  const ledger = snapshot({ pending: [pendingSale], accountOfPending: new Map([[gold.cardId, "A1"]]) });
  const before = JSON.stringify({ ...ledger, accountOfPending: [...ledger.accountOfPending] });
  const first = offlineVerdict(facts(ledger), sale(10_000), ctx);
  const second = offlineVerdict(facts(ledger), sale(10_000), ctx);
  t.same(first, second);
  t.equal(JSON.stringify({ ...ledger, accountOfPending: [...ledger.accountOfPending] }), before);
});
