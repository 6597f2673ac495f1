/**
 * A real PostgreSQL 15 per test file or benchmark
 * (docs/architecture.md#testing-against-real-components): `initdb` into a temp dir, started on
 * a free loopback port as a non-root user (the server refuses to run as root), stopped by pid.
 * Unix sockets go into the same dir, so nothing outside it is touched.
 *
 * `durable: false` (tests) turns fsync off for speed (commits still reach the OS, so a killed
 * PostgreSQL loses nothing); benchmarks keep the production defaults.
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { chownSync, existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort, waitForPort } from "./free-port.js";

export const PG_BIN = process.env.CARDTERM_PG_BIN ?? "/usr/lib/postgresql/15/bin";

export interface PostgresServer {
  /** postgres://cardterm@127.0.0.1:PORT/cardterm */
  url: string;
  port: number;
  dir: string;
  /**
   * Stops the server by pid: SIGINT is PostgreSQL's fast shutdown; SIGKILL is a crash of
   * the whole server (postmaster and backends, its process group), as the OOM killer would.
   */
  stop(signal?: NodeJS.Signals): Promise<void>;
  start(): Promise<void>;
  /** Stops it and removes its directory. Safe to call twice. */
  close(): Promise<void>;
}

/** Why PostgreSQL cannot run here, or undefined when it can. */
export function postgresUnavailable(): string | undefined {
  if (!existsSync(join(PG_BIN, "postgres")) || !existsSync(join(PG_BIN, "initdb")))
    return `PostgreSQL 15 binaries not found in ${PG_BIN} (Debian package postgresql-15; CARDTERM_PG_BIN overrides the path)`;
  if (process.getuid?.() === 0 && runAs() === undefined)
    return "running as root and no non-root user (postgres or nobody) to run PostgreSQL as";
  return undefined;
}

/** The user PostgreSQL runs as when we are root: the distribution's `postgres`, else `nobody`. */
function runAs(): { uid: number; gid: number } | undefined {
  for (const name of ["postgres", "nobody"]) {
    try {
      const uid = Number(execFileSync("id", ["-u", name], { encoding: "utf8" }).trim());
      const gid = Number(execFileSync("id", ["-g", name], { encoding: "utf8" }).trim());
      if (Number.isInteger(uid) && uid > 0) return { uid, gid };
    } catch {
      // no such user: try the next
    }
  }
  return undefined;
}

export async function startPostgres(opts: { durable?: boolean } = {}): Promise<PostgresServer> {
  const why = postgresUnavailable();
  if (why) throw new Error(why);
  const dir = await mkdtemp(join(tmpdir(), "cardterm-pg-"));
  const data = join(dir, "data");
  const user = process.getuid?.() === 0 ? runAs() : undefined;
  if (user) chownSync(dir, user.uid, user.gid);
  const as = user ? { uid: user.uid, gid: user.gid } : {};
  const env = { ...process.env, HOME: dir, LC_ALL: "C", LANG: "C" };
  await run(
    join(PG_BIN, "initdb"),
    ["-D", data, "-U", "cardterm", "-A", "trust", "-E", "UTF8", "--locale=C", "--no-sync"],
    { ...as, env },
  );
  const port = await freePort();
  const settings = [
    `port=${port}`,
    "listen_addresses=127.0.0.1",
    `unix_socket_directories=${dir}`,
    "max_connections=300",
    "shared_buffers=128MB",
    // fsync off still writes every commit to the OS before answering: it survives a
    // PostgreSQL crash (the fault tests kill it), not a power cut.
    ...(opts.durable === false ? ["fsync=off", "full_page_writes=off"] : []),
  ];
  let child: ChildProcess | undefined;
  let log = "";
  const server: PostgresServer = {
    url: `postgres://cardterm@127.0.0.1:${port}/cardterm`,
    port,
    dir,
    async start() {
      if (child) return;
      // Its own process group, so a crash can take the postmaster and its backends at once.
      const c = spawn(join(PG_BIN, "postgres"), ["-D", data, ...settings.flatMap((s) => ["-c", s])], {
        ...as,
        env,
        detached: true,
        stdio: ["ignore", "ignore", "pipe"],
      });
      child = c;
      killOnExit(c);
      c.stderr?.on("data", (d: Buffer) => {
        log = (log + d.toString("utf8")).slice(-16_384);
      });
      c.once("exit", () => {
        if (child === c) child = undefined;
      });
      await waitForPort(port, 20_000).catch((err: Error) => {
        throw new Error(`${err.message}\n${log}`);
      });
      await waitUntilAccepting(server.url.replace(/\/cardterm$/, "/postgres"));
    },
    async stop(signal = "SIGINT") {
      const c = child;
      if (!c?.pid) return;
      const exited = new Promise((r) => c.once("exit", r));
      process.kill(signal === "SIGKILL" ? -c.pid : c.pid, signal);
      await exited;
    },
    close: once(async () => {
      await server.stop();
      await rm(dir, { recursive: true, force: true });
    }),
  };
  try {
    await server.start();
    await createDatabase(server.url.replace(/\/cardterm$/, "/postgres"), "cardterm");
  } catch (err) {
    await server.close();
    throw err;
  }
  return server;
}

/** Creates a fresh database on the same server, e.g. one per test file or per benchmark case. */
export async function createDatabase(adminUrl: string, name: string): Promise<string> {
  const { default: pg } = await import("pg");
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    await client.query(`CREATE DATABASE ${name}`);
  } finally {
    await client.end();
  }
  return adminUrl.replace(/\/[^/]*$/, `/${name}`);
}

/** The port opens before recovery ends ("the database system is starting up"): wait for a real query. */
async function waitUntilAccepting(url: string): Promise<void> {
  const { default: pg } = await import("pg");
  const deadline = Date.now() + 20_000;
  for (;;) {
    const client = new pg.Client({ connectionString: url });
    try {
      await client.connect();
      await client.query("SELECT 1");
      await client.end();
      return;
    } catch (err) {
      await client.end().catch(() => {});
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

function run(cmd: string, args: string[], opts: { uid?: number; gid?: number; env: NodeJS.ProcessEnv }) {
  return new Promise<void>((resolve, reject) => {
    const c = spawn(cmd, args, { ...opts, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    c.stdout?.on("data", (d) => {
      out += d;
    });
    c.stderr?.on("data", (d) => {
      out += d;
    });
    c.once("error", reject);
    c.once("exit", (code) => (code === 0 ? resolve() : reject(new Error(`${cmd} exited ${code}:\n${out}`))));
  });
}

function once(fn: () => Promise<void>): () => Promise<void> {
  let p: Promise<void> | undefined;
  return () => {
    p ??= fn();
    return p;
  };
}

/** Killed by pid when this process exits, even after an uncaught error skipped the teardown. */
const children = new Set<ChildProcess>();
let exitHooked = false;
function killOnExit(child: ChildProcess): void {
  if (!exitHooked) {
    exitHooked = true;
    process.once("exit", () => {
      for (const c of children)
        if (c.pid && c.exitCode === null && c.signalCode === null) process.kill(-c.pid, "SIGKILL"); // its group
    });
  }
  children.add(child);
  child.once("exit", () => children.delete(child));
}
