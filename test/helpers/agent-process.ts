/**
 * The agent as a separate process (`cardterm run --config …` through tsx), for tests
 * that kill it: crash sweeps, restarts. Stopped by pid; the exit is awaited.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { waitFor } from "./wait-for.js";

const CLI = fileURLToPath(new URL("../../agent/cli/cardterm.ts", import.meta.url));

export interface AgentProcess {
  url: string;
  child: ChildProcess;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  kill(signal?: NodeJS.Signals): Promise<void>;
}

export async function startAgentProcess(opts: {
  config: string;
  apiPort: number;
  env?: Record<string, string>;
}): Promise<AgentProcess> {
  const child = spawn(process.execPath, ["--import", "tsx", CLI, "run", "--config", opts.config], {
    env: { ...process.env, CARDTERM_LOG_LEVEL: "warn", ...opts.env },
    stdio: ["ignore", "ignore", "pipe"],
  });
  let stderr = "";
  child.stderr?.on("data", (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-4000);
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once("exit", (code, signal) => resolve({ code, signal })),
  );
  let gone = false;
  void exited.then(() => {
    gone = true;
  });
  const url = `http://127.0.0.1:${opts.apiPort}`;
  await waitFor(
    "the agent process to serve its API",
    async () => {
      if (gone) throw new Error(`agent exited before it was ready:\n${stderr}`);
      return fetch(`${url}/healthz`).then(
        (r) => r.ok,
        () => false,
      );
    },
    20_000,
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
