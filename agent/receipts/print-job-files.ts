/**
 * The print queue's files: one JSON file per receipt job under `<dataDir>/print-queue/`,
 * written durably (writeDurably). An unreadable file is never dropped silently: it is
 * renamed `.corrupt` for a person to look at.
 */
import { promises as fsp } from "node:fs";
import { join } from "node:path";
import { previewFileStem } from "../../drivers/printer/preview-printer.js";
import { type DurableFs, writeDurably } from "../store/durable-file.js";
import type { QueueLog, StoredJob } from "./print-job.js";

export class PrintJobFiles {
  constructor(
    private readonly dir: string,
    private readonly fs: DurableFs,
    private readonly log: QueueLog | undefined,
  ) {}

  private path(id: string): string {
    return join(this.dir, `${previewFileStem(id)}.json`);
  }

  /** Write the job durably; false (logged) when the disk refuses — the job stays in memory. */
  async save(job: StoredJob): Promise<boolean> {
    try {
      await writeDurably(this.fs, this.path(job.id), JSON.stringify(job));
      return true;
    } catch (err) {
      this.log?.error({ job: job.id, err: (err as Error).message }, "receipt job not stored durably");
      return false;
    }
  }

  /** Every readable job in the directory (created, and its parent synced, when new). */
  async loadAll(): Promise<StoredJob[]> {
    const created = await fsp.mkdir(this.dir, { recursive: true });
    if (created !== undefined) await this.fs.fsyncDir(join(this.dir, ".."));
    const jobs: StoredJob[] = [];
    for (const name of (await fsp.readdir(this.dir)).sort()) {
      if (!name.endsWith(".json") || name.startsWith(".")) continue;
      const job = await this.read(join(this.dir, name));
      if (job) jobs.push(job);
    }
    return jobs;
  }

  async remove(id: string): Promise<void> {
    await fsp.rm(this.path(id), { force: true }).catch(() => undefined);
  }

  private async read(path: string): Promise<StoredJob | null> {
    try {
      const job = JSON.parse((await this.fs.readFile(path)) ?? "null") as StoredJob | null;
      if (job && job.v === 1 && typeof job.id === "string" && typeof job.n === "number" && job.request) return job;
      throw new Error("not a receipt job");
    } catch (err) {
      this.log?.error({ file: path, err: (err as Error).message }, "unreadable receipt job set aside");
      await fsp.rename(path, `${path}.corrupt`).catch(() => undefined);
      return null;
    }
  }
}
