/**
 * A gap in a till's chain (docs/reconciliation.md), on PGlite (ingest-gaps.test.ts) and
 * PostgreSQL 15 (postgres.test.ts): a till whose journal failed verification declares
 * the sequence numbers it cannot send; the server skips over them only up to an entry
 * whose own MAC holds, records the gap with the hash the real entry must have, raises
 * one integrity alert per till (not one per batch or heartbeat), fills the gap if the
 * real entry turns up, and clears the alert when the till's heartbeat says it is sound.
 */
import { randomBytes } from "node:crypto";
import type { Test } from "tap";
import { type EntryBody, type JournalEntry, sealEntry } from "../../protocol/journal-entry.js";
import type { Heartbeat, JournalBatch } from "../../protocol/messages.js";
import type { Db } from "../../server/db/db.js";
import { type IngestOutcome, ingestBatch } from "../../server/ledger/ingest.js";
import { journalGaps } from "../../server/ledger/journal-gaps.js";
import { ledgerQueries } from "../../server/ledger/queries.js";
import { recordHeartbeat, terminalStatus } from "../../server/ledger/terminal-status.js";
import { resetLedger, T1 } from "./ledger-fixture.js";
import { demoBalance, priceDemo } from "./test-terminal.js";

const ZHANG = "ic:04A1B2C3";

