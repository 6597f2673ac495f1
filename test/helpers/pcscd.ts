/**
 * The machine's pcscd with vpcd's two virtual readers
 * (docs/architecture.md#testing-against-real-components). One pcscd serves the whole box, so
 * this helper shares a running one and starts its own (`pcscd --foreground`, as root) only when
 * none answers; it stops only what it started, by pid. `kill()` and `restart()` are the fault
 * the PC/SC driver must survive.
 *
 * Test files using vpcd hold `lockVpcd()` for their whole run: one run at a time per box.
 *
 * Readiness is checked without touching vpcd's ports by connecting (a connection to
 * 35963 *is* a card insert): the client socket must accept a connection and both vpcd
 * ports must be listening in /proc/net/tcp.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, promises as fs, rmSync } from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";

export const PCSCD_BIN = "/usr/sbin/pcscd";
export const PCSCD_DIR = "/run/pcscd";
export const PCSCD_SOCKET = `${PCSCD_DIR}/pcscd.comm`;
const PCSCD_PID_FILE = `${PCSCD_DIR}/pcscd.pid`;
const VPCD_DRIVER = "/usr/lib/pcsc/drivers/serial/libifdvpcd.so";
const VPCD_CONF = "/etc/reader.conf.d/vpcd";
const VPCD_PORTS = [35963, 35964];
const READY_TIMEOUT_MS = 10_000;
const STOP_TIMEOUT_MS = 3_000;

export interface Pcscd {
  /** The running pcscd's pid, or -1 while killed. */
  readonly pid: number;
  /** True when this helper started it (and will stop it). */
  readonly owned: boolean;
  /** SIGKILL pcscd (as a crash would) and wait for it to be gone. */
  kill(): Promise<void>;
  /** Bring pcscd back (cleaning the stale pid and socket files) and wait until it is ready. */
  restart(): Promise<void>;
  /** Stop it if this helper started it; safe to call twice. */
  stop(): Promise<void>;
}

const started = new Set<ChildProcess>();
process.once("exit", () => {
  for (const child of started) child.kill("SIGKILL");
});

/** Why the PC/SC integration tests cannot run on this host, or undefined when they can. */
export async function pcscSkipReason(): Promise<string | undefined> {
  if (!existsSync(PCSCD_BIN)) return `${PCSCD_BIN} is missing (apt-get install pcscd)`;
  if (!existsSync(VPCD_DRIVER) || !existsSync(VPCD_CONF)) return "vpcd is missing (apt-get install vsmartcard-vpcd)";
  try {
    await import("nfc-pcsc");
  } catch (err) {
    return `nfc-pcsc is not installed or its native module is not built (${(err as Error).message.split("\n")[0]})`;
  }
  if ((await runningPid()) === undefined && process.getuid?.() !== 0) {
    return "pcscd is not running and starting it needs root";
  }
  return undefined;
}

const LOCK_FILE = path.join(os.tmpdir(), "cardterm-vpcd.lock");
const LOCK_WAIT_MS = 120_000;

/**
 * vpcd's two readers are one per machine: two test runs on the same box (two engineers,
 * or CI beside a developer) would take each other's cards and kill each other's pcscd.
 * This lock (a file holding the owner's pid; a dead owner's lock is taken over) makes
 * them wait for each other. Resolves with the release function.
 */
export async function lockVpcd(timeoutMs = LOCK_WAIT_MS): Promise<() => Promise<void>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const file = await fs.open(LOCK_FILE, "wx");
      await file.writeFile(String(process.pid));
      await file.close();
      const release = async () => {
        process.off("exit", releaseSync);
        if ((await fs.readFile(LOCK_FILE, "utf8").catch(() => "")) === String(process.pid)) {
          await fs.rm(LOCK_FILE, { force: true });
        }
      };
      const releaseSync = () => rmSync(LOCK_FILE, { force: true });
      process.once("exit", releaseSync);
      return release;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
    }
    const owner = Number.parseInt(await fs.readFile(LOCK_FILE, "utf8").catch(() => ""), 10);
    if (!isAlive(owner)) {
      await fs.rm(LOCK_FILE, { force: true });
      continue;
    }
    if (Date.now() > deadline)
      throw new Error(`vpcd is in use by pid ${owner} (${LOCK_FILE}) for over ${timeoutMs} ms`);
    await sleep(200);
  }
}

function isAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** The running pcscd (shared) or a new one started here. */
export async function usePcscd(): Promise<Pcscd> {
  const handle = new PcscdHandle();
  await handle.attach();
  return handle;
}

class PcscdHandle implements Pcscd {
  private child: ChildProcess | undefined;
  private currentPid = -1;
  private stderr = "";
  owned = false;

