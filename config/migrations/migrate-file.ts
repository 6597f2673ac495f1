/**
 * `cardterm config migrate FILE`: rewrite a config file in the current format, keeping the
 * original as FILE.bak-vN. Both writes are durable (temp file, fsync, rename, directory
 * fsync), and the backup is on disk before the file is replaced: a power cut at any point
 * leaves either the old file or the new one, and the old one is never lost.
 *
 * The backup gets the original's mode and owner, because a config may hold a secret.
 */
import { constants } from "node:fs";
import { access, open, readFile, realpath, rename, stat, unlink } from "node:fs/promises";
import { dirname } from "node:path";
import { bringUpToDate, checkVersion } from "../config-version.js";
import { refuse } from "../refuse.js";
import { readYaml } from "../yaml-source.js";
import { type ConfigMigration, latestVersion } from "./index.js";
import { migrateDocument } from "./migration.js";

export interface MigrateFileResult {
  /** The real file rewritten (symlinks followed), or the one named when nothing changed. */
  file: string;
  from: number;
  to: number;
  applied: readonly ConfigMigration[];
  /** The backup written, or undefined when the file was already current (or a dry run). */
  backup?: string;
  /** The file's new text (also for a dry run). */
  text: string;
}

export interface MigrateFileOptions {
  steps: readonly ConfigMigration[];
  /** Print instead of writing. */
  dryRun?: boolean;
  /** For the backup's name when FILE.bak-vN already exists. */
  now?: () => Date;
}

export async function migrateConfigFile(named: string, opts: MigrateFileOptions): Promise<MigrateFileResult> {
  const file = await realpath(named);
  const original = await readFile(file, "utf8");
  const src = readYaml(original, named);
  if (src.syntaxProblems.length > 0) refuse("CT_CONFIG_YAML", named, src.syntaxProblems);
  const from = checkVersion(src, opts.steps);
  const to = latestVersion(opts.steps);
  if (from === to) return { file, from, to, applied: [], text: original };
  const migrated = migrateDocument(src.doc, from, opts.steps);
  const text = migrated.doc.toString({ lineWidth: 0 });
  bringUpToDate(readYaml(text, named), opts.steps); // the result must read as current; throws if a step is wrong
  if (opts.dryRun) return { file, from, to, applied: migrated.applied, text };
  const info = await stat(file);
  const backup = await backupName(file, from, opts.now ?? (() => new Date()));
  await writeDurably(backup, original, info);
  await writeDurably(file, text, info);
  return { file, from, to, applied: migrated.applied, backup, text };
}

/** FILE.bak-v1, or FILE.bak-v1-20250101T120000 when an earlier migration left one. */
async function backupName(file: string, from: number, now: () => Date): Promise<string> {
  const plain = `${file}.bak-v${from}`;
  if (!(await exists(plain))) return plain;
  const stamp = now().toISOString().replace(/[-:]/g, "").replace(/\..*$/, "");
  return `${plain}-${stamp}`;
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path, constants.F_OK);
    return true;
  } catch {
    return false;
  }
}

async function writeDurably(path: string, text: string, like: { mode: number; uid: number; gid: number }) {
  const tmp = `${path}.tmp-${process.pid}`;
  const fh = await open(tmp, "w", like.mode & 0o7777);
  try {
    await fh.writeFile(text, "utf8");
    await fh.chmod(like.mode & 0o7777); // the umask may have taken bits away
    await fh.chown(like.uid, like.gid).catch(() => undefined); // only root can; others own what they write
    await fh.sync();
  } catch (err) {
    await fh.close();
    await unlink(tmp).catch(() => undefined);
    throw err;
  }
  await fh.close();
  await rename(tmp, path);
  const dir = await open(dirname(path), "r");
  try {
    await dir.sync();
  } finally {
    await dir.close();
  }
}
