/**
 * An in-memory disk that models the page cache, for power-loss tests
 * (docs/architecture.md#testing-against-real-components: a file system that loses unsynced
 * writes).
 *
 * The model is POSIX at its least forgiving, not ext4 at its kindest:
 * - a file's data is durable only once that inode was fsynced after the write;
 * - a directory entry (create, rename, unlink) is durable only once the directory was
 *   fsynced — fsyncing the file does not make its name durable;
 * - `crash()` rolls every inode back to its last fsynced data and every directory back
 *   to its last fsynced entries. With `survivors: "random"` some unsynced state survives
 *   instead, as it may on a real disk: each dirty inode keeps its old data, nothing, a
 *   torn prefix or the whole new data, and each directory keeps a prefix of its unsynced
 *   operations (metadata journals commit in order). A correct writer is safe under both.
 *
 * `mount()` hands out a `DurableFs` bound to one "boot": after a crash, the handle of the
 * dead process rejects every call, so its late promises cannot touch the next boot's disk.
 *
 * Files updated in place (`openForUpdate`: pwrite, fdatasync, ftruncate — the journal's
 * log) keep their operations since the last sync: a sync makes them durable on top of
 * what already was, a failed sync drops them from writeback (readers still see them,
 * the disk never will), and a crash with random survivors applies any subset of them,
 * each whole or torn, in any order of success — pages reach the disk out of order.
 *
 * Faults: `failNext(op, errno)` fails the next matching operation once (or `times`);
 * `setCapacity(bytes)` / `fill()` / `free()` model a full disk — a write that does not fit
 * stores what fits and fails with ENOSPC, as write(2) does.
 */
import { posix } from "node:path";
import type { DurableFs, UpdatableFile } from "../../agent/store/durable-file.js";

export type FsOp = "write" | "fsync" | "rename" | "fsyncDir" | "read" | "truncate";

type UpdateOp = { kind: "write"; pos: number; bytes: Uint8Array } | { kind: "truncate"; length: number };

interface Inode {
  id: number;
  data: Uint8Array;
  durable: Uint8Array;
  /** A failed fsync dropped the dirty pages from writeback: a later fsync will not save them. */
  poisoned: boolean;
  /** In-place updates since the last sync; null once the file was rewritten whole (O_TRUNC). */
  updates: UpdateOp[] | null;
}

type DirOp = { kind: "link"; name: string; ino: number } | { kind: "unlink"; name: string };

interface Dir {
  entries: Map<string, number>;
  durable: Map<string, number>;
  /** Operations since the last fsync of this directory, in order. */
  log: DirOp[];
}

interface Fault {
  op: FsOp;
  errno: string;
  skip: number;
  times: number;
  path: RegExp | undefined;
}

export interface CrashOptions {
  survivors?: "none" | "random";
  /** Random numbers in [0, 1) for `survivors: "random"`; pass a seeded one for reproducible runs. */
  random?: () => number;
}

/** A DurableFs with the two extra calls a careless writer would use. */
export interface CrashableHandle extends DurableFs {
  /** write(2) with O_CREAT|O_TRUNC and no fsync: the data sits in the page cache. */
  writeFile(path: string, data: string | Uint8Array): Promise<void>;
  fsyncFile(path: string): Promise<void>;
}

const EMPTY = new Uint8Array(0);

function errnoError(code: string, syscall: string, path: string): NodeJS.ErrnoException {
  const err = new Error(`${code}: ${syscall} '${path}'`) as NodeJS.ErrnoException;
  err.code = code;
  err.syscall = syscall;
  err.path = path;
  return err;
}

export class CrashableDisk {
  private readonly inodes = new Map<number, Inode>();
  private readonly dirs = new Map<string, Dir>();
  private nextIno = 1;
  private boot = 0;
  private faults: Fault[] = [];
  private capacity: number | null = null;
  /** Operations attempted in the current boot, for crash-point sweeps. */
  opCount = 0;
  /** Operations the previous boot attempted after its crash was armed. */
  lastBootOps = 0;
  private armedAt = 0;
  private crashAtOp: { at: number; options: CrashOptions } | null = null;
  crashes = 0;

