import { randomBytes } from "node:crypto";
import { readFile, writeFile } from "node:fs/promises";
import t from "tap";
import { journalDocJson } from "../../agent/journal/cached-json.js";
import { type NewEntry, TerminalLedger } from "../../agent/journal/terminal-ledger.js";
import type { CardSnapshot } from "../../protocol/card.js";
import { tempDir } from "../helpers/temp-dir.js";

const key = randomBytes(32);
const card: CardSnapshot = {
  cardId: "ic:04A1B2C3",
  accountId: "A1",
  memberName: "张伟",
  cardType: "gold",
  status: "active",
  balance: 100_000,
  points: 0,
};

function sale(
  txnId: string,
  net: number,
  mode: "online" | "offline" = "offline",
  balanceAfter: number | null = null,
): NewEntry {
  return {
    txnId,
    kind: "sale",
    mode,
    at: "2026-11-22T10:00:00.000Z",
    businessDay: "2026-11-22",
    operatorId: "001",
    cardId: card.cardId,
    gross: net,
    discount: 0,
    net,
    bonus: 0,
    pointsEarned: 0,
    balanceAfter,
  };
}

t.test("entries are chained with gapless sequence numbers and survive a reopen", async (t) => {
  const dir = await tempDir(t);
  const ledger = await TerminalLedger.open({ dataDir: dir, terminalId: "T001", key });
  const a = await ledger.commit(sale("t1", 1000));
  const b = await ledger.commit(sale("t2", 2000));
  t.equal(a.seq, 1);
  t.equal(b.seq, 2);
  t.equal(b.prevHash, a.hash);
  const reopened = await TerminalLedger.open({ dataDir: dir, terminalId: "T001", key });
  t.same(reopened.checkIntegrity(), { ok: true });
  t.equal(reopened.pending().length, 2);
  t.same(reopened.offlineExposure(), { minor: 3000, count: 2 });
});

