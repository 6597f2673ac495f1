/**
 * An exclusive lock on a PGlite data directory. PGlite happily opens a directory that
 * another process has open, and two writers corrupt it — so `cardterm-hq card` run
 * beside a running server must be refused, not allowed to scribble. A lock whose
 * process is gone (kill -9) is taken over.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { CardtermError } from "../../protocol/errors.js";

const LOCK_FILE = "cardterm-hq.lock";

/** Takes the lock; returns its release function. */
export function lockDataDir(dataDir: string): () => void {
  mkdirSync(dataDir, { recursive: true });
  const path = join(dataDir, LOCK_FILE);
  if (!tryCreate(path)) {
    const holder = Number.parseInt(readFileSync(path, "utf8"), 10);
    if (isAlive(holder)) {
      throw new CardtermError(
        "CT_STORE_WRITE_FAILED",
        `data directory ${dataDir} is in use by process ${holder}; stop it first (lock file ${path})`,
      );
    }
    rmSync(path, { force: true });
    if (!tryCreate(path)) throw new CardtermError("CT_STORE_WRITE_FAILED", `could not take the lock ${path}`);
  }
  let released = false;
  return () => {
    if (released) return;
    released = true;
    rmSync(path, { force: true });
  };
}

function tryCreate(path: string): boolean {
  try {
    writeFileSync(path, String(process.pid), { flag: "wx" });
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "EEXIST") return false;
    throw err;
  }
}

function isAlive(pid: number): boolean {
  if (!Number.isSafeInteger(pid) || pid <= 0 || pid === process.pid) return pid === process.pid;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}