  get pid(): number {
    return this.currentPid;
  }

  async attach(): Promise<void> {
    const pid = await runningPid();
    if (pid !== undefined && (await socketAnswers())) {
      this.currentPid = pid;
      await waitVpcdListening();
      return;
    }
    await this.spawnOwn();
  }

  async kill(): Promise<void> {
    const pid = this.currentPid;
    this.currentPid = -1;
    if (pid <= 0) return;
    const child = this.child;
    const exited = child ? new Promise<void>((r) => child.once("exit", () => r())) : undefined;
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // already gone
    }
    if (exited) await exited;
    else await waitGone(pid);
    this.child = undefined;
  }

  async restart(): Promise<void> {
    await this.kill();
    // A socket-activated system pcscd comes back by itself; otherwise start one here.
    await sleep(200);
    const pid = await runningPid();
    if (pid !== undefined && (await socketAnswers())) {
      this.currentPid = pid;
      await waitVpcdListening();
      return;
    }
    await this.spawnOwn();
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (!this.owned || !child || this.currentPid <= 0) return;
    const exited = new Promise<void>((r) => child.once("exit", () => r()));
    process.kill(this.currentPid, "SIGTERM");
    const timer = setTimeout(() => child.kill("SIGKILL"), STOP_TIMEOUT_MS);
    await exited;
    clearTimeout(timer);
    this.child = undefined;
    this.currentPid = -1;
    await cleanStaleFiles();
  }

  private async spawnOwn(): Promise<void> {
    await cleanStaleFiles();
    const child = spawn(PCSCD_BIN, ["--foreground"], { stdio: ["ignore", "ignore", "pipe"] });
    this.stderr = "";
    child.stderr?.on("data", (chunk: Buffer) => {
      this.stderr = (this.stderr + chunk.toString("utf8")).slice(-4096);
    });
    started.add(child);
    child.once("exit", () => started.delete(child));
    this.child = child;
    this.owned = true;
    this.currentPid = child.pid ?? -1;
    const deadline = Date.now() + READY_TIMEOUT_MS;
    while (!(await socketAnswers())) {
      if (child.exitCode !== null) throw new Error(`pcscd exited at start: ${this.stderr}`);
      if (Date.now() > deadline) throw new Error(`pcscd not ready after ${READY_TIMEOUT_MS} ms: ${this.stderr}`);
      await sleep(20);
    }
    await waitVpcdListening();
  }
}

/** The pid in pcscd's pid file (NUL-terminated) when that process is alive. */
async function runningPid(): Promise<number | undefined> {
  let text: string;
  try {
    text = await fs.readFile(PCSCD_PID_FILE, "utf8");
  } catch {
    return undefined;
  }
  const pid = Number.parseInt(text.replace(/\0/g, "").trim(), 10);
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  try {
    process.kill(pid, 0);
    return pid;
  } catch {
    return undefined;
  }
}

/** After a kill -9 the pid and socket files stay behind, and a new pcscd refuses to start. */
async function cleanStaleFiles(): Promise<void> {
  if ((await runningPid()) !== undefined) return;
  await fs.rm(PCSCD_PID_FILE, { force: true });
  await fs.rm(PCSCD_SOCKET, { force: true });
}

export function socketAnswers(path = PCSCD_SOCKET, timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ path });
    const done = (ok: boolean) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(ok);
    };
    const timer = setTimeout(() => done(false), timeoutMs);
    socket.once("connect", () => done(true));
    socket.once("error", () => done(false));
  });
}

/** Both vpcd ports in LISTEN (state 0A) in /proc/net/tcp: read, never connected to. */
async function waitVpcdListening(): Promise<void> {
  const wanted = VPCD_PORTS.map((p) => `:${p.toString(16).toUpperCase().padStart(4, "0")}`);
  const deadline = Date.now() + READY_TIMEOUT_MS;
  for (;;) {
    const table = await fs.readFile("/proc/net/tcp", "utf8").catch(() => "");
    const listening = table
      .split("\n")
      .map((line) => line.trim().split(/\s+/))
      .filter((cols) => cols[3] === "0A")
      .map((cols) => cols[1] ?? "");
    if (wanted.every((port) => listening.some((local) => local.endsWith(port)))) return;
    if (Date.now() > deadline)
      throw new Error("vpcd's ports 35963/35964 are not listening; is vsmartcard-vpcd set up?");
    await sleep(20);
  }
}

async function waitGone(pid: number): Promise<void> {
  const deadline = Date.now() + STOP_TIMEOUT_MS;
  for (;;) {
    try {
      process.kill(pid, 0);
    } catch {
      return;
    }
    if (Date.now() > deadline) throw new Error(`pcscd ${pid} did not exit`);
    await sleep(20);
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
