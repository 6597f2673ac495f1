/**
 * Disk full and I/O errors: no approval without a durable record, nothing in
 * memory moves when a write fails, and the agent carries on when space returns — on the
 * crash shim, and on a real full filesystem (a tiny tmpfs) through the real writer.
 */
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { rm, writeFile } from "node:fs/promises";
import t, { type Test } from "tap";
import { TerminalLedger } from "../../agent/journal/terminal-ledger.js";
import { silentLogger } from "../../agent/logger.js";
import { Decider, type OnlineAuthoriser } from "../../agent/sale/decider.js";
import type { DurableFs } from "../../agent/store/durable-file.js";
import type { AuthReply } from "../../protocol/messages.js";
import type { CardSnapshot } from "../../rules/card.js";
import type { OfflineLimits } from "../../rules/offline-rules.js";
import { demoPolicy } from "../../rules/policy.js";
import { CrashableDisk, type FsOp } from "../helpers/crashable-fs.js";
import { tempDir } from "../helpers/temp-dir.js";

const DIR = "/data";
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
const limits: OfflineLimits = {
  enabled: true,
  perTransactionMinor: 100_000,
  perCardMinor: 500_000,
  perCardCount: 50,
  terminalMinor: 1_000_000,
  terminalCount: 300,
  maxOfflineAgeMs: 24 * 3600_000,
  allowUnknownCards: false,
};
const down: OnlineAuthoriser = { isConnected: () => false, authorise: async () => "timeout" };

async function till(dataDir: string, fs: DurableFs | undefined, online: OnlineAuthoriser = down) {
  const ledger = await TerminalLedger.open({ dataDir, terminalId: "T001", key, fs });
  await ledger.rememberCard(card, { appliedSeq: 0, onlineThrough: 0 }, NOW);
  ledger.noteContact(NOW);
  const decider = new Decider({
    terminalId: "T001",
    ledger,
    online,
    policy: demoPolicy,
    hotlist: () => new Set(),
    now: () => NOW,
    log: silentLogger(),
    settings: { offline: limits, authTimeoutMs: 50, timeZone: "Asia/Shanghai", language: "en" },
  });
  let n = 0;
  const sale = (gross: number) =>
    decider.decideSale({ txnId: `txn-${++n}`, cardId: card.cardId, gross, operatorId: "001" });
  return { ledger, sale };
}

async function shimTill(online?: OnlineAuthoriser) {
  const disk = new CrashableDisk();
  disk.mkdir(DIR);
  return { disk, ...(await till(DIR, disk.mount(), online)) };
}

/** What a failed commit must leave exactly as it was. */
function stateOf(ledger: TerminalLedger) {
  return {
    summary: ledger.summary(),
    pending: ledger.pending().map((e) => e.hash),
    exposure: ledger.offlineExposure(),
    known: ledger.knownBalance(card.cardId),
  };
}

async function reopenAfterPowerCut(disk: CrashableDisk) {
  disk.crash();
  return TerminalLedger.open({ dataDir: DIR, terminalId: "T001", key, fs: disk.mount() });
}

const faults: [string, FsOp, string][] = [
  ["ENOSPC on write", "write", "ENOSPC"],
  ["EIO on write", "write", "EIO"],
  ["EIO on fsync of the file", "fsync", "EIO"],
];

for (const [name, op, errno] of faults) {
  t.test(`${name}: the sale is not approved, nothing moves, and the next sale takes the next sequence`, async (t) => {
    const { disk, ledger, sale } = await shimTill();
    t.equal((await sale(1_000)).approved, true);
    const before = stateOf(ledger);
    disk.failNext(op, errno);
    await t.rejects(sale(2_000), { code: "CT_STORE_WRITE_FAILED", message: new RegExp(errno) });
    t.same(stateOf(ledger), before, "next sequence not consumed, no pending entry, exposure and balance unchanged");
    const next = await sale(3_000);
    t.equal(next.approved && next.entry.seq, 2, "the fault cleared: the next commit takes #2");
    const reopened = await reopenAfterPowerCut(disk);
    t.same(reopened.checkIntegrity(), { ok: true });
    t.same(
      reopened.pending().map((e) => [e.seq, e.net]),
      [
        [1, 1_000],
        [2, 3_000],
      ],
      "no trace of the failed sale",
    );
  });
}

t.test("a full disk declines to approve every sale until space returns, then carries on", async (t) => {
  const { disk, ledger, sale } = await shimTill();
  t.equal((await sale(1_000)).approved, true);
  const before = stateOf(ledger);
  disk.fill();
  for (let i = 0; i < 3; i++) await t.rejects(sale(2_000), { code: "CT_STORE_WRITE_FAILED", message: /ENOSPC/ });
  t.same(stateOf(ledger), before);
  disk.free();
  const next = await sale(4_000);
  t.equal(next.approved && next.entry.seq, 2);
  t.equal(ledger.knownBalance(card.cardId), 1_000_000 - 5_000);
  const reopened = await reopenAfterPowerCut(disk);
  t.same(reopened.checkIntegrity(), { ok: true });
  t.same(
    reopened.pending().map((e) => e.seq),
    [1, 2],
  );
  t.equal(reopened.knownBalance(card.cardId), 1_000_000 - 5_000);
});

