/**
 * Commit latency (bench/README.md, "Commit latency"): an offline sale decided and made durable
 * (rules + seal + one line appended to journal.log and fdatasync'ed), with 0, 100 and 500
 * pending entries and with 10k and 100k cards cached — beside two floors measured in the same
 * run, interleaved sample by sample through Node's promise API:
 * - the floor: a file of the size of journal.log at that moment written with
 *   write + fsync + rename + directory fsync (what a whole-document commit costs);
 * - the append floor: a line of the entry's size written at the end of an open file and
 *   fdatasync'ed, with no JSON and no agent — the least a durable commit can cost.
 *
 *   npx tsx bench/commit-latency.ts [samples]
 *
 * The number of pending entries is held steady: after each sample the oldest entry is
 * acknowledged and the idle attestation is let finish (both untimed: they happen between
 * sales). Each case runs once more on files held in memory ("no-disk"): the agent's own
 * CPU share of a commit. Run it on a disk-backed directory (ext4 here): on tmpfs fsync
 * costs nothing and the floors mean nothing. CARDTERM_BENCH_DIR overrides os.tmpdir().
 */
import { randomBytes } from "node:crypto";
import { constants, promises as fsp, statfsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { CachedCard, CardCacheDoc, LegacyJournalDoc } from "../agent/journal/journal-state.js";
import { emptyJournal } from "../agent/journal/journal-state.js";
import { legacyHeadMac, sealCard } from "../agent/journal/seals.js";
import { TerminalLedger } from "../agent/journal/terminal-ledger.js";
import { silentLogger } from "../agent/logger.js";
import { Decider } from "../agent/sale/decider.js";
import type { DurableFs, UpdatableFile } from "../agent/store/durable-file.js";
import { type JournalEntry, sealEntry } from "../protocol/journal-entry.js";
import { demoPolicy } from "../rules/policy.js";
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

const ALL_CASES: Case[] = [
  { name: "0 pending, 10 cards", pending: 0, cards: SALE_CARDS },
  { name: "100 pending, 10 cards", pending: 100, cards: SALE_CARDS },
  { name: "500 pending, 10 cards", pending: 500, cards: SALE_CARDS },
  { name: "0 pending, 10k cards", pending: 0, cards: 10_000 },
  { name: "0 pending, 100k cards", pending: 0, cards: 100_000 },
  { name: "500 pending, 100k cards", pending: 500, cards: 100_000 },
  { name: "100k cards, refresh in flight", pending: 0, cards: 100_000, refreshInFlight: true },
];

/** `npx tsx bench/commit-latency.ts 1000 "refresh"`: only the cases whose name contains "refresh". */
const ONLY = process.argv[3];
const CASES = ONLY ? ALL_CASES.filter((c) => c.name.includes(ONLY)) : ALL_CASES;

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

/**
 * A journal with `n` pending offline sales, sealed and chained as the agent would have,
 * in the format-1 document the ledger migrates into journal.log when it opens.
 */
function journalWith(n: number): LegacyJournalDoc {
  const doc: LegacyJournalDoc = { ...emptyJournal("T001"), format: 1 };
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
  doc.headMac = legacyHeadMac(doc, key);
  return doc;
}

async function prepare(dir: string, c: Case, memory?: MemoryFs): Promise<void> {
  const cards: CardCacheDoc = { format: 1, cards: {} };
  for (let i = 0; i < c.cards; i++) cards.cards[cardId(i)] = cachedCard(i);
  const write = memory ? async (p: string, text: string) => memory.set(p, text) : fsp.writeFile;
  await write(join(dir, "cards.json"), JSON.stringify(cards));
  await write(join(dir, "journal.json"), JSON.stringify(journalWith(c.pending)));
}

/** Files in memory: the same commit without the disk, to show the agent's own CPU share. */
class MemoryFs implements DurableFs {
  private readonly data = new Map<string, { bytes: Buffer; length: number }>();
  set(path: string, text: string): void {
    const bytes = Buffer.from(text, "utf8");
    this.data.set(path, { bytes, length: bytes.length });
  }
  size(path: string): number {
    return this.data.get(path)?.length ?? 0;
  }
  async writeFileSynced(path: string, data: string | Uint8Array): Promise<void> {
    const bytes = typeof data === "string" ? Buffer.from(data, "utf8") : Buffer.from(data);
    this.data.set(path, { bytes, length: bytes.length });
  }
  async rename(from: string, to: string): Promise<void> {
    const file = this.data.get(from);
    if (file === undefined) throw new Error(`ENOENT ${from}`);
    this.data.delete(from);
    this.data.set(to, file);
  }
  async fsyncDir(): Promise<void> {}
  async readFile(path: string): Promise<string | null> {
    const file = this.data.get(path);
    return file ? file.bytes.subarray(0, file.length).toString("utf8") : null;
  }
  async openForUpdate(path: string): Promise<UpdatableFile> {
    const file = this.data.get(path);
    if (!file) throw new Error(`ENOENT ${path}`);
    return {
      // A growable buffer, as the page cache is: no copy of the whole file per append.
      async write(data, position) {
        const end = position + data.length;
        if (end > file.bytes.length) {
          const grown = Buffer.alloc(Math.max(end, file.bytes.length * 2));
          file.bytes.copy(grown, 0, 0, file.length);
          file.bytes = grown;
        }
        file.bytes.set(data, position);
        file.length = Math.max(file.length, end);
      },
      async datasync() {},
      async truncate(length) {
        file.length = length;
      },
      async close() {},
    };
  }
}

/**
 * The append floor: one line of an entry's size written at the end of an open file and
 * fdatasync'ed — the least a durable commit can cost on this disk.
 */
async function floorAppend(fh: fsp.FileHandle, offset: number, line: Buffer): Promise<number> {
  const t0 = nowMs();
  await fh.write(line, 0, line.length, offset);
  await fh.datasync();
  return nowMs() - t0;
}

/** The whole-file floor (the issue's): the journal's bytes written, fsynced, renamed, directory fsynced. */
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
    memory ? memory.size(join(dir, name)) : (await fsp.stat(join(dir, name))).size;
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
    const append: number[] = [];
    let journalBytes = 0;
    const appendFile = memory ? undefined : await fsp.open(join(dir, "floor-append.bin"), "w+");
    let appendAt = 0;
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
      // The idle attestation (two slot syncs) runs once no sale waits: untimed, like the ack.
      await ledger.settled();
      const lineBytes = Buffer.byteLength(`${JSON.stringify(d.entry)}\n`);
      // What a whole-document commit would write: every pending entry (acknowledged lines
      // wait in journal.log for compaction, but are not the outbox).
      journalBytes = ledger.pending().reduce((n, e) => n + Buffer.byteLength(`${JSON.stringify(e)}\n`), 0);
      const floorTook = memory ? 0 : await floorWrite(dir, Buffer.alloc(journalBytes, 0x7b));
      const appendTook = appendFile ? await floorAppend(appendFile, appendAt, Buffer.alloc(lineBytes, 0x7b)) : 0;
      appendAt += lineBytes;
      if (i >= WARMUP) {
        commit.push(took);
        floor.push(floorTook);
        append.push(appendTook);
      }
      // Hold the pending count: the server has applied the oldest entry.
      const oldest = ledger.pending()[0];
      if (oldest && ledger.pending().length > c.pending) await ledger.acknowledge(oldest.seq, NOW);
    }
    const cardsBytes = await sizeOf("cards.json");
    await appendFile?.close();
    await ledger.close();
    return { commit: summarize(commit), floor: summarize(floor), append: summarize(append), journalBytes, cardsBytes };
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
    await ledger.close();
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
      outbox: `${(r.journalBytes / 1024).toFixed(0)} KiB`,
      "cards.json": `${(r.cardsBytes / 1024).toFixed(0)} KiB`,
      median: fmt(r.commit.median),
      p99: fmt(r.commit.p99),
      max: fmt(r.commit.max),
      "floor median": fmt(r.floor.median),
      "floor p99": fmt(r.floor.p99),
      ratio: (r.commit.median / r.floor.median).toFixed(2),
      "append floor median": fmt(r.append.median),
      "append floor p99": fmt(r.append.p99),
      "ratio to append": (r.commit.median / r.append.median).toFixed(2),
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
