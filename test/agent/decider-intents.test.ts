/**
 * The intent step of the decider (docs/reconciliation.md): the intent is durable before the
 * server is asked, a till that cannot write it never asks, and each way a sale can end
 * either settles the intent (a journal entry, the server's decline) or releases what the
 * server may hold (declined offline after a timeout, a commit that failed). The server is
 * a stand-in here; test/e2e/hold-crash.test.ts runs the real one.
 */
import { randomBytes } from "node:crypto";
import t, { type Test } from "tap";
import type { Intent } from "../../agent/journal/intent-log.js";
import { TerminalLedger } from "../../agent/journal/terminal-ledger.js";
import { silentLogger } from "../../agent/logger.js";
import { Decider, type OnlineAuthoriser } from "../../agent/sale/decider.js";
import type { SaleIntents } from "../../agent/sale/sale-intents.js";
import { CardtermError } from "../../protocol/errors.js";
import type { AuthReply } from "../../protocol/messages.js";
import type { CardSnapshot } from "../../rules/card.js";
import { demoPolicy } from "../../rules/policy.js";
import { tempDir } from "../helpers/temp-dir.js";

const key = randomBytes(32);
const NOW = Date.parse("2026-11-22T02:00:00Z");
const gold: CardSnapshot = {
  cardId: "ic:04A1B2C3",
  accountId: "A1",
  memberName: "张伟",
  cardType: "gold",
  status: "active",
  balance: 100_000,
  points: 0,
};

function approve(txnId: string, gross: number): AuthReply {
  const net = Math.round(gross * 0.88);
  return {
    v: 1,
    corr: "c",
    txnId,
    approved: true,
    gross,
    discount: gross - net,
    net,
    pointsEarned: 0,
    balanceAfter: gold.balance - net,
    card: { ...gold, balance: gold.balance - net },
  };
}

/** What the decider told the intent step, in order, beside what it asked the server. */
function recorder(fail?: Error) {
  const calls: string[] = [];
  const released: Intent[] = [];
  const intents: SaleIntents = {
    record: async (i) => {
      calls.push(`record ${i.txnId}`);
      if (fail) throw fail;
    },
    settled: (txnId) => calls.push(`settled ${txnId}`),
    release: (i) => {
      calls.push(`release ${i.txnId}`);
      released.push(i);
    },
  };
  return { calls, released, intents };
}

async function setup(t: Test, online: (txnId: string, gross: number) => AuthReply | "timeout", fail?: Error) {
  const dir = await tempDir(t);
  const ledger = await TerminalLedger.open({ dataDir: dir, terminalId: "T001", key });
  await ledger.rememberCard(gold, { appliedSeq: 0, onlineThrough: 0 }, NOW);
  ledger.noteContact(NOW);
  const rec = recorder(fail);
  const server: OnlineAuthoriser = {
    isConnected: () => true,
    authorise: async (req) => {
      rec.calls.push(`ask ${req.txnId}`);
      return online(req.txnId, req.gross);
    },
  };
  const decider = new Decider({
    terminalId: "T001",
    ledger,
    online: server,
    policy: demoPolicy,
    hotlist: () => new Set(),
    now: () => NOW,
    log: silentLogger(),
    intents: rec.intents,
    settings: {
      offline: {
        enabled: true,
        perTransactionMinor: 30_000,
        perCardMinor: 50_000,
        perCardCount: 5,
        terminalMinor: 80_000,
        terminalCount: 300,
        maxOfflineAgeMs: 24 * 3600_000,
        allowUnknownCards: false,
      },
      authTimeoutMs: 50,
      timeZone: "Asia/Shanghai",
      language: "en",
    },
  });
  const sale = (txnId: string, gross: number) =>
    decider.decideSale({ txnId, cardId: gold.cardId, gross, operatorId: "001" });
  return { ...rec, ledger, sale };
}

t.test("the intent is written before the ask; the journal entry settles it", async (t) => {
  const s = await setup(t, approve);
  const d = await s.sale("t1", 10_000);
  t.match(d, { approved: true, mode: "online" });
  t.same(s.calls, ["record t1", "ask t1", "settled t1"]);
  t.equal(s.ledger.pending()[0]?.txnId, "t1");
});

t.test("the server's decline settles it: the server holds nothing", async (t) => {
  const s = await setup(t, (txnId) => ({
    v: 1,
    corr: "c",
    txnId,
    approved: false,
    code: "INSUFFICIENT_BALANCE",
    card: gold,
  }));
  t.match(await s.sale("t1", 10_000), { approved: false, mode: "online" });
  t.same(s.calls, ["record t1", "ask t1", "settled t1"]);
});

t.test("a till that cannot write its intent never asks", async (t) => {
  const s = await setup(t, approve, new CardtermError("CT_STORE_WRITE_FAILED", "disk full"));
  await t.rejects(s.sale("t1", 10_000), { code: "CT_STORE_WRITE_FAILED" });
  t.same(s.calls, ["record t1"], "no request left the till");
  t.same(s.ledger.pending(), []);
});

t.test("timed out, then approved offline with the same txn id: the entry settles it", async (t) => {
  const s = await setup(t, () => "timeout");
  t.match(await s.sale("t1", 10_000), { approved: true, mode: "offline" });
  t.same(s.calls, ["record t1", "ask t1", "settled t1"], "the entry confirms any hold the server made");
});

t.test("timed out, then declined offline: whatever the server may hold is released", async (t) => {
  const s = await setup(t, () => "timeout");
  t.match(await s.sale("t1", 40_000), { approved: false, mode: "offline", code: "OFFLINE_LIMIT_TXN" });
  t.same(s.calls, ["record t1", "ask t1", "release t1"]);
  t.match(s.released, [
    { txnId: "t1", cardId: gold.cardId, accountId: "A1", amount: 40_000, operatorId: "001", businessDay: "2026-11-22" },
  ]);
});

t.test("approved, but the commit fails: the hold is released and the sale refused", async (t) => {
  const s = await setup(t, approve);
  s.ledger.commit = async () => {
    throw new CardtermError("CT_STORE_WRITE_FAILED", "disk full");
  };
  await t.rejects(s.sale("t1", 10_000), { code: "CT_STORE_WRITE_FAILED" });
  t.same(s.calls, ["record t1", "ask t1", "release t1"]);
});
