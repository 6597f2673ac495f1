/**
 * The disk's row: free space on the file system that holds the data dir (journal, card cache,
 * print queue), and that the data dir takes a durable write — a probe file written, fsynced and
 * removed, as the journal writes (docs/architecture.md#the-journal). No approval is given
 * without a durable record, so a full or read-only disk stops the till.
 */
import { constants } from "node:fs";
import { access, open, rm, statfs } from "node:fs/promises";
import { dirname, join } from "node:path";
import type { CheckContext, DoctorCheck, Finding } from "./doctor-row.js";
import { sayIn } from "./doctor-row.js";

export const DISK_LIMITS = { warnBytes: 500 * 2 ** 20, failBytes: 100 * 2 ** 20 };

export interface DiskFs {
  /** Bytes an unprivileged user may still write on the file system holding `path`. */
  freeBytes(path: string): Promise<number>;
  exists(path: string): Promise<boolean>;
  /** Write, fsync and remove a small file in `dir`; rejects on any failure. */
  probeWrite(dir: string): Promise<void>;
}

export interface DiskCheckOptions {
  dataDir: string;
  label: string;
  limits?: { warnBytes: number; failBytes: number };
  fs?: DiskFs;
}

export function diskCheck(o: DiskCheckOptions): DoctorCheck {
  return { check: "disk", label: o.label, via: "direct", run: (ctx) => run(o, ctx) };
}

async function run(o: DiskCheckOptions, ctx: CheckContext): Promise<Finding> {
  const say = sayIn(ctx.lang);
  const fs = o.fs ?? nodeDiskFs;
  const limits = o.limits ?? DISK_LIMITS;
  const exists = await fs.exists(o.dataDir);
  // Before the agent's first start the data dir is not there yet: judge where it will be made.
  const where = exists ? o.dataDir : await nearestExisting(o.dataDir, fs);
  const free = await fs.freeBytes(where);
  const space = say(`${o.dataDir} 剩余 ${mb(free)}`, `${mb(free)} free for ${o.dataDir}`);
  try {
    await fs.probeWrite(where);
  } catch (err) {
    return {
      verdict: "FAIL",
      via: "direct",
      code: "CT_STORE_WRITE_FAILED",
      detail: `${space}; ${say(`无法写入 ${where}`, `cannot write to ${where}`)}: ${(err as Error).message}`,
      fix: say(
        `把目录交给代理用户：chown -R cardterm: ${o.dataDir}；若磁盘为只读，检查磁盘（dmesg）`,
        `give the directory to the agent's user: chown -R cardterm: ${o.dataDir}; if the disk is read-only, check it (dmesg)`,
      ),
    };
  }
  const notYet = exists
    ? ""
    : say(
        "；数据目录尚未创建（代理首次启动时创建）",
        "; the data dir does not exist yet (the agent makes it at its first start)",
      );
  const detail = `${space}${notYet}`;
  const fix = say(
    "清理空间：journalctl --vacuum-size=100M，/tmp 和小票预览目录中的旧文件；用 df -h 查看。切勿删除交易日志文件",
    "free space: journalctl --vacuum-size=100M, old files in /tmp and the receipt preview directory; df -h shows what is left. Never delete the journal files",
  );
  if (free < limits.failBytes)
    return {
      verdict: "FAIL",
      via: "direct",
      code: "CT_DISK_LOW",
      detail: `${detail} (< ${mb(limits.failBytes)})`,
      fix,
    };
  if (free < limits.warnBytes)
    return {
      verdict: "WARN",
      via: "direct",
      code: "CT_DISK_LOW",
      detail: `${detail} (< ${mb(limits.warnBytes)})`,
      fix,
    };
  return { verdict: "PASS", via: "direct", detail: `${detail}${say("；可写入（已 fsync）", "; writable (fsynced)")}` };
}

async function nearestExisting(path: string, fs: DiskFs): Promise<string> {
  let p = dirname(path);
  while (!(await fs.exists(p)) && dirname(p) !== p) p = dirname(p);
  return p;
}

function mb(bytes: number): string {
  return bytes >= 10 * 2 ** 30 ? `${Math.round(bytes / 2 ** 30)} GB` : `${Math.round(bytes / 2 ** 20)} MB`;
}

export const nodeDiskFs: DiskFs = {
  async freeBytes(path) {
    const s = await statfs(path);
    return s.bavail * s.bsize;
  },
  exists: (path) =>
    access(path, constants.F_OK).then(
      () => true,
      () => false,
    ),
  async probeWrite(dir) {
    const file = join(dir, `.cardterm-doctor-${process.pid}`);
    const fh = await open(file, "w");
    try {
      await fh.writeFile("cardterm doctor write probe\n");
      await fh.sync();
    } finally {
      await fh.close();
      await rm(file, { force: true });
    }
  },
};
