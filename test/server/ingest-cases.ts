/**
 * The journal ingest's cases (docs/architecture.md#the-servers-ingest), run on PGlite
 * (ingest.test.ts) and on a real PostgreSQL 15 (postgres.test.ts): exactly once, gaps held,
 * duplicates skipped, conflicts and forgeries rejected and alerted, shortfalls hotlisted,
 * deltas on record.
 */
import fc from "fast-check";
import type { Test } from "tap";
import type { JournalEntry } from "../../protocol/journal-entry.js";
import { parseMoney } from "../../rules/money.js";
import type { Db } from "../../server/db/db.js";
import { authorise } from "../../server/ledger/authorise.js";
import { hotlistDelta } from "../../server/ledger/hotlist.js";
import { type IngestOutcome, ingestBatch } from "../../server/ledger/ingest.js";
import { ledgerQueries } from "../../server/ledger/queries.js";
import { resetLedger, T1, T2 } from "./ledger-fixture.js";
import { demoBalance, priceDemo, TestTerminal } from "./test-terminal.js";

export function ingestCases(t: Test, db: Db): void {
  const q = ledgerQueries(db);
  t.beforeEach(() => resetLedger(db));

  const ZHANG = "ic:04A1B2C3";
  const LI = "ic:04D5E6F7";
  const WANG = "ic:0A0B0C0D";
  const CHEN = "id:0012345678";

  async function ingest(entries: JournalEntry[], terminal = T1, topicTerminal = terminal.id) {
    const out = await ingestBatch(db, topicTerminal, terminal.batch(entries));
    if (!out.ok) throw new Error(out.reason);
    return out as Extract<IngestOutcome, { ok: true }>;
  }

  /** Four entries over three cards: two sales, a top-up with bonus, another sale. */
  function fourEntries(): JournalEntry[] {
    return [
      T1.sale(ZHANG, parseMoney("100.00")),
      T1.sale(LI, parseMoney("20.00")),
      T1.topup(WANG, parseMoney("1000.00"), parseMoney("100.00")),
      T1.sale(ZHANG, parseMoney("3.33")),
    ];
  }

  async function assertFourApplied(t: Test): Promise<void> {
    t.match(await q.getCard(ZHANG), { balance: demoBalance(ZHANG) - 8_800 - priceDemo(ZHANG, 333).net });
    t.match(await q.getCard(LI), { balance: demoBalance(LI) - 1_900 });
    t.match(await q.getCard(WANG), { balance: demoBalance(WANG) + 110_000 });
    t.equal((await q.ledgerTotals()).count, 4);
    t.equal(await q.journalCount(T1.id), 4);
    t.match(await q.terminalState(T1.id), { ackedSeq: 4 });
    t.same(await q.reconcile(), []);
  }

  t.test("a batch is applied once, its money moved once, and acked to its last entry", async (t) => {
    const entries = fourEntries();
    const out = await ingest(entries);
    t.same(out.ack, { v: 1, ackedSeq: 4, rejected: [] });
    t.match(out, { applied: 4, duplicates: 0, held: 0 });
    await assertFourApplied(t);
    const points = (await q.ledgerTotals()).byCard[ZHANG]?.points;
    t.equal(points, 4 + priceDemo(ZHANG, 333).pointsEarned);
  });

  t.test("a batch delivered three times and reordered is applied exactly once", async (t) => {
    const entries = fourEntries();
    const [a, b, c, d] = entries as [JournalEntry, JournalEntry, JournalEntry, JournalEntry];
    t.match((await ingest([d, b, a])).ack, { ackedSeq: 2 });
    t.match((await ingest([c, a, d, b])).ack, { ackedSeq: 4, rejected: [] });
    const again = await ingest(entries.slice().reverse());
    t.match(again, { applied: 0, duplicates: 4, ack: { ackedSeq: 4, rejected: [] } });
    await assertFourApplied(t);
    t.same(await q.listAlerts(), []);
  });

  t.test("any duplication and reordering of deliveries ends in the same ledger", async (t) => {
    const deliveries = fc.array(fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 1, maxLength: 6 }), {
      minLength: 1,
      maxLength: 5,
    });
    await fc.assert(
      fc.asyncProperty(deliveries, async (batches) => {
        await resetLedger(db);
        const entries = fourEntries();
        let acked = 0; // model: held entries are not kept, so only this batch can extend the head
        for (const batch of batches) {
          const seqs = new Set(batch.map((i) => i + 1));
          while (seqs.has(acked + 1)) acked++;
          const out = await ingest(batch.map((i) => entries[i]!));
          if (out.ack.ackedSeq !== acked || out.ack.rejected.length > 0) return false;
        }
        await ingest(entries); // the terminal resends whatever is not yet acked
        const totals = await q.ledgerTotals();
        const card = await q.getCard(WANG);
        return (
          totals.count === 4 && card?.balance === demoBalance(WANG) + 110_000 && (await q.reconcile()).length === 0
        );
      }),
      { numRuns: 25 },
    );
    t.pass("25 random delivery schedules");
  });

  t.test("an entry already authorised online does not move money again", async (t) => {
    const req = T1.authRequest(ZHANG, parseMoney("100.00"));
    const auth = await authorise(db, req);
    t.match(auth, { ok: true, reply: { approved: true, balanceAfter: demoBalance(ZHANG) - 8_800 } });
    const entry = T1.sale(ZHANG, req.gross, { mode: "online", txnId: req.txnId });
    const out = await ingest([entry]);
    t.match(out.ack, { ackedSeq: 1, rejected: [] });
    t.match(await q.getCard(ZHANG), { balance: demoBalance(ZHANG) - 8_800 });
    t.equal((await q.ledgerTotals()).count, 1);
    t.equal(await q.journalCount(T1.id), 1, "the entry is still in the journal of record");
    t.same(await q.listAlerts(), []);
  });

  t.test("the same sale journaled twice under two seqs is applied once", async (t) => {
    const first = T1.sale(LI, 1_000, { txnId: "same-txn" });
    const second = T1.sale(LI, 1_000, { txnId: "same-txn" });
    t.match((await ingest([first, second])).ack, { ackedSeq: 2 });
    t.match(await q.getCard(LI), { balance: demoBalance(LI) - 950 });
    t.same(await q.listAlerts(), []);
    const other = T1.sale(ZHANG, 5_000, { txnId: "same-txn" });
    t.match((await ingest([other])).ack, { ackedSeq: 3 }, "the chain goes on");
    t.match(await q.getCard(ZHANG), { balance: demoBalance(ZHANG) }, "no money moves for a conflicting reuse");
    t.match(await q.listAlerts(), [{ kind: "txn-conflict", seq: 3 }]);
  });

  t.test("a different entry under an applied seq is rejected and alerted; the original is kept", async (t) => {
    const original = T1.sale(ZHANG, 1_000);
    await ingest([original]);
    T1.reset();
    const forged = T1.sale(ZHANG, 1);
    const out = await ingest([forged]);
    t.same(out.ack, { v: 1, ackedSeq: 1, rejected: [{ seq: 1, reason: out.ack.rejected[0]?.reason }] });
    t.match(out.ack.rejected[0]?.reason, /differs from the entry #1 already applied/);
    t.match(await q.getCard(ZHANG), { balance: demoBalance(ZHANG) - 880 });
    t.match(await q.listAlerts(), [{ kind: "seq-conflict", terminalId: T1.id, seq: 1 }]);
    const stored = await db.query<{ hash: string }>("SELECT hash FROM journal_entries WHERE terminal_id = $1", [T1.id]);
    t.same(stored.rows, [{ hash: original.hash }]);
  });

  t.test("an applied entry sent again edited, under its original hash, is rejected, not skipped", async (t) => {
    const original = T1.sale(ZHANG, 1_000);
    await ingest([original]);
    const edited = { ...original, net: 1 };
    const out = await ingest([edited]);
    t.match(out, { duplicates: 0, ack: { ackedSeq: 1, rejected: [{ seq: 1, reason: /differs from the entry #1/ }] } });
    t.match(await q.listAlerts(), [{ kind: "seq-conflict", seq: 1 }]);
    t.match(await q.getCard(ZHANG), { balance: demoBalance(ZHANG) - 880 }, "the original stands");
  });

  t.test("entries with a bad MAC or edited content are rejected and never applied", async (t) => {
    const badMac = T1.next({ kind: "sale", cardId: ZHANG, gross: 100, net: 100 }, Buffer.alloc(32, 7));
    const out = await ingest([badMac]);
    t.match(out.ack, { ackedSeq: 0, rejected: [{ seq: 1, reason: /MAC/ }] });
    T1.reset();
    const edited = { ...T1.sale(ZHANG, 100), net: 1 };
    t.match((await ingest([edited])).ack, { ackedSeq: 0, rejected: [{ seq: 1, reason: /edited/ }] });
    t.equal((await q.ledgerTotals()).count, 0);
    t.match(await q.getCard(ZHANG), { balance: demoBalance(ZHANG) });
    t.match(await q.listAlerts(), [
      { kind: "entry-rejected", seq: 1 },
      { kind: "entry-rejected", seq: 1 },
    ]);
  });

  t.test("entries past a gap are held until the gap is filled, then acked", async (t) => {
    const [e1, e2, e3] = [T1.sale(ZHANG, 100), T1.sale(ZHANG, 200), T1.sale(ZHANG, 300)];
    t.match(await ingest([e1!, e3!]), { held: 1, ack: { ackedSeq: 1, rejected: [] } });
    t.match(await ingest([e3!]), { held: 1, ack: { ackedSeq: 1 } });
    t.equal((await q.ledgerTotals()).count, 1);
    t.match(await ingest([e2!, e3!]), { applied: 2, ack: { ackedSeq: 3, rejected: [] } });
    t.equal((await q.ledgerTotals()).count, 3);
  });

  t.test("an offline debit beyond the balance is applied, recorded as a shortfall and hotlists the card", async (t) => {
    const before = await q.getHotlist();
    const out = await ingest([T1.sale(WANG, parseMoney("80.00"))]);
    t.match(out, { shortfalls: 1, hotlistChanged: true, ack: { ackedSeq: 1, rejected: [] } });
    t.match(await q.getCard(WANG), { balance: -3_000 });
    t.match(await q.listShortfalls(), [{ cardId: WANG, accountId: "A0003", amount: 3_000 }]);
    const listed = await q.getHotlist();
    t.equal(listed.version, before.version + 1);
    t.ok(listed.cards.includes(WANG));
    t.match(await q.listAlerts(), [{ kind: "shortfall", seq: 1 }]);
    const topup = await ingest([T1.topup(WANG, parseMoney("50.00"))]);
    t.match(topup, { hotlistChanged: true });
    const cleared = await q.getHotlist();
    t.notOk(cleared.cards.includes(WANG), "covered again: off the hotlist");
    t.equal(cleared.version, before.version + 2);
    t.ok(cleared.cards.includes("ic:0BADCAFE"), "the frozen card stays listed");
    t.same(await q.reconcile(), []);
  });

  t.test("every hotlist change is on record as a delta a terminal can apply", async (t) => {
    const v0 = (await q.getHotlist()).version;
    await ingest([T1.sale(WANG, parseMoney("80.00"))]); // shortfall: listed
    await ingest([T1.topup(WANG, parseMoney("50.00"))]); // covered: unlisted
    t.same(await hotlistDelta(db, v0, v0 + 1), {
      v: 1,
      fromVersion: v0,
      toVersion: v0 + 1,
      added: [WANG],
      removed: [],
    });
    t.same(await hotlistDelta(db, v0 + 1, v0 + 2), {
      v: 1,
      fromVersion: v0 + 1,
      toVersion: v0 + 2,
      added: [],
      removed: [WANG],
    });
    t.same(
      await hotlistDelta(db, v0, v0 + 2),
      { v: 1, fromVersion: v0, toVersion: v0 + 2, added: [], removed: [WANG] },
      "over two versions: the card's last change counts",
    );
    t.equal(await hotlistDelta(db, v0 + 2, v0 + 3), undefined, "no delta to a version that does not exist yet");
    await db.query("DELETE FROM hotlist_changes WHERE version = $1", [v0 + 1]);
    t.equal(
      await hotlistDelta(db, v0, v0 + 2),
      undefined,
      "a version missing from the record: only the full list will do",
    );
  });

  t.test("a debit on a card the ledger does not know is kept, alerted and hotlisted", async (t) => {
    const out = await ingest([T1.sale("ic:FEEDF00D", 500)]);
    t.match(out, { ack: { ackedSeq: 1, rejected: [] }, shortfalls: 1, hotlistChanged: true });
    t.match(await q.listAlerts(), [{ kind: "unknown-card" }, { kind: "shortfall" }]);
    t.ok((await q.getHotlist()).cards.includes("ic:FEEDF00D"));
  });

  t.test("a batch on another terminal's topic is refused whole", async (t) => {
    const entries = [T2.sale(ZHANG, 100)];
    const out = await ingest(entries, T2, T1.id);
    t.match(out.ack, { ackedSeq: 0, rejected: [{ seq: 1, reason: /published on terminal T001's topic/ }] });
    t.equal((await q.ledgerTotals()).count, 0);
    t.match(await q.listAlerts(), [{ kind: "terminal-mismatch", terminalId: T1.id }]);
  });

  t.test("a batch from an unregistered terminal is ignored and alerted", async (t) => {
    const stranger = new TestTerminal("T404", "44".repeat(32));
    const out = await ingestBatch(db, stranger.id, stranger.batch([stranger.sale(ZHANG, 100)]));
    t.match(out, { ok: false, reason: /not registered/ });
    t.equal((await q.ledgerTotals()).count, 0);
  });

  t.test("terminals keep separate chains", async (t) => {
    await ingest([T1.sale(CHEN, 100), T1.sale(CHEN, 100)]);
    t.match((await ingest([T2.sale(CHEN, 100)], T2)).ack, { ackedSeq: 1 });
    t.match(await q.terminalState(T1.id), { ackedSeq: 2 });
    t.match(await q.getCard(CHEN), { balance: demoBalance(CHEN) - 300 });
  });

  t.test("a shortfall covered by a top-up later in the same batch leaves the card off the hotlist", async (t) => {
    const out = await ingest([T1.sale(WANG, parseMoney("80.00")), T1.topup(WANG, parseMoney("40.00"))]);
    t.match(out, { shortfalls: 1, hotlistChanged: false, ack: { ackedSeq: 2 } });
    t.match(await q.getCard(WANG), { balance: 1_000 });
    t.notOk((await q.getHotlist()).cards.includes(WANG));
    t.match(await q.listShortfalls(), [{ cardId: WANG, amount: 3_000 }], "the shortfall itself is still on record");
  });
}