t.test("an online approval whose journal write fails is not approved at the till", async (t) => {
  const online: OnlineAuthoriser = {
    isConnected: () => true,
    authorise: async (req): Promise<AuthReply> => ({
      v: 1,
      corr: "c",
      txnId: req.txnId,
      approved: true,
      gross: req.gross,
      discount: 0,
      net: req.gross,
      pointsEarned: 0,
      balanceAfter: card.balance - req.gross,
      card: { ...card, balance: card.balance - req.gross },
      appliedSeq: 0,
    }),
  };
  const { disk, ledger, sale } = await shimTill(online);
  const before = stateOf(ledger);
  disk.failNext("write", "ENOSPC", { path: /journal/ });
  await t.rejects(sale(2_000), { code: "CT_STORE_WRITE_FAILED" });
  t.same(stateOf(ledger).pending, before.pending);
  t.equal(ledger.summary().nextSeq, before.summary.nextSeq);
});

t.test("an ack that cannot be written keeps every entry and counts nothing twice", async (t) => {
  const { disk, ledger, sale } = await shimTill();
  for (const gross of [1_000, 2_000, 3_000]) t.equal((await sale(gross)).approved, true);
  disk.failNext("write", "ENOSPC", { path: /journal/ });
  await t.rejects(ledger.acknowledge(2, NOW + 1), { code: "CT_STORE_WRITE_FAILED" });
  t.equal(ledger.knownBalance(card.cardId), 1_000_000 - 6_000, "the balance in memory is unchanged");
  await ledger.acknowledge(2, NOW + 2);
  t.equal(ledger.knownBalance(card.cardId), 1_000_000 - 6_000, "after the retried ack");
  const reopened = await reopenAfterPowerCut(disk);
  t.same(reopened.checkIntegrity(), { ok: true });
  t.equal(reopened.knownBalance(card.cardId), 1_000_000 - 6_000, "after a power cut");
  t.equal(reopened.pending().at(-1)?.seq, 3, "the unacknowledged entry is kept");
  t.ok(reopened.summary().ackedSeq <= 2);
});

t.test("a card-cache flush that cannot be written loses no card and counts nothing twice", async (t) => {
  const { disk, ledger, sale } = await shimTill();
  for (const gross of [1_000, 2_000, 3_000]) t.equal((await sale(gross)).approved, true);
  await ledger.acknowledge(2, NOW + 1);
  for (const target of [/cards/, /journal/]) {
    disk.failNext("write", "ENOSPC", { path: target });
    await t.rejects(ledger.flushCards(), { code: "CT_STORE_WRITE_FAILED" }, `${target} full`);
    t.equal(ledger.knownBalance(card.cardId), 1_000_000 - 6_000, `${target}: the balance in memory is unchanged`);
    const reopened = await TerminalLedger.open({ dataDir: DIR, terminalId: "T001", key, fs: disk.mount() });
    t.equal(reopened.knownBalance(card.cardId), 1_000_000 - 6_000, `${target}: and on disk`);
  }
  await ledger.flushCards();
  const reopened = await reopenAfterPowerCut(disk);
  t.same(reopened.checkIntegrity(), { ok: true });
  t.equal(reopened.knownBalance(card.cardId), 1_000_000 - 6_000, "after the flush and a power cut");
  t.same(reopened.offlineExposure(), { minor: 3_000, count: 1 });
});

t.test("a retried ack after a failed journal write trims the journal on disk", async (t) => {
  const { disk, ledger, sale } = await shimTill();
  for (const gross of [1_000, 2_000, 3_000]) t.equal((await sale(gross)).approved, true);
  disk.failNext("write", "ENOSPC", { path: /journal/ });
  await t.rejects(ledger.acknowledge(2, NOW + 1), { code: "CT_STORE_WRITE_FAILED" });
  t.equal(ledger.summary().ackedSeq, 0, "memory is rolled back like a failed commit");
  await ledger.acknowledge(2, NOW + 2);
  const reopened = await reopenAfterPowerCut(disk);
  t.same(reopened.offlineExposure(), { minor: 3_000, count: 1 }, "the retried ack reached the disk");
});

t.test("EIO on the log's fdatasync: a sale reported as failed does not come back after a restart", async (t) => {
  const { disk, ledger, sale } = await shimTill();
  t.equal((await sale(1_000)).approved, true);
  disk.failNext("fsync", "EIO", { path: /journal\.log/ });
  await t.rejects(sale(2_000), { code: "CT_STORE_WRITE_FAILED", message: /EIO/ });
  t.equal(ledger.summary().nextSeq, 2, "in memory the failed sale left no trace");
  // The agent restarts (systemd watchdog, or the technician), without a power cut: it
  // reads the page cache, where the failed line was written before the sync failed.
  const restarted = await TerminalLedger.open({ dataDir: DIR, terminalId: "T001", key, fs: disk.mount() });
  t.same(
    restarted.pending().map((e) => e.net),
    [1_000],
    "only the approved sale is in the journal the uploader will send",
  );
});

