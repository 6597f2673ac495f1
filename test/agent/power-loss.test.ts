/**
 * Power loss: a crash at any point of commits, acks, card refreshes and card-cache
 * flushes (cards.json, then the overlay out of journal.json) loses
 * nothing that was acknowledged, and the journal opens with a gapless, verifying chain
 * whose balances replay exactly. The same scenarios with a writer that skips a sync
 * lose acknowledged commits, so these tests would catch such a writer.
 */
import { randomBytes } from "node:crypto";
import fc from "fast-check";
import t from "tap";
import { type NewEntry, TerminalLedger } from "../../agent/journal/terminal-ledger.js";
import type { DurableFs } from "../../agent/store/durable-file.js";
import { writeDurably } from "../../agent/store/durable-file.js";
import type { JournalEntry } from "../../protocol/journal-entry.js";
import type { CardSnapshot } from "../../rules/card.js";
import { CrashableDisk, type CrashableHandle, type CrashOptions, careless } from "../helpers/crashable-fs.js";

const DIR = "/data";
const key = randomBytes(32);
const CARDS = ["ic:0A000001", "ic:0A000002", "ic:0A000003"] as const;
const INITIAL = 1_000_000;

type Step =
  | { kind: "commits"; card: number; nets: number[] }
  | { kind: "ack"; k: number }
  | { kind: "refresh"; card: number }
  | { kind: "flush" };

interface Scenario {
  steps: Step[];
  crashAt: number;
  survivors: "none" | "random";
  seed: number;
}

/** What the first boot was told had succeeded before the power went. */
interface Acknowledged {
  commits: Map<number, JournalEntry>;
  ackedThrough: number;
}

function snapshot(cardId: string, balance: number): CardSnapshot {
  return {
    cardId,
    accountId: `A-${cardId}`,
    memberName: "测试",
    cardType: "standard",
    status: "active",
    balance,
    points: 0,
  };
}