export function ingestGapCases(t: Test, db: Db): void {
  const q = ledgerQueries(db);
  t.beforeEach(async () => {
    await resetLedger(db);
    await db.query("TRUNCATE journal_gaps, terminal_status");
  });

  /** Five sales of 1.00 … 5.00 on 张伟's card, sealed by T001. */
  const fiveSales = () => [1, 2, 3, 4, 5].map((n) => T1.sale(ZHANG, n * 100));
  const without = (entries: JournalEntry[], ...seqs: number[]) => entries.filter((e) => !seqs.includes(e.seq));
  const declare = (...seqs: number[]) => seqs.map((seq) => ({ seq, reason: `entry #${seq} was edited` }));

  async function ingest(entries: JournalEntry[], gaps?: JournalBatch["gaps"]) {
    const out = await ingestBatch(db, T1.id, { ...T1.batch(entries), ...(gaps ? { gaps } : {}) });
    if (!out.ok) throw new Error(out.reason);
    return out as Extract<IngestOutcome, { ok: true }>;
  }
  const seqsStored = async () =>
    (
      await db.query<{ seq: unknown }>("SELECT seq FROM journal_entries WHERE terminal_id = $1 ORDER BY seq", [T1.id])
    ).rows.map((r) => Number(r.seq));
  const integrityAlerts = async () =>
    (
      await db.query<{ seq: unknown; cleared_at: unknown; detail: string }>(
        "SELECT seq, cleared_at, detail FROM alerts WHERE kind = 'journal-integrity' ORDER BY id",
      )
    ).rows.map((r) => ({
      seq: r.seq === null ? null : Number(r.seq),
      cleared: r.cleared_at !== null,
      detail: r.detail,
    }));
  const spent = (entries: JournalEntry[]) => entries.reduce((n, e) => n + e.net, 0);

  t.test(
    "declared gap: the entries after it whose own MAC holds are applied, the gap recorded, one alert",
    async (t) => {
      const entries = fiveSales();
      const sent = without(entries, 3);
      const out = await ingest(sent, declare(3));
      t.match(out, { applied: 4, held: 0, ack: { ackedSeq: 5, rejected: [] } });
      t.same(await seqsStored(), [1, 2, 4, 5], "#3 is not in the journal of record");
      t.match(await q.getCard(ZHANG), { balance: demoBalance(ZHANG) - spent(sent) });
      t.same(await q.reconcile(), []);
      const [gap] = await db
        .query<{ seq: unknown; expected_hash: string; skipped_by_seq: unknown; reason: string }>(
          "SELECT seq, expected_hash, skipped_by_seq, reason FROM journal_gaps",
        )
        .then((r) => r.rows);
      t.match(
        gap,
        { expected_hash: entries[2]!.hash, reason: "entry #3 was edited" },
        "the hash the real #3 must have",
      );
      t.equal(Number(gap?.skipped_by_seq), 4);
      t.match(await integrityAlerts(), [
        { seq: 3, cleared: false, detail: /failed at seq 3; entries #3 skipped over/ },
      ]);
    },
  );

  t.test("without a declaration an entry past a gap is held, as for any lost batch", async (t) => {
    const out = await ingest(without(fiveSales(), 3));
    t.match(out, { applied: 2, held: 2, ack: { ackedSeq: 2 } });
    t.same(await journalGaps(db), []);
    t.same(await integrityAlerts(), []);
  });

  t.test("past a declared gap, an entry whose own MAC fails is rejected, not applied", async (t) => {
    const entries = fiveSales();
    const { hash: _h, mac: _m, ...body } = entries[3]!;
    const forged = sealEntry({ ...body, net: 1 } as EntryBody, randomBytes(32));
    const out = await ingest([entries[0]!, entries[1]!, forged], declare(3));
    t.match(out, { applied: 2, ack: { ackedSeq: 2, rejected: [{ seq: 4, reason: /MAC/ }] } });
    t.same(await journalGaps(db), [], "nothing skipped on a forgery's word");
  });

  t.test("the same salvage sent again (a restart) is duplicates: no second gap, no second alert", async (t) => {
    const sent = without(fiveSales(), 3);
    await ingest(sent, declare(3));
    const again = await ingest(sent, declare(3));
    t.match(again, { applied: 0, duplicates: 4, ack: { ackedSeq: 5, rejected: [] } });
    t.equal((await journalGaps(db)).length, 1);
    t.equal((await integrityAlerts()).length, 1);
  });

  t.test("the real entry turning up later fills its gap, once; another entry for that seq is refused", async (t) => {
    const entries = fiveSales();
    await ingest(without(entries, 3), declare(3));
    const { hash: _h, mac: _m, ...body } = entries[2]!;
    const other = sealEntry({ ...body, txnId: "not-the-real-3", net: 1 } as EntryBody, T1.key);
    const refused = await ingest([other]);
    t.match(
      refused,
      { applied: 0, ack: { ackedSeq: 5, rejected: [{ seq: 3 }] } },
      "sealed, but not the entry #4 named",
    );
    const filled = await ingest(entries);
    t.match(filled, { applied: 1, duplicates: 4, ack: { ackedSeq: 5, rejected: [] } });
    t.same(await seqsStored(), [1, 2, 3, 4, 5]);
    t.match(await journalGaps(db), [{ seq: 3, filledAt: /^\d{4}-/ }]);
    t.match(await q.getCard(ZHANG), { balance: demoBalance(ZHANG) - spent(entries) }, "its money moved once");
    t.match(await ingest(entries), { applied: 0, duplicates: 5 });
    t.same(await q.reconcile(), []);
  });

  t.test("several gaps: each skipped, the hash known where the next entry names it", async (t) => {
    const entries = fiveSales();
    await ingest(without(entries, 2, 4), declare(2, 4));
    t.same(await seqsStored(), [1, 3, 5]);
    const expected = await db.query<{ seq: unknown; expected_hash: string | null }>(
      "SELECT seq, expected_hash FROM journal_gaps ORDER BY seq",
    );
    t.same(
      expected.rows.map((r) => [Number(r.seq), r.expected_hash]),
      [
        [2, entries[1]!.hash],
        [4, entries[3]!.hash],
      ],
    );
    t.match(
      await ingest(without(entries, 2, 4), declare(2, 4)),
      { applied: 0, duplicates: 3 },
      "sent again: nothing new",
    );
    t.equal((await integrityAlerts()).length, 1);
    t.match(await ingest([entries[3]!]), { applied: 1 }, "the real #4 fills its gap alone");
    t.match(await journalGaps(db), [
      { seq: 2, filledAt: null },
      { seq: 4, filledAt: /^\d/ },
    ]);
  });

  t.test("two gaps in a row: the first has no known hash, the second the next entry's prevHash", async (t) => {
    const entries = fiveSales();
    t.match(await ingest(without(entries, 2, 3), declare(2, 3)), { ack: { ackedSeq: 5 } });
    const rows = await db.query<{ seq: unknown; expected_hash: string | null }>(
      "SELECT seq, expected_hash FROM journal_gaps ORDER BY seq",
    );
    t.same(
      rows.rows.map((r) => [Number(r.seq), r.expected_hash]),
      [
        [2, null],
        [3, entries[2]!.hash],
      ],
    );
    t.equal(priceDemo(ZHANG, 100).net, entries[0]!.net);
  });

  const beat = (integrity?: Heartbeat["integrity"]): Heartbeat => ({
    v: 1,
    at: new Date().toISOString(),
    pending: 4,
    policyVersion: 1,
    hotlistVersion: 0,
    devices: {},
    ...(integrity ? { integrity } : {}),
  });
  const failedAt = (seq: number): Heartbeat["integrity"] => ({
    ok: false,
    failedSeq: seq,
    reason: "entry-edited",
    problem: `entry #${seq} was edited: its content does not match its hash`,
  });

  t.test("heartbeats: one alert however often the till says it, cleared when it says sound", async (t) => {
    for (let i = 0; i < 5; i++) await recordHeartbeat(db, T1.id, beat(failedAt(3)));
    t.match(await integrityAlerts(), [{ seq: 3, cleared: false, detail: /journal integrity failed at seq 3/ }]);
    t.match(await terminalStatus(db, T1.id), {
      pending: 4,
      integrity: { ok: false, failedSeq: 3, reason: "entry-edited", problem: /entry #3/ },
    });
    await ingest(without(fiveSales(), 3), declare(3));
    t.equal((await integrityAlerts()).length, 1, "the ingest's skip is the same incident");

    await recordHeartbeat(db, T1.id, beat()); // an older till's heartbeat: says nothing, changes nothing
    t.match(await integrityAlerts(), [{ cleared: false }]);
    await recordHeartbeat(db, T1.id, beat({ ok: true }));
    t.match(await integrityAlerts(), [{ seq: 3, cleared: true }]);
    t.match(await terminalStatus(db, T1.id), { integrity: { ok: true } });
    await recordHeartbeat(db, T1.id, beat({ ok: true }));
    t.equal((await integrityAlerts()).length, 1, "nothing new while sound");

    await recordHeartbeat(db, T1.id, beat(failedAt(7)));
    await recordHeartbeat(db, T1.id, beat(failedAt(8)));
    t.match(await integrityAlerts(), [
      { seq: 3, cleared: true },
      { seq: 7, cleared: true },
      { seq: 8, cleared: false },
    ]);
  });
}