  /** Create a directory whose own existence is durable (the data dir made at install time). */
  mkdir(dir: string): void {
    if (!this.dirs.has(dir)) this.dirs.set(dir, { entries: new Map(), durable: new Map(), log: [] });
  }

  mount(): CrashableHandle {
    const boot = this.boot;
    const guard = async <T>(op: FsOp, path: string, fn: () => T): Promise<T> => {
      await Promise.resolve();
      if (boot !== this.boot) throw errnoError("EIO", `${op} after crash`, path);
      this.opCount += 1;
      if (this.crashAtOp && this.opCount >= this.crashAtOp.at) {
        this.crash(this.crashAtOp.options);
        throw errnoError("EIO", `${op} after crash`, path);
      }
      this.injected(op, path);
      return fn();
    };
    return {
      writeFileSynced: (path, data) =>
        guard("write", path, () => this.write(path, data)).then(() =>
          guard("fsync", path, () => this.fsyncInode(path)),
        ),
      writeFile: (path, data) => guard("write", path, () => this.write(path, data)),
      fsyncFile: (path) => guard("fsync", path, () => this.fsyncInode(path)),
      rename: (from, to) => guard("rename", from, () => this.rename(from, to)),
      fsyncDir: (dir) => guard("fsyncDir", dir, () => this.fsyncDir(dir)),
      readFile: (path) => guard("read", path, () => this.read(path)),
      openForUpdate: (path) =>
        guard("read", path, () => {
          const ino = this.lookup(path);
          if (ino === undefined) throw errnoError("ENOENT", "open", path);
          const file: UpdatableFile = {
            write: (data, position) => guard("write", path, () => this.pwrite(ino, path, data, position)),
            datasync: () => guard("fsync", path, () => this.syncUpdates(ino, path)),
            truncate: (length) => guard("truncate", path, () => this.ftruncate(ino, length)),
            close: async () => undefined,
          };
          return file;
        }),
    };
  }

  /**
   * Fail calls of `op` with `errno`: the next `times` (default 1) after letting `skip`
   * (default 0) through, counting only paths matching `path` when given.
   */
  failNext(op: FsOp, errno: string, opts: { times?: number; skip?: number; path?: RegExp } = {}): void {
    this.faults.push({ op, errno, skip: opts.skip ?? 0, times: opts.times ?? 1, path: opts.path });
  }

  clearFaults(): void {
    this.faults = [];
  }

  /** Crash (power cut) just before the operation numbered `at` (counting from the next one, 1-based) runs. */
  crashBeforeOp(at: number, options: CrashOptions = {}): void {
    this.armedAt = this.opCount;
    this.crashAtOp = { at: this.opCount + at, options };
  }

  setCapacity(bytes: number | null): void {
    this.capacity = bytes;
  }

  /** The disk is full from now on: no byte more fits. */
  fill(): void {
    this.capacity = this.used();
  }

  free(): void {
    this.capacity = null;
  }

  used(): number {
    let n = 0;
    for (const ino of this.liveInodes()) n += this.inodes.get(ino)!.data.length;
    return n;
  }

  /** Power cut: what was not made durable is lost (or, with `survivors: "random"`, maybe not). */
  crash(options: CrashOptions = {}): void {
    this.boot += 1;
    this.crashes += 1;
    this.crashAtOp = null;
    this.faults = [];
    this.lastBootOps = this.opCount - this.armedAt;
    this.armedAt = 0;
    this.opCount = 0;
    const random = options.random ?? Math.random;
    const keepSome = options.survivors === "random";
    for (const inode of this.inodes.values()) {
      if (inode.updates !== null)
        inode.data = keepSome ? someUpdates(inode.durable, inode.updates, random) : inode.durable;
      else inode.data = keepSome && !inode.poisoned ? survivingData(inode, random) : inode.durable;
      inode.durable = inode.data;
      inode.poisoned = false;
      inode.updates = [];
    }
    for (const dir of this.dirs.values()) {
      const entries = new Map(dir.durable);
      const kept = keepSome ? Math.floor(random() * (dir.log.length + 1)) : 0;
      for (const op of dir.log.slice(0, kept)) {
        if (op.kind === "link") entries.set(op.name, op.ino);
        else entries.delete(op.name);
      }
      dir.entries = entries;
      dir.durable = new Map(entries);
      dir.log = [];
    }
  }