t.test("an edited entry is detected at start-up and approvals are refused", async (t) => {
  const dir = await tempDir(t);
  const ledger = await TerminalLedger.open({ dataDir: dir, terminalId: "T001", key });
  await ledger.commit(sale("t1", 1000));
  await ledger.commit(sale("t2", 2000));
  const doc = JSON.parse(await readFile(`${dir}/journal.json`, "utf8"));
  doc.pending[1].net = 1;
  await writeFile(`${dir}/journal.json`, JSON.stringify(doc));
  const reopened = await TerminalLedger.open({ dataDir: dir, terminalId: "T001", key });
  const integrity = reopened.checkIntegrity();
  t.equal(integrity.ok, false);
  t.match(!integrity.ok && integrity.problem, /entry #2 was edited/);
  await t.rejects(reopened.commit(sale("t3", 10)), { code: "CT_JOURNAL_CORRUPT" });
});

t.test("a deleted entry is detected and named", async (t) => {
  const dir = await tempDir(t);
  const ledger = await TerminalLedger.open({ dataDir: dir, terminalId: "T001", key });
  for (const id of ["t1", "t2", "t3"]) await ledger.commit(sale(id, 100));
  const doc = JSON.parse(await readFile(`${dir}/journal.json`, "utf8"));
  doc.pending.splice(1, 1);
  await writeFile(`${dir}/journal.json`, JSON.stringify(doc));
  const reopened = await TerminalLedger.open({ dataDir: dir, terminalId: "T001", key });
  const integrity = reopened.checkIntegrity();
  t.match(!integrity.ok && integrity.problem, /entry #3 found where #2 was expected/);
});

t.test("a journal that is not JSON fails closed instead of starting empty", async (t) => {
  const dir = await tempDir(t);
  await writeFile(`${dir}/journal.json`, '{"format":1,"pend');
  const ledger = await TerminalLedger.open({ dataDir: dir, terminalId: "T001", key });
  t.equal(ledger.checkIntegrity().ok, false);
  await t.rejects(ledger.commit(sale("t1", 1)), { code: "CT_JOURNAL_CORRUPT" });
});

t.test("known balance subtracts unacknowledged offline debits, and an ack folds them into the cache", async (t) => {
  const dir = await tempDir(t);
  const ledger = await TerminalLedger.open({ dataDir: dir, terminalId: "T001", key });
  await ledger.rememberCard(card, { appliedSeq: 0, onlineThrough: 0 }, 1);
  await ledger.commit(sale("t1", 30_000));
  await ledger.commit(sale("t2", 20_000));
  t.equal(ledger.knownBalance(card.cardId), 50_000);
  t.equal(await ledger.acknowledge(1, 2), 1);
  t.equal(ledger.pending().length, 1);
  t.equal(ledger.knownBalance(card.cardId), 50_000, "the same after the ack: folded, not forgotten");
  t.equal(ledger.card(card.cardId)?.balance, 70_000);
  const reopened = await TerminalLedger.open({ dataDir: dir, terminalId: "T001", key });
  t.same(reopened.checkIntegrity(), { ok: true }, "the chain verifies from the acked head");
  t.equal(reopened.knownBalance(card.cardId), 50_000);
  t.same(reopened.offlineExposure(card.cardId), { minor: 20_000, count: 1 });
});

t.test("an online snapshot does not hide offline debits the server has not applied yet", async (t) => {
  const dir = await tempDir(t);
  const ledger = await TerminalLedger.open({ dataDir: dir, terminalId: "T001", key });
  await ledger.rememberCard(card, { appliedSeq: 0, onlineThrough: 0 }, 1);
  await ledger.commit(sale("off1", 10_000)); // seq 1, offline, not yet at the server
  const online = await ledger.commit(sale("on1", 5_000, "online", 95_000)); // server saw 100000 − 5000
  await ledger.rememberCard({ ...card, balance: 95_000 }, { appliedSeq: 0, onlineThrough: online.seq }, 2);
  t.equal(ledger.knownBalance(card.cardId), 85_000);
  await ledger.acknowledge(2, 3);
  t.equal(ledger.knownBalance(card.cardId), 85_000, "after the server applied both");
});

t.test("acks never race commits: entries committed during an ack are kept", async (t) => {
  const dir = await tempDir(t);
  const ledger = await TerminalLedger.open({ dataDir: dir, terminalId: "T001", key });
  await ledger.commit(sale("t1", 1));
  const work = [ledger.acknowledge(1, 1), ledger.commit(sale("t2", 2)), ledger.commit(sale("t3", 3))];
  await Promise.all(work);
  t.same(
    ledger.pending().map((e) => e.seq),
    [2, 3],
  );
  const reopened = await TerminalLedger.open({ dataDir: dir, terminalId: "T001", key });
  t.same(reopened.checkIntegrity(), { ok: true });
  t.same(
    reopened.pending().map((e) => e.txnId),
    ["t2", "t3"],
  );
});

t.test("the memoised journal JSON is exactly JSON.stringify of the document", async (t) => {
  const dir = await tempDir(t);
  const ledger = await TerminalLedger.open({ dataDir: dir, terminalId: "T001", key });
  await ledger.rememberCard(card, { appliedSeq: 0, onlineThrough: 0 }, 1);
  for (const id of ["t1", "t2", "t3"]) await ledger.commit(sale(id, 100));
  await ledger.acknowledge(1, 2);
  const text = await readFile(`${dir}/journal.json`, "utf8");
  t.equal(text, JSON.stringify(JSON.parse(text)), "same text as a plain JSON.stringify would write");
  t.equal(JSON.parse(text).pending.length, 2);
  t.equal(
    journalDocJson({ ...JSON.parse(text), cardOverlay: {} }),
    JSON.stringify({ ...JSON.parse(text), cardOverlay: {} }),
  );
});
