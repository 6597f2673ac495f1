import { randomBytes } from "node:crypto";
import { appendFile, readFile, stat, writeFile } from "node:fs/promises";
import t from "tap";
import { cardCacheBytes, journalHeadJson } from "../../agent/journal/cached-json.js";
import { HEADER_BYTES } from "../../agent/journal/journal-log.js";
import { legacyHeadMac, sealCard } from "../../agent/journal/seals.js";
import { COMPACT_EMPTY_AT, type NewEntry, TerminalLedger } from "../../agent/journal/terminal-ledger.js";
import { type DurableFs, nodeDurableFs } from "../../agent/store/durable-file.js";
import { GENESIS_HASH, sealEntry } from "../../protocol/journal-entry.js";
import type { CardSnapshot } from "../../rules/card.js";
import { editLog, readHead, readLog } from "../helpers/journal-files.js";
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
  await ledger.close();
  await editLog(dir, (entries) => {
    entries[1]!.net = 1;
  });
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
  await ledger.close();
  await editLog(dir, (entries) => {
    entries.splice(1, 1);
  });
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

t.test("cards.json built a slice at a time is exactly JSON.stringify of the document", async (t) => {
  for (const n of [0, 1, 1_999, 2_000, 2_001, 4_500]) {
    const cards = Object.fromEntries(
      Array.from({ length: n }, (_, i) => {
        const id = `ic:${i.toString(16).padStart(8, "0")}`;
        const fields = { ...card, cardId: id, balance: i, memberName: `张"${i}\\` };
        return [id, sealCard({ ...fields, includedThrough: 0, onlineThrough: 0, refreshedAt: 1 }, key)];
      }),
    );
    const doc = { format: 1 as const, cards };
    let turns = 0;
    const ticking = setInterval(() => turns++, 0);
    const bytes = await cardCacheBytes(doc as Parameters<typeof cardCacheBytes>[0]);
    clearInterval(ticking);
    t.equal(Buffer.from(bytes).toString("utf8"), JSON.stringify(doc), `${n} cards`);
    if (n > 4_000) t.ok(turns > 0, "timers ran while the cards were being serialised");
  }
});

t.test("the memoised head JSON is exactly JSON.stringify of the document", async (t) => {
  const dir = await tempDir(t);
  const ledger = await TerminalLedger.open({ dataDir: dir, terminalId: "T001", key });
  await ledger.rememberCard(card, { appliedSeq: 0, onlineThrough: 0 }, 1);
  for (const id of ["t1", "t2", "t3"]) await ledger.commit(sale(id, 100));
  await ledger.acknowledge(1, 2);
  const text = await readFile(`${dir}/journal.json`, "utf8");
  t.equal(text, JSON.stringify(JSON.parse(text)), "same text as a plain JSON.stringify would write");
  const head = await readHead(dir);
  t.equal(head.ackedSeq, 1);
  t.equal(head.attestedSeq, 3, "the head attests every entry committed before it was written");
  t.equal(journalHeadJson({ ...head, cardOverlay: {} }), JSON.stringify({ ...head, cardOverlay: {} }));
  await ledger.close();
});

t.test("a commit appends one line and does not rewrite journal.json", async (t) => {
  const dir = await tempDir(t);
  const ledger = await TerminalLedger.open({ dataDir: dir, terminalId: "T001", key });
  await ledger.rememberCard(card, { appliedSeq: 0, onlineThrough: 0 }, 1);
  const headBefore = await readFile(`${dir}/journal.json`, "utf8");
  const sizeBefore = (await stat(`${dir}/journal.log`)).size;
  const e = await ledger.commit(sale("t1", 100));
  t.equal(await readFile(`${dir}/journal.json`, "utf8"), headBefore, "the head is not touched by a commit");
  t.equal((await stat(`${dir}/journal.log`)).size, sizeBefore + Buffer.byteLength(`${JSON.stringify(e)}\n`));
  t.same((await readLog(dir)).entries, [e]);
  await ledger.close();
});