  /** What a reader sees now (page cache), as text; null when the file does not exist. */
  peek(path: string): string | null {
    const ino = this.lookup(path);
    return ino === undefined ? null : Buffer.from(this.inodes.get(ino)!.data).toString("utf8");
  }

  /** Replace a file's content durably, behind the agent's back (tamper tests, fixtures). */
  plant(path: string, text: string): void {
    const { dir, name } = this.dirOf(path);
    let ino = dir.entries.get(name);
    if (ino === undefined) {
      ino = this.newInode();
      dir.entries.set(name, ino);
      dir.durable.set(name, ino);
    }
    const inode = this.inodes.get(ino)!;
    inode.data = Buffer.from(text, "utf8");
    inode.durable = inode.data;
  }

  private injected(op: FsOp, path: string): void {
    const fault = this.faults.find((f) => f.op === op && (!f.path || f.path.test(path)));
    if (!fault) return;
    if (fault.skip > 0) {
      fault.skip -= 1;
      return;
    }
    fault.times -= 1;
    if (fault.times <= 0) this.faults = this.faults.filter((f) => f !== fault);
    if (op === "fsync") this.failFsync(path);
    throw errnoError(fault.errno, op, path);
  }

  /**
   * Linux after a failed fsync ("fsyncgate"): readers still see the new data, but the dirty
   * pages were dropped from writeback, so retrying fsync reports success and saves nothing.
   * Only rewriting the data makes it durable again.
   */
  private failFsync(path: string): void {
    const ino = this.lookup(path);
    if (ino === undefined) return;
    const inode = this.inodes.get(ino)!;
    if (inode.updates !== null)
      inode.updates = []; // dropped from writeback: never durable
    else inode.poisoned = true;
  }

  private write(path: string, data: string | Uint8Array): void {
    const { dir, name } = this.dirOf(path);
    let ino = dir.entries.get(name);
    if (ino === undefined) {
      ino = this.newInode();
      dir.entries.set(name, ino);
      dir.log.push({ kind: "link", name, ino });
    }
    const inode = this.inodes.get(ino)!;
    const bytes = typeof data === "string" ? Buffer.from(data, "utf8") : data;
    inode.data = EMPTY; // O_TRUNC
    inode.poisoned = false;
    inode.updates = null;
    const room = this.capacity === null ? bytes.length : Math.max(0, this.capacity - this.used());
    inode.data = Uint8Array.from(bytes.subarray(0, Math.min(room, bytes.length)));
    if (room < bytes.length) throw errnoError("ENOSPC", "write", path);
  }

  private fsyncInode(path: string): void {
    const ino = this.lookup(path);
    if (ino === undefined) throw errnoError("ENOENT", "fsync", path);
    this.syncUpdates(ino, path);
  }

  private syncUpdates(ino: number, _path: string): void {
    const inode = this.inodes.get(ino)!;
    if (inode.updates !== null) {
      for (const op of inode.updates) inode.durable = applyUpdate(inode.durable, op);
      inode.updates = [];
    } else if (!inode.poisoned) {
      inode.durable = inode.data;
      inode.updates = [];
    }
  }

  /** pwrite(2): stores what fits, then fails with ENOSPC when the disk is full. */
  private pwrite(ino: number, path: string, bytes: Uint8Array, position: number): void {
    const inode = this.inodes.get(ino)!;
    const growth = Math.max(0, position + bytes.length - inode.data.length);
    const room = this.capacity === null ? growth : Math.max(0, this.capacity - this.used());
    const fits = growth <= room ? bytes : bytes.subarray(0, bytes.length - (growth - room));
    const op: UpdateOp = { kind: "write", pos: position, bytes: Uint8Array.from(fits) };
    inode.data = applyUpdate(inode.data, op);
    inode.updates?.push(op);
    if (fits.length < bytes.length) throw errnoError("ENOSPC", "write", path);
  }

