/**
 * Real agent processes for tests that restart the agent hundreds of times (the SIGKILL
 * loop test): `cardterm run` bundled once per test file with esbuild (as
 * scripts/build-deb.sh transpiles the package), and always one standby process that has loaded it and waits for "go"
 * (standby-agent-main.ts). Through tsx a start costs ~2.8 s, of which ~2.4 s is loading
 * and transforming modules; bundled ~0.9 s, and with the loading done ahead ~0.4 s —
 * what the agent itself does on start-up. The code that runs is the agent's own, only
 * transformed before instead of while it loads.
 *
 * Packages are bundled too (loading fastify, ajv, mqtt… file by file is half the load
 * time), except those with native parts or files of their own (serial ports, PC/SC,
 * PGlite, resvg, pg), which resolve from the repo's node_modules through a symlink beside
 * the bundle.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { symlink } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { AgentProcess } from "./agent-process.js";
import { tempDir } from "./temp-dir.js";
import { waitFor } from "./wait-for.js";

const ENTRY = fileURLToPath(new URL("./standby-agent-main.ts", import.meta.url));
const NODE_MODULES = fileURLToPath(new URL("../../node_modules", import.meta.url));

const NOT_BUNDLED = [
  "serialport",
  "@serialport/*",
  "nfc-pcsc",
  "@pokusew/*",
  "@electric-sql/pglite",
  "@resvg/resvg-js",
  "pg",
  "pg-native",
];

interface Teardown {
  teardown(fn: () => unknown): void;
}

/** Bundles the standby entry into a temp dir (removed at the end); returns the bundle's path. */
export async function bundleAgent(t: Teardown): Promise<string> {
  const dir = await tempDir(t, "cardterm-agent-bundle-");
  await symlink(NODE_MODULES, join(dir, "node_modules"), "dir");
  const outfile = join(dir, "agent.mjs");
  const esbuild = await import("esbuild");
  await esbuild.build({
    entryPoints: [ENTRY],
    outfile,
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    external: NOT_BUNDLED,
    // Bundled CommonJS packages call require() for Node's own modules.
    banner: {
      js: 'import { createRequire as __ctRequire } from "node:module"; const require = __ctRequire(import.meta.url);',
    },
    logLevel: "error",
  });
  return outfile;
}

export interface StandbyAgents {
  /**
   * Wakes the standby process, waits until its API answers (unless `ready: false`: for a
   * kill during start-up), and loads the next standby.
   */
  start(opts?: { ready?: boolean }): Promise<AgentProcess>;
  /** Kills the standby processes that are waiting (the running ones are the caller's). */
  close(): Promise<void>;
}

export function standbyAgents(
  t: Teardown,
  opts: { bundle: string; config: string; apiPort: number; env?: Record<string, string>; ahead?: number },
): StandbyAgents {
  const spawnOne = () =>
    spawn(process.execPath, [opts.bundle, opts.config], {
      env: { ...process.env, CARDTERM_LOG_LEVEL: "warn", ...opts.env },
      stdio: ["pipe", "ignore", "pipe"],
    });
  // Two loading ahead: a start every ~0.6 s would otherwise wake a process still loading.
  const standby: ChildProcess[] = Array.from({ length: opts.ahead ?? 2 }, spawnOne);
  const live = new Set<ChildProcess>();
  const stop = async (child: ChildProcess) => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child.once("exit", r));
    if (child.pid) process.kill(child.pid, "SIGKILL");
    await exited;
  };
  t.teardown(async () => {
    await Promise.all([...live, ...standby].map(stop));
  });
  return {
    async start({ ready = true } = {}) {
      const child = standby.shift()!;
      live.add(child);
      standby.push(spawnOne());
      return wake(child, opts.apiPort, ready, () => live.delete(child));
    },
    async close() {
      await Promise.all(standby.splice(0).map(stop));
    },
  };
}

async function wake(child: ChildProcess, apiPort: number, ready: boolean, forget: () => void): Promise<AgentProcess> {
  let stderr = "";
  child.stderr?.on("data", (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-4000);
  });
  let gone = false;
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null)
      resolve({ code: child.exitCode, signal: child.signalCode });
    else child.once("exit", (code, signal) => resolve({ code, signal }));
  });
  void exited.then(() => {
    gone = true;
    forget();
  });
  child.stdin?.end("go\n");
  const url = `http://127.0.0.1:${apiPort}`;
  if (ready)
    await waitFor(
      "the agent process to serve its API",
      async () => {
        if (gone) throw new Error(`agent exited before it was ready:\n${stderr}`);
        return fetch(`${url}/healthz`).then(
          (r) => r.ok,
          () => false,
        );
      },
      30_000,
      10,
    );
  return {
    url,
    child,
    exited,
    async kill(signal = "SIGKILL") {
      if (!gone && child.pid) process.kill(child.pid, signal);
      await exited;
    },
  };
}