function sale(txnId: string, cardId: string, net: number): NewEntry {
  return {
    txnId,
    kind: "sale",
    mode: "offline",
    at: "2026-11-22T10:00:00.000Z",
    businessDay: "2026-11-22",
    operatorId: "001",
    cardId,
    gross: net,
    discount: 0,
    net,
    bonus: 0,
    pointsEarned: 0,
    balanceAfter: null,
  };
}

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let x = a;
    x = Math.imul(x ^ (x >>> 15), x | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

const open = (fs: DurableFs) => TerminalLedger.open({ dataDir: DIR, terminalId: "T001", key, fs });

/** Boot 1: set up, arm the crash, run the steps until the power goes (or the steps end and it goes then). */
async function runUntilCrash(
  disk: CrashableDisk,
  writer: (h: CrashableHandle) => DurableFs,
  s: Scenario,
): Promise<Acknowledged> {
  disk.mkdir(DIR);
  const ledger = await open(writer(disk.mount()));
  for (const c of CARDS) await ledger.rememberCard(snapshot(c, INITIAL), { appliedSeq: 0, onlineThrough: 0 }, 1);
  const acked: Acknowledged = { commits: new Map(), ackedThrough: 0 };
  const crash: CrashOptions = { survivors: s.survivors, random: mulberry32(s.seed) };
  disk.crashBeforeOp(s.crashAt, crash);
  let txn = 0;
  const serverBalance = (cardId: string) =>
    INITIAL -
    [...acked.commits.values()]
      .filter((e) => e.cardId === cardId && e.seq <= acked.ackedThrough)
      .reduce((sum, e) => sum + e.net, 0);
  try {
    for (const step of s.steps) {
      if (step.kind === "commits") {
        const cardId = CARDS[step.card]!;
        const results = await Promise.allSettled(step.nets.map((net) => ledger.commit(sale(`t${++txn}`, cardId, net))));
        for (const r of results) if (r.status === "fulfilled") acked.commits.set(r.value.seq, r.value);
        if (results.some((r) => r.status === "rejected")) break;
      } else if (step.kind === "ack") {
        const through = ledger.pending()[step.k - 1]?.seq ?? ledger.pending().at(-1)?.seq;
        if (through === undefined) continue;
        await ledger.acknowledge(through, 2);
        acked.ackedThrough = through;
      } else if (step.kind === "flush") {
        await ledger.flushCards();
      } else {
        const cardId = CARDS[step.card]!;
        const seen = { appliedSeq: acked.ackedThrough, onlineThrough: 0 };
        await ledger.rememberCard(snapshot(cardId, serverBalance(cardId)), seen, 3);
      }
    }
  } catch {
    // The power went during this step: what it was doing was never acknowledged.
  }
  if (disk.crashes === 0) disk.crash(crash);
  return acked;
}

/** Boot 2: reopen and list every way the disk disagrees with what boot 1 acknowledged. */
async function problemsAfterReboot(disk: CrashableDisk, acked: Acknowledged): Promise<string[]> {
  const problems: string[] = [];
  const ledger = await open(disk.mount());
  const integrity = ledger.checkIntegrity();
  if (!integrity.ok) return [`the journal does not open: ${integrity.problem}`];
  const { ackedSeq, nextSeq } = ledger.summary();
  const pending = new Map(ledger.pending().map((e) => [e.seq, e]));
  if (ackedSeq < acked.ackedThrough)
    problems.push(`the ack through #${acked.ackedThrough} was acknowledged but the journal is back at #${ackedSeq}`);
  for (const [seq, e] of acked.commits) {
    if (seq <= ackedSeq) continue;
    if (pending.get(seq)?.hash !== e.hash) problems.push(`commit #${seq} (${e.txnId}) was acknowledged but is lost`);
  }
  const seqs = [...pending.keys()];
  const gapless = Array.from({ length: nextSeq - ackedSeq - 1 }, (_, i) => ackedSeq + 1 + i);
  if (JSON.stringify(seqs) !== JSON.stringify(gapless))
    problems.push(`pending ${seqs} is not the gapless run ${ackedSeq + 1}..${nextSeq - 1}`);
  problems.push(...balanceProblems(ledger, acked, pending, nextSeq));
  return problems;
}

/** Every known balance equals the initial balance minus every debit in the surviving history, once. */
function balanceProblems(
  ledger: TerminalLedger,
  acked: Acknowledged,
  pending: Map<number, JournalEntry>,
  nextSeq: number,
): string[] {
  const history: JournalEntry[] = [];
  for (let seq = 1; seq < nextSeq; seq++) {
    const e = pending.get(seq) ?? acked.commits.get(seq);
    if (!e) return [`entry #${seq} is neither pending nor an acknowledged commit`];
    history.push(e);
  }
  const problems: string[] = [];
  for (const cardId of CARDS) {
    const expected = INITIAL - history.filter((e) => e.cardId === cardId).reduce((sum, e) => sum + e.net, 0);
    const known = ledger.knownBalance(cardId);
    if (known !== expected) problems.push(`${cardId}: known balance ${known}, replay of the journal ${expected}`);
  }
  return problems;
}

/** After the reboot the ledger works: the next commit takes the next sequence and survives another crash. */
async function recovers(disk: CrashableDisk): Promise<string[]> {
  const ledger = await open(disk.mount());
  const { nextSeq } = ledger.summary();
  const e = await ledger.commit(sale("after-reboot", CARDS[0], 1));
  disk.crash();
  const again = await open(disk.mount());
  const problems: string[] = [];
  if (e.seq !== nextSeq) problems.push(`the first commit after the reboot took #${e.seq}, not #${nextSeq}`);
  if (!again.checkIntegrity().ok) problems.push("the journal does not verify after the recovery commit");
  if (again.pending().at(-1)?.hash !== e.hash) problems.push("the recovery commit was lost");
  return problems;
}

async function scenarioProblems(writer: (h: CrashableHandle) => DurableFs, s: Scenario): Promise<string[]> {
  const disk = new CrashableDisk();
  const acked = await runUntilCrash(disk, writer, s);
  const problems = await problemsAfterReboot(disk, acked);
  return problems.length > 0 ? problems : recovers(disk);
}

/** How many file operations a run makes after the crash is armed (nothing crashes: the point is far away). */
async function operationsOf(steps: Step[]): Promise<number> {
  const disk = new CrashableDisk();
  await runUntilCrash(disk, durable, { steps, crashAt: 1_000_000, survivors: "none", seed: 0 });
  return disk.lastBootOps;
}

const stepArb: fc.Arbitrary<Step> = fc.oneof(
  {
    arbitrary: fc.record({
      kind: fc.constant("commits" as const),
      card: fc.nat(CARDS.length - 1),
      nets: fc.array(fc.integer({ min: 1, max: 50_000 }), { minLength: 1, maxLength: 3 }),
    }),
    weight: 3,
  },
  { arbitrary: fc.record({ kind: fc.constant("ack" as const), k: fc.integer({ min: 1, max: 4 }) }), weight: 1 },
  { arbitrary: fc.record({ kind: fc.constant("refresh" as const), card: fc.nat(CARDS.length - 1) }), weight: 1 },
  { arbitrary: fc.constant({ kind: "flush" as const }), weight: 1 },
);

const scenarioArb: fc.Arbitrary<Scenario> = fc.record({
  steps: fc.array(stepArb, { minLength: 1, maxLength: 12 }),
  crashAt: fc.integer({ min: 1, max: 120 }),
  survivors: fc.constantFrom("none" as const, "random" as const),
  seed: fc.integer(),
});

const durable = (h: CrashableHandle): DurableFs => h;

const lossProperty = (writer: (h: CrashableHandle) => DurableFs) =>
  fc.asyncProperty(scenarioArb, async (s) => {
    const problems = await scenarioProblems(writer, s);
    if (problems.length > 0) throw new Error(problems.join("; "));
  });

t.test("the shim keeps only what was synced: file data by fsync, names by a directory fsync", async (t) => {
  const disk = new CrashableDisk();
  disk.mkdir(DIR);
  const h = disk.mount();
  await h.writeFileSynced(`${DIR}/c`, "synced, name synced");
  await h.fsyncDir(DIR);
  await h.writeFile(`${DIR}/a`, "never synced");
  await h.writeFileSynced(`${DIR}/b`, "synced, name not");
  await h.writeFileSynced(`${DIR}/c.tmp`, "new c");
  await h.rename(`${DIR}/c.tmp`, `${DIR}/c`);
  t.equal(disk.peek(`${DIR}/c`), "new c", "before the crash, readers see the page cache");
  disk.crash();
  t.equal(disk.peek(`${DIR}/a`), null);
  t.equal(disk.peek(`${DIR}/b`), null);
  t.equal(disk.peek(`${DIR}/c`), "synced, name synced", "the rename without a directory fsync is rolled back");
  await t.rejects(h.readFile(`${DIR}/c`), { code: "EIO" }, "the dead process's handle is cut off");
  const h2 = disk.mount();
  await writeDurably(h2, `${DIR}/c`, "durable c");
  disk.crash({ survivors: "random" });
  t.equal(disk.peek(`${DIR}/c`), "durable c", "writeDurably's result survives");
});

t.test("a crash at every operation of a fixed run loses no acknowledged commit or ack", async (t) => {
  const steps: Step[] = [
    { kind: "commits", card: 0, nets: [100, 200] },
    { kind: "commits", card: 1, nets: [300] },
    { kind: "ack", k: 2 },
    { kind: "refresh", card: 0 },
    { kind: "flush" },
    { kind: "commits", card: 0, nets: [400, 500, 600] },
    { kind: "ack", k: 1 },
    { kind: "refresh", card: 1 },
    { kind: "flush" },
    { kind: "commits", card: 2, nets: [700] },
  ];
  const total = await operationsOf(steps);
  t.ok(total > 30, `the run makes ${total} file operations`);
  for (let crashAt = 1; crashAt <= total + 1; crashAt++) {
    for (const survivors of ["none", "random"] as const) {
      const problems = await scenarioProblems(durable, { steps, crashAt, survivors, seed: crashAt });
      t.same(problems, [], `crash before operation ${crashAt} (${survivors} of the unsynced state survives)`);
    }
  }
});

t.test("random runs with a crash at a random point lose nothing acknowledged (fast-check)", async (t) => {
  await fc.assert(lossProperty(durable), { numRuns: 300 });
  t.pass("300 runs");
});

t.test("teeth: a writer that skips the directory fsync loses an acknowledged commit", async (t) => {
  const s: Scenario = { steps: [{ kind: "commits", card: 0, nets: [100] }], crashAt: 1000, survivors: "none", seed: 1 };
  const problems = await scenarioProblems((h) => careless(h, "dir-sync"), s);
  t.match(problems.join("; "), /commit #1 \(t1\) was acknowledged but is lost/);
  const sweep = await fc.check(
    lossProperty((h) => careless(h, "dir-sync")),
    { numRuns: 100 },
  );
  t.ok(sweep.failed, "the property fails for this writer");
});

t.test("teeth: a writer that never fsyncs (lowdb's own adapter) loses or corrupts acknowledged commits", async (t) => {
  const s: Scenario = {
    steps: [{ kind: "commits", card: 0, nets: [100, 200] }],
    crashAt: 1000,
    survivors: "none",
    seed: 1,
  };
  const lost = await scenarioProblems((h) => careless(h, "all-syncs"), s);
  t.match(lost.join("; "), /was acknowledged but is lost/);
  const kinds = new Set<string>();
  for (let seed = 0; seed < 40; seed++) {
    const torn = await scenarioProblems((h) => careless(h, "all-syncs"), { ...s, survivors: "random", seed });
    for (const p of torn) kinds.add(/does not open/.test(p) ? "corrupt" : /lost/.test(p) ? "lost" : "other");
  }
  t.ok(kinds.has("corrupt"), "a rename that reached the disk before its data leaves a journal that does not open");
  t.ok(kinds.has("lost"), "a rename that did not reach the disk loses the commit");
  const sweep = await fc.check(
    lossProperty((h) => careless(h, "all-syncs")),
    { numRuns: 100 },
  );
  t.ok(sweep.failed, "the property fails for this writer");
});

t.test("teeth: a writer that fsyncs the directory but not the file leaves a journal that does not open", async (t) => {
  const s: Scenario = { steps: [{ kind: "commits", card: 0, nets: [100] }], crashAt: 1000, survivors: "none", seed: 1 };
  const problems = await scenarioProblems((h) => careless(h, "file-sync"), s);
  t.match(problems.join("; "), /the journal does not open: .*journal\.json is not valid JSON/);
  const sweep = await fc.check(
    lossProperty((h) => careless(h, "file-sync")),
    { numRuns: 100 },
  );
  t.ok(sweep.failed, "the property fails for this writer");
});
