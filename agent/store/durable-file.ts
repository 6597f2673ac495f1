/**
 * Durable whole-file writes: write a temp file, fsync it, rename it over the target, fsync the
 * directory (docs/architecture.md#the-journal). After `writeDurably` resolves, the new content
 * survives a power cut; before, either the old or the new content is there, never a mix.
 *
 * The file system is injected (`DurableFs`) so a test shim can lose unsynced writes at a
 * simulated crash and prove the writer's fsyncs are the ones that matter.
 */
import { constants, promises as fsp } from "node:fs";
import { basename, dirname, join } from "node:path";
import { CardtermError } from "../../protocol/errors.js";
import { crashPoint } from "../faults/crash-points.js";

export interface DurableFs {
  writeFileSynced(path: string, data: string | Uint8Array): Promise<void>;
  rename(from: string, to: string): Promise<void>;
  fsyncDir(dir: string): Promise<void>;
  readFile(path: string): Promise<string | null>;
  /** Open an existing file for writes at explicit offsets (the journal's append-only log). */
  openForUpdate(path: string): Promise<UpdatableFile>;
}

/**
 * A file written in place: pwrite(2) at an offset, fdatasync(2), ftruncate(2). Data is
 * durable only after `datasync` resolves; the file must already exist with a durable
 * name (created through `writeDurably`), so no directory fsync is ever needed here.
 */
export interface UpdatableFile {
  write(data: Uint8Array, position: number): Promise<void>;
  datasync(): Promise<void>;
  truncate(length: number): Promise<void>;
  close(): Promise<void>;
}

export const nodeDurableFs: DurableFs = {
  async writeFileSynced(path, data) {
    const fh = await fsp.open(path, constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC, 0o600);
    try {
      await fh.writeFile(data);
      await fh.sync();
    } finally {
      await fh.close();
    }
  },
  rename: (from, to) => fsp.rename(from, to),
  async fsyncDir(dir) {
    const fh = await fsp.open(dir, constants.O_RDONLY | constants.O_DIRECTORY);
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
  },
  async readFile(path) {
    try {
      return await fsp.readFile(path, "utf8");
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return null;
      throw err;
    }
  },
  async openForUpdate(path) {
    // Not O_APPEND: Linux ignores the offset of pwrite(2) on such a file, and the log
    // writes both its tail and its attestation slots at the start.
    const fh = await fsp.open(path, constants.O_RDWR);
    return {
      async write(data, position) {
        let done = 0;
        while (done < data.length) {
          const { bytesWritten } = await fh.write(data, done, data.length - done, position + done);
          done += bytesWritten;
        }
      },
      datasync: () => fh.datasync(),
      truncate: (length) => fh.truncate(length),
      close: () => fh.close(),
    };
  },
};

/**
 * Throws CT_STORE_WRITE_FAILED; `details.renamed` says whether the new content may
 * already be in place (the failure came at the directory fsync, after the rename).
 */
export async function writeDurably(fs: DurableFs, path: string, data: string | Uint8Array): Promise<void> {
  const tmp = join(dirname(path), `.${basename(path)}.tmp`);
  let renamed = false;
  try {
    await fs.writeFileSynced(tmp, data);
    crashPoint("store:temp-written");
    await fs.rename(tmp, path);
    renamed = true;
    crashPoint("store:renamed");
    await fs.fsyncDir(dirname(path));
    crashPoint("store:dir-synced");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? "EIO";
    throw new CardtermError("CT_STORE_WRITE_FAILED", `could not write ${path} durably (${code})`, {
      cause: err,
      details: { renamed },
    });
  }
}
