/**
 * Commit latency (issue 3): an offline sale decided and made durable (rules + seal +
 * journal.json written, fsynced, renamed, directory fsynced), with 0, 100 and 500
 * pending entries and with 10k and 100k cards cached — beside the raw floor measured in
 * the same run, interleaved sample by sample: a file of the same size as journal.json at
 * that moment written through Node's promise API with write + fsync + rename + directory
 * fsync, the same system calls the agent makes.
 *
 *   npx tsx bench/commit-latency.ts [samples]
 *
 * The number of pending entries is held steady: after each sample the oldest entry is
 * acknowledged (untimed). Each case runs once more on files held in memory ("no-disk"):
 * the agent's own CPU share of a commit (rules, seal, JSON of the whole journal document). Run it on a disk-backed directory (ext4 here): on tmpfs fsync
 * costs nothing and the floor means nothing. CARDTERM_BENCH_DIR overrides os.tmpdir().
 */
import { randomBytes } from "node:crypto";
import { constants, promises as fsp, statfsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { CachedCard, CardCacheDoc, JournalDoc } from "../agent/journal/journal-state.js";
import { emptyJournal } from "../agent/journal/journal-state.js";
import { headMac, sealCard } from "../agent/journal/seals.js";
import { TerminalLedger } from "../agent/journal/terminal-ledger.js";
import { silentLogger } from "../agent/logger.js";
import { Decider } from "../agent/sale/decider.js";
import type { DurableFs } from "../agent/store/durable-file.js";
import { type JournalEntry, sealEntry } from "../protocol/journal-entry.js";
import { demoPolicy } from "../protocol/policy.js";
import { fmt, nowMs, printTable, summarize } from "./stats.js";

const SAMPLES = Number(process.argv[2] ?? 1000);
const WARMUP = 50;
const NOW = Date.parse("2026-11-22T02:00:00Z");
const BIG = 1_000_000_000;
/** The cards sales go to; the rest of the cache is only there to be large. */
const SALE_CARDS = 10;
const key = randomBytes(32);

interface Case {
  name: string;
  pending: number;
  cards: number;
  /** A refresh of a card never seen before is in flight at each sale (the overlay flushes every 256). */
  refreshInFlight?: boolean;
}

const CASES: Case[] = [
  { name: "0 pending, 10 cards", pending: 0, cards: SALE_CARDS },
  { name: "100 pending, 10 cards", pending: 100, cards: SALE_CARDS },
  { name: "500 pending, 10 cards", pending: 500, cards: SALE_CARDS },
  { name: "0 pending, 10k cards", pending: 0, cards: 10_000 },
  { name: "0 pending, 100k cards", pending: 0, cards: 100_000 },
  { name: "500 pending, 100k cards", pending: 500, cards: 100_000 },
  { name: "100k cards, refresh in flight", pending: 0, cards: 100_000, refreshInFlight: true },
];

const cardId = (i: number) => `ic:${i.toString(16).toUpperCase().padStart(8, "0")}`;

function cachedCard(i: number): CachedCard {
  return sealCard(
    {
      cardId: cardId(i),
      accountId: `A${i}`,
      memberName: "会员",
      cardType: "standard",
      status: "active",
      balance: BIG,
      points: 0,
      includedThrough: 0,
      onlineThrough: 0,
      refreshedAt: NOW,
    },
    key,
  );
}

/** A journal with `n` pending offline sales, sealed and chained as the agent would have. */
function journalWith(n: number): JournalDoc {
  const doc = emptyJournal("T001");
  for (let i = 0; i < n; i++) {
    const entry: JournalEntry = sealEntry(
      {
        terminalId: "T001",
        seq: doc.nextSeq,
        prevHash: doc.headHash,
        txnId: `pre-${i}-${randomBytes(6).toString("hex")}`,
        kind: "sale",
        mode: "offline",
        at: new Date(NOW).toISOString(),
        businessDay: "2026-11-22",
        operatorId: "001",
        cardId: cardId(i % SALE_CARDS),
        gross: 1_000,
        discount: 0,
        net: 1_000,
        bonus: 0,
        pointsEarned: 0,
        balanceAfter: null,
      },
      key,
    );
    doc.pending.push(entry);
    doc.nextSeq += 1;
    doc.headHash = entry.hash;
  }
  doc.lastContactAt = NOW;
  doc.headMac = headMac(doc, key);
  return doc;
}

async function prepare(dir: string, c: Case, memory?: MemoryFs): Promise<void> {
  const cards: CardCacheDoc = { format: 1, cards: {} };
  for (let i = 0; i < c.cards; i++) cards.cards[cardId(i)] = cachedCard(i);
  const write = memory ? async (p: string, text: string) => memory.files.set(p, text) : fsp.writeFile;
  await write(join(dir, "cards.json"), JSON.stringify(cards));
  await write(join(dir, "journal.json"), JSON.stringify(journalWith(c.pending)));
}

/** Files in memory: the same commit without the disk, to show the agent's own CPU share. */
class MemoryFs implements DurableFs {
  readonly files = new Map<string, string>();
  async writeFileSynced(path: string, data: string | Uint8Array): Promise<void> {
    this.files.set(path, typeof data === "string" ? data : Buffer.from(data).toString("utf8"));
  }
  async rename(from: string, to: string): Promise<void> {
    const data = this.files.get(from);
    if (data === undefined) throw new Error(`ENOENT ${from}`);
    this.files.delete(from);
    this.files.set(to, data);
  }
  async fsyncDir(): Promise<void> {}
  async readFile(path: string): Promise<string | null> {
    return this.files.get(path) ?? null;
  }
}

/** The floor: the same bytes count, the same system calls, no JSON and no agent. */
async function floorWrite(dir: string, bytes: Buffer): Promise<number> {
  const tmp = join(dir, ".floor.tmp");
  const t0 = nowMs();
  const fh = await fsp.open(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC, 0o600);
  try {
    await fh.writeFile(bytes);
    await fh.sync();
  } finally {
    await fh.close();
  }
  await fsp.rename(tmp, join(dir, "floor.bin"));
  const dh = await fsp.open(dir, constants.O_RDONLY | constants.O_DIRECTORY);
  try {
    await dh.sync();
  } finally {
    await dh.close();
  }
  return nowMs() - t0;
}

async function runCase(root: string, c: Case, memory?: MemoryFs) {
  const dir = memory ? "/memory" : await fsp.mkdtemp(join(root, "cardterm-bench-"));
  const sizeOf = async (name: string) =>
    memory ? Buffer.byteLength(memory.files.get(join(dir, name)) ?? "") : (await fsp.stat(join(dir, name))).size;
  try {
    await prepare(dir, c, memory);
    const ledger = await TerminalLedger.open({ dataDir: dir, terminalId: "T001", key, fs: memory });
    if (!ledger.checkIntegrity().ok) throw new Error("the prepared journal does not verify");
    const decider = new Decider({
      terminalId: "T001",
      ledger,
      online: { isConnected: () => false, authorise: async () => "timeout" },
      policy: demoPolicy,
      hotlist: () => new Set(),
      now: () => NOW,
      log: silentLogger(),
      settings: {
        offline: {
          enabled: true,
          perTransactionMinor: BIG,
          perCardMinor: BIG,
          perCardCount: 1_000_000,
          terminalMinor: BIG,
          terminalCount: 1_000_000,
          maxOfflineAgeMs: 3600_000,
          allowUnknownCards: false,
        },
        authTimeoutMs: 50,
        timeZone: "Asia/Shanghai",
        language: "en",
      },
    });
    const commit: number[] = [];
    const floor: number[] = [];
    let journalBytes = 0;
    let fresh = c.cards;
    for (let i = 0; i < WARMUP + SAMPLES; i++) {
      const refresh = c.refreshInFlight
        ? ledger.rememberCard(cachedCard(fresh++), { appliedSeq: 0, onlineThrough: 0 }, NOW)
        : undefined;
      const t0 = nowMs();
      const d = await decider.decideSale({
        txnId: `b-${i}`,
        cardId: cardId(i % SALE_CARDS),
        gross: 1_000,
        operatorId: "001",
      });
      const took = nowMs() - t0;
      if (!d.approved) throw new Error(`sale ${i} declined: ${d.code}`);
      await refresh;
      journalBytes = await sizeOf("journal.json");
      const floorTook = memory ? 0 : await floorWrite(dir, Buffer.alloc(journalBytes, 0x7b));
      if (i >= WARMUP) {
        commit.push(took);
        floor.push(floorTook);
      }
      // Hold the pending count: the server has applied the oldest entry.
      const oldest = ledger.pending()[0];
      if (oldest && ledger.pending().length > c.pending) await ledger.acknowledge(oldest.seq, NOW);
    }
    const cardsBytes = await sizeOf("cards.json");
    return { commit: summarize(commit), floor: summarize(floor), journalBytes, cardsBytes };
  } finally {
    if (!memory) await fsp.rm(dir, { recursive: true, force: true });
  }
}

/** How long one flush of 256 overlay cards into a cards.json of `cards` takes (it holds the write lock). */
async function flushCost(root: string, cards: number): Promise<number[]> {
  const dir = await fsp.mkdtemp(join(root, "cardterm-flush-"));
  try {
    await prepare(dir, { name: "", pending: 0, cards });
    const ledger = await TerminalLedger.open({ dataDir: dir, terminalId: "T001", key });
    const times: number[] = [];
    for (let round = 0; round < 5; round++) {
      for (let i = 0; i < 255; i++)
        await ledger.rememberCard(cachedCard(cards + round * 256 + i), { appliedSeq: 0, onlineThrough: 0 }, NOW);
      const t0 = nowMs();
      await ledger.rememberCard(cachedCard(cards + round * 256 + 255), { appliedSeq: 0, onlineThrough: 0 }, NOW);
      times.push(nowMs() - t0);
    }
    return times;
  } finally {
    await fsp.rm(dir, { recursive: true, force: true });
  }
}

function fsName(path: string): string {
  const type = statfsSync(path).type;
  const names: Record<number, string> = {
    61267: "ext2/3/4",
    16914836: "tmpfs",
    1481003842: "xfs",
    2435016766: "btrfs",
  };
  return names[type] ?? `0x${type.toString(16)}`;
}

async function main(): Promise<void> {
  const root = process.env.CARDTERM_BENCH_DIR ?? tmpdir();
  const fs = fsName(root);
  console.log(`commit latency, ${SAMPLES} samples per case after ${WARMUP} warm-up, in ${root} (${fs})`);
  if (fs === "tmpfs") console.log("WARNING: tmpfs ignores fsync; the figures say nothing about durability cost");
  const rows: Record<string, string | number>[] = [];
  for (const c of CASES) {
    const r = await runCase(root, c);
    const cpu = await runCase(root, c, new MemoryFs());
    rows.push({
      case: c.name,
      "journal.json": `${(r.journalBytes / 1024).toFixed(0)} KiB`,
      "cards.json": `${(r.cardsBytes / 1024).toFixed(0)} KiB`,
      median: fmt(r.commit.median),
      p99: fmt(r.commit.p99),
      max: fmt(r.commit.max),
      "floor median": fmt(r.floor.median),
      "floor p99": fmt(r.floor.p99),
      "ratio (median)": (r.commit.median / r.floor.median).toFixed(2),
      "no-disk median": fmt(cpu.commit.median),
      "no-disk p99": fmt(cpu.commit.p99),
    });
  }
  printTable(rows);
  for (const cards of [10_000, 100_000]) {
    const t = summarize(await flushCost(root, cards));
    console.log(
      `overlay flush into cards.json of ${cards} cards (holds the write lock): median ${fmt(t.median)} ms, max ${fmt(t.max)} ms`,
    );
  }
}

await main();