  private ftruncate(ino: number, length: number): void {
    const inode = this.inodes.get(ino)!;
    const op: UpdateOp = { kind: "truncate", length };
    inode.data = applyUpdate(inode.data, op);
    inode.updates?.push(op);
  }

  private rename(from: string, to: string): void {
    const src = this.dirOf(from);
    const dst = this.dirOf(to);
    const ino = src.dir.entries.get(src.name);
    if (ino === undefined) throw errnoError("ENOENT", "rename", from);
    src.dir.entries.delete(src.name);
    src.dir.log.push({ kind: "unlink", name: src.name });
    dst.dir.entries.set(dst.name, ino);
    dst.dir.log.push({ kind: "link", name: dst.name, ino });
  }

  private fsyncDir(path: string): void {
    const dir = this.dirs.get(path);
    if (!dir) throw errnoError("ENOENT", "fsync", path);
    dir.durable = new Map(dir.entries);
    dir.log = [];
  }

  private read(path: string): string | null {
    return this.peek(path);
  }

  private lookup(path: string): number | undefined {
    const dir = this.dirs.get(posix.dirname(path));
    return dir?.entries.get(posix.basename(path));
  }

  private dirOf(path: string): { dir: Dir; name: string } {
    const dirPath = posix.dirname(path);
    const dir = this.dirs.get(dirPath);
    if (!dir) throw errnoError("ENOENT", "open", path);
    return { dir, name: posix.basename(path) };
  }

  private newInode(): number {
    const id = this.nextIno++;
    this.inodes.set(id, { id, data: EMPTY, durable: EMPTY, poisoned: false, updates: [] });
    return id;
  }

  private liveInodes(): Set<number> {
    const live = new Set<number>();
    for (const dir of this.dirs.values()) for (const ino of dir.entries.values()) live.add(ino);
    return live;
  }
}

function applyUpdate(data: Uint8Array, op: UpdateOp): Uint8Array {
  if (op.kind === "truncate") {
    const out = new Uint8Array(op.length);
    out.set(data.subarray(0, op.length));
    return out;
  }
  const out = new Uint8Array(Math.max(data.length, op.pos + op.bytes.length));
  out.set(data);
  out.set(op.bytes, op.pos);
  return out;
}

/** After a crash: the durable image with any of the unsynced updates, each kept, lost or torn. */
function someUpdates(durable: Uint8Array, updates: UpdateOp[], random: () => number): Uint8Array {
  let data = durable;
  for (const op of updates) {
    const r = random();
    if (r < 0.4) continue;
    if (op.kind === "write" && r < 0.6) {
      data = applyUpdate(data, { ...op, bytes: op.bytes.subarray(0, Math.floor(random() * op.bytes.length)) });
    } else data = applyUpdate(data, op);
  }
  return data;
}

function survivingData(inode: Inode, random: () => number): Uint8Array {
  if (inode.data === inode.durable) return inode.durable;
  const r = random();
  if (r < 0.25) return inode.durable;
  if (r < 0.5) return EMPTY;
  if (r < 0.75) return inode.data.subarray(0, Math.floor(random() * inode.data.length));
  return inode.data;
}

/**
 * Writers that skip a sync, to prove the power-loss tests have teeth: each acknowledges a
 * write that the shim can lose at a crash.
 */
export function careless(handle: CrashableHandle, skip: "all-syncs" | "file-sync" | "dir-sync"): DurableFs {
  const syncFile = skip === "dir-sync";
  const syncDir = skip === "file-sync";
  return {
    writeFileSynced: (p, d) => (syncFile ? handle.writeFileSynced(p, d) : handle.writeFile(p, d)),
    rename: (from, to) => handle.rename(from, to),
    fsyncDir: async (dir) => (syncDir ? handle.fsyncDir(dir) : undefined),
    readFile: (p) => handle.readFile(p),
    openForUpdate: async (p) => {
      const file = await handle.openForUpdate(p);
      return syncFile ? file : { ...file, datasync: async () => undefined };
    },
  };
}
