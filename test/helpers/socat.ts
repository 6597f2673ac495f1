/**
 * A linked pty pair from socat, standing in for a serial device
 * (docs/architecture.md#testing-against-real-components): the code under test opens `agentPath`
 * with the real `serialport`, the test writes what the device would send into `testPath`.
 * Killing socat removes both links and the agent's port closes with a DisconnectedError, as on
 * an unplugged USB adapter.
 *
 * Every socat started here is stopped by its pid; a process exit still running one kills it.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { constants, promises as fs } from "node:fs";
import os from "node:os";
import path from "node:path";

export interface PtyPair {
  /** The device side, for the code under test. */
  readonly agentPath: string;
  /** The test side: bytes written here arrive at agentPath. */
  readonly testPath: string;
  /** The running socat's pid (a new one after restart), or -1 while unplugged. */
  readonly pid: number;
  /** Write all of `data` to the device side; rejects after 10 s if nobody reads. */
  write(data: string | Buffer): Promise<void>;
  /** Kill socat (the links vanish, like pulling the cable) and keep the paths for `restart`. */
  unplug(): Promise<void>;
  /** Start socat again on the same link paths (unplugging first if it is running). */
  restart(): Promise<void>;
  /** Kill socat and remove the temp dir this helper made; safe to call twice. */
  stop(): Promise<void>;
}

const SOCAT = "/usr/bin/socat";
const START_TIMEOUT_MS = 5_000;
const STOP_TIMEOUT_MS = 2_000;
const WRITE_TIMEOUT_MS = 10_000;

const running = new Set<ChildProcess>();
process.once("exit", () => {
  for (const child of running) child.kill("SIGKILL");
});

export async function startPtyPair(dir?: string): Promise<PtyPair> {
  const ownDir = dir === undefined;
  const base = dir ?? (await fs.mkdtemp(path.join(os.tmpdir(), "cardterm-pty-")));
  const pair = new SocatPair(path.join(base, "ttyA"), path.join(base, "ttyB"), ownDir ? base : undefined);
  try {
    await pair.restart();
  } catch (err) {
    await pair.stop();
    throw err;
  }
  return pair;
}

class SocatPair implements PtyPair {
  private child: ChildProcess | undefined;
  private file: fs.FileHandle | undefined;
  private stopped = false;

  constructor(
    readonly agentPath: string,
    readonly testPath: string,
    private readonly ownDir: string | undefined,
  ) {}

  get pid(): number {
    return this.child?.pid ?? -1;
  }

  async write(data: string | Buffer): Promise<void> {
    const bytes = typeof data === "string" ? Buffer.from(data, "latin1") : data;
    // O_NOCTTY: a test process without a controlling tty must not adopt this one (and be
    // sent SIGHUP when socat dies). O_NONBLOCK: a full pty must not pin a libuv thread.
    this.file ??= await fs.open(this.testPath, constants.O_RDWR | constants.O_NOCTTY | constants.O_NONBLOCK);
    const deadline = Date.now() + WRITE_TIMEOUT_MS;
    let offset = 0;
    while (offset < bytes.length) {
      try {
        offset += (await this.file.write(bytes, offset, bytes.length - offset)).bytesWritten;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== "EAGAIN") throw err;
        if (Date.now() > deadline) throw new Error(`pty ${this.testPath}: nobody read for ${WRITE_TIMEOUT_MS} ms`);
        await new Promise((resolve) => setTimeout(resolve, 2));
      }
    }
  }

  async unplug(): Promise<void> {
    await this.closeFile();
    const child = this.child;
    this.child = undefined;
    if (!child) return;
    await killAndWait(child);
    running.delete(child);
    // socat removes its links on SIGTERM; after a SIGKILL they are left behind.
    await fs.rm(this.agentPath, { force: true });
    await fs.rm(this.testPath, { force: true });
  }

  async restart(): Promise<void> {
    if (this.stopped) throw new Error("pty pair is stopped");
    await this.unplug();
    const child = spawn(
      SOCAT,
      ["-d", "-d", `pty,raw,echo=0,link=${this.agentPath}`, `pty,raw,echo=0,link=${this.testPath}`],
      {
        stdio: ["ignore", "ignore", "pipe"],
      },
    );
    this.child = child;
    running.add(child);
    await waitReady(child, [this.agentPath, this.testPath]);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.unplug();
    if (this.ownDir) await fs.rm(this.ownDir, { recursive: true, force: true });
  }

  private async closeFile(): Promise<void> {
    const file = this.file;
    this.file = undefined;
    await file?.close().catch(() => {});
  }
}

/** Ready once socat logs its transfer loop (both ptys made) and both links exist. */
async function waitReady(child: ChildProcess, links: string[]): Promise<void> {
  let log = "";
  let exited = false;
  child.stderr?.on("data", (chunk: Buffer) => {
    log = (log + chunk.toString("utf8")).slice(-4096);
  });
  child.once("exit", () => {
    exited = true;
  });
  const deadline = Date.now() + START_TIMEOUT_MS;
  for (;;) {
    if (exited) throw new Error(`socat exited at start: ${log}`);
    if (log.includes("starting data transfer loop") && (await allExist(links))) return;
    if (Date.now() > deadline) {
      await killAndWait(child);
      running.delete(child);
      throw new Error(`socat not ready after ${START_TIMEOUT_MS} ms: ${log}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

async function allExist(paths: string[]): Promise<boolean> {
  const found = await Promise.all(
    paths.map((p) =>
      fs.lstat(p).then(
        () => true,
        () => false,
      ),
    ),
  );
  return found.every(Boolean);
}

async function killAndWait(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  try {
    process.kill(child.pid, "SIGTERM");
  } catch {
    // already gone: `exit` follows
  }
  const timer = setTimeout(
    () => child.pid !== undefined && child.exitCode === null && child.kill("SIGKILL"),
    STOP_TIMEOUT_MS,
  );
  await exited;
  clearTimeout(timer);
}