t.test(
  "an append the power cut short is dropped at start-up and the next commit follows the last whole entry",
  async (t) => {
    const dir = await tempDir(t);
    const ledger = await TerminalLedger.open({ dataDir: dir, terminalId: "T001", key });
    await ledger.commit(sale("t1", 100));
    await ledger.commit(sale("t2", 200));
    await ledger.close();
    await appendFile(`${dir}/journal.log`, '{"terminalId":"T001","seq":3,"prevH');
    const reopened = await TerminalLedger.open({ dataDir: dir, terminalId: "T001", key });
    t.same(reopened.checkIntegrity(), { ok: true });
    t.same(
      reopened.pending().map((e) => e.txnId),
      ["t1", "t2"],
    );
    const e3 = await reopened.commit(sale("t3", 300));
    t.equal(e3.seq, 3);
    await reopened.close();
    const again = await TerminalLedger.open({ dataDir: dir, terminalId: "T001", key, readOnly: true });
    t.same(again.checkIntegrity(), { ok: true }, "the torn bytes were cut, not left in front of #3");
    t.same(
      again.pending().map((e) => e.txnId),
      ["t1", "t2", "t3"],
    );
  },
);

t.test("an ack that empties the outbox compacts the log to its header once enough lines gathered", async (t) => {
  const dir = await tempDir(t);
  const ledger = await TerminalLedger.open({ dataDir: dir, terminalId: "T001", key });
  for (const id of ["t1", "t2", "t3"]) await ledger.commit(sale(id, 100));
  await ledger.acknowledge(2, 1);
  t.equal((await readLog(dir)).entries.length, 3, "acknowledged lines may stay while entries are pending");
  await ledger.acknowledge(3, 2);
  t.equal((await readLog(dir)).entries.length, 3, "a few acknowledged lines are not worth a rewrite");
  const reopened = await TerminalLedger.open({ dataDir: dir, terminalId: "T001", key });
  t.same(reopened.checkIntegrity(), { ok: true }, "acknowledged lines left in the log read back fine");
  t.same(reopened.pending(), []);
  await reopened.close();

  const again = await TerminalLedger.open({ dataDir: dir, terminalId: "T001", key });
  for (let i = 4; i <= COMPACT_EMPTY_AT; i++) await again.commit(sale(`t${i}`, 100));
  await again.acknowledge(COMPACT_EMPTY_AT - 1, 3);
  t.equal((await readLog(dir)).entries.length, COMPACT_EMPTY_AT, "not while an entry is pending");
  await again.acknowledge(COMPACT_EMPTY_AT, 4);
  t.equal((await stat(`${dir}/journal.log`)).size, HEADER_BYTES, "an empty outbox with enough lines: header only");
  const next = await again.commit(sale("next", 100));
  await again.close();
  const last = await TerminalLedger.open({ dataDir: dir, terminalId: "T001", key });
  t.same(last.checkIntegrity(), { ok: true });
  t.same(last.pending(), [next]);
  t.same(last.summary(), {
    nextSeq: COMPACT_EMPTY_AT + 2,
    ackedSeq: COMPACT_EMPTY_AT,
    pending: 1,
    lastContactAt: 4,
  });
  await last.close();
});

t.test("a read-only open writes nothing, even where a writer would repair", async (t) => {
  const dir = await tempDir(t);
  const fresh = await TerminalLedger.open({ dataDir: dir, terminalId: "T001", key, readOnly: true });
  await t.rejects(stat(`${dir}/journal.log`), { code: "ENOENT" }, "no log created in an empty directory");
  await t.rejects(fresh.commit(sale("t1", 1)), { code: "CT_JOURNAL_CORRUPT" }, "and no commit through it");
  const ledger = await TerminalLedger.open({ dataDir: dir, terminalId: "T001", key });
  await ledger.commit(sale("t1", 100));
  await ledger.close();
  await appendFile(`${dir}/journal.log`, "{torn");
  const before = await readFile(`${dir}/journal.log`, "utf8");
  const reader = await TerminalLedger.open({ dataDir: dir, terminalId: "T001", key, readOnly: true });
  t.same(reader.checkIntegrity(), { ok: true });
  t.equal(await readFile(`${dir}/journal.log`, "utf8"), before);
});