t.test("a failed sync whose undo fails too stops approvals until a restart reads the disk again", async (t) => {
  const { disk, ledger, sale } = await shimTill();
  t.equal((await sale(1_000)).approved, true);
  disk.failNext("fsync", "EIO", { path: /journal\.log/ });
  disk.failNext("truncate", "EIO");
  await t.rejects(sale(2_000), { code: "CT_STORE_WRITE_FAILED" });
  t.match(ledger.checkIntegrity(), { ok: false, problem: /uncertain/ });
  await t.rejects(sale(3_000), { code: "CT_JOURNAL_CORRUPT" }, "fails closed, saying why");
  const restarted = await reopenAfterPowerCut(disk);
  t.same(restarted.checkIntegrity(), { ok: true });
  t.same(
    restarted.pending().map((e) => e.net),
    [1_000],
  );
});

t.test("an online approval stays approved when only the card snapshot after it cannot be written", async (t) => {
  const online: OnlineAuthoriser = {
    isConnected: () => true,
    authorise: async (req): Promise<AuthReply> => ({
      v: 1,
      corr: "c",
      txnId: req.txnId,
      approved: true,
      gross: req.gross,
      discount: 0,
      net: req.gross,
      pointsEarned: 0,
      balanceAfter: card.balance - req.gross,
      card: { ...card, balance: card.balance - req.gross },
      appliedSeq: 0,
    }),
  };
  const { disk, ledger, sale } = await shimTill(online);
  disk.failNext("write", "ENOSPC", { path: /journal/, skip: 1 }); // the commit passes, the snapshot does not
  const outcome = await sale(2_000).catch((err: Error) => err);
  t.equal(ledger.pending().length, 1, "the online sale is in the journal (the server applied it)");
  t.equal(outcome instanceof Error ? outcome.message : "approved", "approved", "and the till says so");
});

/** A real full filesystem: a 64 KiB tmpfs, through the real writer (nodeDurableFs). Mounting needs root. */
async function tinyTmpfs(t: Test): Promise<string> {
  const dir = await tempDir(t, "cardterm-enospc-");
  execFileSync("mount", ["-t", "tmpfs", "-o", "size=64k,mode=0700", "tmpfs", dir], { stdio: "pipe" });
  t.teardown(() => execFileSync("umount", [dir]));
  return dir;
}

/** Why the real-ENOSPC case cannot run here, or false when it can. */
function cannotMountTmpfs(): string | false {
  if (process.platform !== "linux") return "needs Linux (tmpfs)";
  if (process.getuid?.() !== 0) return "mounting a tmpfs needs root; the shim cases above cover the logic";
  return false;
}

/** Fill the filesystem with a ballast file until a write fails with ENOSPC: no page is left for a new file. */
async function fillUp(dir: string): Promise<void> {
  const chunk = Buffer.alloc(1024, 0x78);
  for (;;) {
    try {
      await writeFile(`${dir}/ballast`, chunk, { flag: "a" });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOSPC") return;
      throw err;
    }
  }
}

t.test(
  "a real full filesystem (tmpfs) refuses the approval, and space returning brings it back",
  { skip: cannotMountTmpfs() },
  async (t) => {
    const dir = await tinyTmpfs(t);
    const { ledger, sale } = await till(dir, undefined);
    t.teardown(() => ledger.close()); // before the unmount
    t.equal((await sale(1_000)).approved, true);
    await fillUp(dir);
    // An append that still fits in the log's last allocated block is durable and rightly
    // approved; the first one that needs a new block must be refused, leaving no trace.
    const approved: number[] = [];
    for (let i = 0; i < 64; i++) {
      const before = stateOf(ledger);
      const outcome = await sale(2_000).catch((err: Error) => err);
      if (!(outcome instanceof Error)) {
        if (outcome.approved) approved.push(outcome.entry.seq);
        continue;
      }
      t.match(outcome, { code: "CT_STORE_WRITE_FAILED", message: /ENOSPC/ }, "refused once the disk has no block left");
      t.same(stateOf(ledger), before, "the refused sale left no trace");
      break;
    }
    t.ok(approved.length < 64, "a full disk was reached");
    await rm(`${dir}/ballast`);
    const next = await sale(3_000);
    t.equal(next.approved && next.entry.seq, approved.length + 2);
    const reopened = await TerminalLedger.open({ dataDir: dir, terminalId: "T001", key, readOnly: true });
    t.same(reopened.checkIntegrity(), { ok: true });
    t.same(
      reopened.pending().map((e) => [e.seq, e.net]),
      [[1, 1_000], ...approved.map((seq) => [seq, 2_000]), [approved.length + 2, 3_000]],
      "every approval, and only they, on disk",
    );
  },
);
