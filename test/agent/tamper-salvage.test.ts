/**
 * A journal that failed verification still tells the truth about itself
 * (docs/reconciliation.md): where it failed (failedSeq, reason), the entries that still verify
 * on their own as the outbox (pending), the sequence numbers it cannot vouch for as gaps — and
 * the server's acks move nothing on disk: the evidence stays as found.
 */
import { randomBytes } from "node:crypto";
import { readFile } from "node:fs/promises";
import t, { type Test } from "tap";
import { type NewEntry, TerminalLedger } from "../../agent/journal/terminal-ledger.js";
import { type EntryBody, type JournalEntry, sealEntry } from "../../protocol/journal-entry.js";
import type { CardSnapshot } from "../../rules/card.js";
import { entryAt as at, editHead, editLog } from "../helpers/journal-files.js";
import { tempDir } from "../helpers/temp-dir.js";

const key = randomBytes(32);
const NOW = Date.parse("2026-11-22T02:00:00Z");
const card: CardSnapshot = {
  cardId: "ic:04A1B2C3",
  accountId: "A1",
  memberName: "张伟",
  cardType: "standard",
  status: "active",
  balance: 1_000_000,
  points: 0,
};

function sale(n: number): NewEntry {
  return {
    txnId: `txn-${n}`,
    kind: "sale",
    mode: "offline",
    at: "2026-11-22T02:00:00.000Z",
    businessDay: "2026-11-22",
    operatorId: "001",
    cardId: card.cardId,
    gross: n * 1_000,
    discount: 0,
    net: n * 1_000,
    bonus: 0,
    pointsEarned: 0,
    balanceAfter: null,
  };
}

/** Entries #1..#5 committed, #1..`acked` acknowledged, the till idle (the newest attested). */
async function journal(t: Test, acked = 0): Promise<string> {
  const dir = await tempDir(t);
  const ledger = await TerminalLedger.open({ dataDir: dir, terminalId: "T001", key });
  await ledger.rememberCard(card, { appliedSeq: 0, onlineThrough: 0 }, NOW);
  for (let n = 1; n <= 5; n++) await ledger.commit(sale(n), NOW);
  if (acked > 0) await ledger.acknowledge(acked, NOW);
  await ledger.close();
  return dir;
}

async function files(dir: string): Promise<string[]> {
  return [await readFile(`${dir}/journal.json`, "utf8"), await readFile(`${dir}/journal.log`, "utf8")];
}

async function open(dir: string, readOnly = false): Promise<TerminalLedger> {
  return TerminalLedger.open({ dataDir: dir, terminalId: "T001", key, readOnly });
}

const seqs = (l: TerminalLedger) => l.pending().map((e) => e.seq);
const gapSeqs = (l: TerminalLedger) => l.gaps().map((g) => g.seq);

t.test("an edited entry: failed at its seq, its neighbours pending, it a gap, approvals still refused", async (t) => {
  const dir = await journal(t);
  await editLog(dir, (entries) => {
    at(entries, 3).net = 1;
  });
  const evidence = await files(dir);
  const ledger = await open(dir);
  t.match(ledger.checkIntegrity(), { ok: false, failedSeq: 3, reason: "entry-edited", problem: /entry #3 was edited/ });
  t.same(seqs(ledger), [1, 2, 4, 5], "the entries that verify on their own are the outbox");
  t.match(ledger.gaps(), [{ seq: 3, reason: /entry #3 was edited/ }]);
  t.match(ledger.summary(), { pending: 4, ackedSeq: 0 });
  t.same(
    ledger.offlineExposure(),
    { minor: 12_000, count: 4 },
    "the offline money of the verified entries still counts",
  );
  await t.rejects(ledger.commit(sale(9)), { code: "CT_JOURNAL_CORRUPT" });

  t.equal(await ledger.acknowledge(5, NOW), 4, "the server's ack trims the outbox");
  t.same(seqs(ledger), []);
  t.same(ledger.gaps(), [], "gaps at or below the ack are the server's to keep");
  t.same(await files(dir), evidence, "and nothing on disk changed");

  const again = await open(dir);
  t.same(seqs(again), [1, 2, 4, 5], "after a restart the same entries go up again (the server counts duplicates)");
});

t.test("an entry re-hashed without the key: a forgery, and the next entry no longer follows it", async (t) => {
  const dir = await journal(t);
  await editLog(dir, (entries) => {
    const e = at(entries, 2);
    const { hash: _h, mac: _m, ...body } = { ...e, net: 1 };
    const forged = sealEntry(body as EntryBody, randomBytes(32));
    e.net = 1;
    e.hash = forged.hash;
  });
  const ledger = await open(dir);
  t.match(ledger.checkIntegrity(), { ok: false, failedSeq: 2, reason: "entry-forged" });
  t.same(seqs(ledger), [1, 3, 4, 5]);
  t.same(gapSeqs(ledger), [2]);
});

t.test("a deleted entry is a gap named as missing; the first one deleted fails at #1", async (t) => {
  const dir = await journal(t);
  await editLog(dir, (entries) => {
    entries.splice(0, 1);
  });
  const ledger = await open(dir);
  t.match(ledger.checkIntegrity(), { ok: false, failedSeq: 1, reason: "sequence-gap" });
  t.same(seqs(ledger), [2, 3, 4, 5]);
  t.match(ledger.gaps(), [{ seq: 1, reason: /entry #1 is missing/ }]);
});

t.test("after an ack the salvage starts above it; the newest entry edited is a gap at the end", async (t) => {
  const dir = await journal(t, 2);
  await editLog(dir, (entries) => {
    at(entries, 5).gross += 1;
  });
  const ledger = await open(dir);
  t.match(ledger.checkIntegrity(), { ok: false, failedSeq: 5, reason: "entry-edited" });
  t.same(seqs(ledger), [3, 4]);
  t.same(gapSeqs(ledger), [5], "attested on disk, so known to be missing");
  t.match(ledger.summary(), { ackedSeq: 2, pending: 2, nextSeq: 6 });
  t.equal(await ledger.acknowledge(4, NOW), 2);
  t.same(gapSeqs(ledger), [5], "the server cannot skip a gap with nothing after it");
  t.match(ledger.summary(), { ackedSeq: 4, pending: 0 });
});

t.test("a head whose MAC fails: no acknowledged point to trust, every verified line goes up", async (t) => {
  const dir = await journal(t);
  await editHead(dir, (h) => {
    h.ackedSeq = 4;
  });
  const ledger = await open(dir);
  t.match(ledger.checkIntegrity(), { ok: false, failedSeq: null, reason: "head-invalid" });
  t.same(seqs(ledger), [1, 2, 3, 4, 5], "the server skips what it already has as duplicates");
  t.same(gapSeqs(ledger), []);
});

t.test("the read-only open (doctor, journal verify) reports the same", async (t) => {
  const dir = await journal(t);
  await editLog(dir, (entries: JournalEntry[]) => {
    at(entries, 4).cardId = "ic:0BADCAFE";
  });
  const ledger = await open(dir, true);
  t.match(ledger.checkIntegrity(), { ok: false, failedSeq: 4, reason: "entry-edited" });
  t.same(seqs(ledger), [1, 2, 3, 5]);
  await ledger.close();
});

t.test("a sound journal has no gaps and says ok", async (t) => {
  const dir = await journal(t, 1);
  const ledger = await open(dir);
  t.same(ledger.checkIntegrity(), { ok: true });
  t.same(seqs(ledger), [2, 3, 4, 5]);
  t.same(ledger.gaps(), []);
  await ledger.close();
});
