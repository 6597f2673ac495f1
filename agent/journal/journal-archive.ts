/**
 * Acknowledged journal entries, kept on the box by business day for the daily close and
 * for the technician (`cardterm journal list/export`), and pruned after `keepDays`.
 *
 * One JSON line per entry in `archive/<YYYY-MM-DD>.jsonl`, appended and fsynced before
 * the entries leave the pending journal. A crash between the two appends the same
 * entries again on the next ack; readers keep the first copy of each sequence number.
 */
import { constants, promises as fsp } from "node:fs";
import { join } from "node:path";
import type { JournalEntry } from "../../protocol/journal-entry.js";

async function fsyncDir(dir: string): Promise<void> {
  const fh = await fsp.open(dir, constants.O_RDONLY | constants.O_DIRECTORY);
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

const DAY_FILE = /^(\d{4}-\d\d-\d\d)\.jsonl$/;

export class JournalArchive {
  constructor(
    private readonly dir: string,
    private readonly keepDays: number,
  ) {}

  async append(entries: readonly JournalEntry[]): Promise<void> {
    if (entries.length === 0) return;
    await fsp.mkdir(this.dir, { recursive: true });
    const byDay = new Map<string, JournalEntry[]>();
    for (const e of entries) byDay.set(e.businessDay, [...(byDay.get(e.businessDay) ?? []), e]);
    for (const [day, list] of byDay) {
      const path = join(this.dir, `${day}.jsonl`);
      const isNew = await fsp.stat(path).then(
        () => false,
        () => true,
      );
      const fh = await fsp.open(path, constants.O_WRONLY | constants.O_CREAT | constants.O_APPEND, 0o600);
      try {
        await fh.writeFile(list.map((e) => `${JSON.stringify(e)}\n`).join(""));
        await fh.sync();
      } finally {
        await fh.close();
      }
      // A new day's file survives a power cut only once its directory entry is synced.
      if (isNew) await fsyncDir(this.dir);
    }
  }

  /** Business days held, oldest first. */
  async days(): Promise<string[]> {
    const names = await fsp.readdir(this.dir).catch(() => [] as string[]);
    return names
      .map((n) => DAY_FILE.exec(n)?.[1])
      .filter((d): d is string => d !== undefined)
      .sort();
  }

  /** Entries of the given days (all when omitted), in sequence order, each sequence once. */
  async read(days?: readonly string[]): Promise<JournalEntry[]> {
    const bySeq = new Map<number, JournalEntry>();
    for (const day of days ?? (await this.days())) {
      const text = await fsp.readFile(join(this.dir, `${day}.jsonl`), "utf8").catch(() => "");
      for (const line of text.split("\n")) {
        if (!line.trim()) continue;
        try {
          const e = JSON.parse(line) as JournalEntry;
          if (!bySeq.has(e.seq)) bySeq.set(e.seq, e);
        } catch {
          // A torn last line from a crash mid-append: the entries are re-appended on the next ack.
        }
      }
    }
    return [...bySeq.values()].sort((a, b) => a.seq - b.seq);
  }

  /** Remove days older than `keepDays` before `today`. Returns the days removed. */
  async prune(today: string): Promise<string[]> {
    const cutoff = new Date(`${today}T00:00:00Z`).getTime() - this.keepDays * 86_400_000;
    const old = (await this.days()).filter((d) => new Date(`${d}T00:00:00Z`).getTime() < cutoff);
    for (const d of old) await fsp.rm(join(this.dir, `${d}.jsonl`), { force: true });
    return old;
  }
}