t.test("a format-1 journal.json (entries inside) is verified and migrated to the log", async (t) => {
  const dir = await tempDir(t);
  const e1 = sealEntry({ ...sale("old1", 100), terminalId: "T001", seq: 1, prevHash: GENESIS_HASH }, key);
  const e2 = sealEntry({ ...sale("old2", 200), terminalId: "T001", seq: 2, prevHash: e1.hash }, key);
  const cached = sealCard({ ...card, includedThrough: 0, onlineThrough: 0, refreshedAt: 1 }, key);
  const legacy = {
    format: 1,
    terminalId: "T001",
    nextSeq: 3,
    headHash: e2.hash,
    ackedSeq: 0,
    ackedHash: GENESIS_HASH,
    pending: [e1, e2],
    lastContactAt: 5,
    cardOverlay: { [card.cardId]: cached },
  };
  await writeFile(`${dir}/journal.json`, JSON.stringify({ ...legacy, headMac: legacyHeadMac(legacy, key) }));
  const ledger = await TerminalLedger.open({ dataDir: dir, terminalId: "T001", key });
  t.same(ledger.checkIntegrity(), { ok: true });
  t.same(ledger.pending(), [e1, e2]);
  t.equal(ledger.knownBalance(card.cardId), card.balance - 300);
  t.equal((await readHead(dir)).format, 2, "journal.json rewritten as the head");
  t.same((await readLog(dir)).entries, [e1, e2], "the entries moved to journal.log");
  await ledger.close();
  const reopened = await TerminalLedger.open({ dataDir: dir, terminalId: "T001", key });
  t.same(reopened.checkIntegrity(), { ok: true });
  t.equal(reopened.lastContactAt(), 5);
});

t.test("an idle attestation gives way to a waiting commit after its first slot is synced", async (t) => {
  const dir = await tempDir(t);
  // Record journal.log's writes and syncs; hold the first sync that follows a slot write
  // (the idle attestation) until the test has a commit queued behind it.
  const ops: string[] = [];
  let hold: { reached: () => void; released: Promise<void> } | undefined;
  const fs: DurableFs = {
    ...nodeDurableFs,
    async openForUpdate(path) {
      const file = await nodeDurableFs.openForUpdate(path);
      return {
        ...file,
        write: (data, position) => {
          ops.push(position < HEADER_BYTES ? "slot" : "entry");
          return file.write(data, position);
        },
        datasync: async () => {
          const h = ops.at(-1) === "slot" ? hold : undefined;
          ops.push("sync");
          if (h) {
            hold = undefined;
            h.reached();
            await h.released;
          }
          return file.datasync();
        },
      };
    },
  };
  const ledger = await TerminalLedger.open({ dataDir: dir, terminalId: "T001", key, fs });
  let release = () => {};
  const reached = new Promise<void>((reachedResolve) => {
    hold = { reached: reachedResolve, released: new Promise((r) => (release = r)) };
  });
  await ledger.commit(sale("t1", 100));
  await reached; // the attestation of #1 is between its first slot and its sync
  const second = ledger.commit(sale("t2", 200));
  await new Promise((r) => setImmediate(r));
  const mark = ops.length;
  release();
  await second;
  t.equal(ops[mark], "entry", "the queued commit wrote its entry next, before any second slot");
  await ledger.settled();
  await ledger.close();
  const reopened = await TerminalLedger.open({ dataDir: dir, terminalId: "T001", key, readOnly: true });
  t.same(reopened.checkIntegrity(), { ok: true });
  t.same(
    reopened.pending().map((e) => e.txnId),
    ["t1", "t2"],
  );
  await editLog(dir, (entries) => {
    entries.pop();
  });
  const cut = await TerminalLedger.open({ dataDir: dir, terminalId: "T001", key, readOnly: true });
  t.notOk(cut.checkIntegrity().ok, "#2 was still attested once the till went idle, so cutting it is caught");
});
