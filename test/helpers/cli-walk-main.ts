/**
 * Runs every command of one tool's command table three ways — with --help, with a bogus
 * flag, with no arguments — and prints one JSON line per case: argv, exit status, stdout,
 * stderr. Used by test/unit/cli-walk.test.ts.
 *
 *   node --import tsx cli-walk-main.ts agent|hq            in this process, through runCli
 *   node --import tsx cli-walk-main.ts agent|hq --spawn BIN   each case as a real process of BIN
 *
 * In-process is what the test uses (a few seconds instead of minutes of process starts);
 * --spawn runs the same cases against any version of the bin, e.g. one from before the
 * command table, to see them fail there. Commands that rightly run with no arguments (the
 * demo, doctor) get a stand-in run in-process, and no bare case with --spawn.
 */
import { spawnSync } from "node:child_process";
import type { CliSpec } from "../../lib/cli/command-spec.js";
import { runCli } from "../../lib/cli/run-cli.js";

export interface WalkCase {
  argv: string[];
  /** what the case is: help, bogus, bare (no arguments), or of the tool itself */
  kind: "help" | "bogus" | "bare" | "version" | "tool";
  /** a command with a run (not a group) */
  leaf: boolean;
}

export interface WalkResult extends WalkCase {
  code: number | null;
  stdout: string;
  stderr: string;
  /** the stand-in run was reached (bare cases of RUNS_BARE) */
  ran?: boolean;
}

/** Commands that do their work with no arguments at all, so their bare case must run, not refuse. */
export const RUNS_BARE: Record<string, readonly string[]> = {
  agent: ["demo", "doctor", "config schema", "completion bash"],
  hq: ["completion bash"],
};

export function walkCases(cli: CliSpec): WalkCase[] {
  const cases: WalkCase[] = [
    { argv: [], kind: "tool", leaf: false },
    { argv: ["--help"], kind: "help", leaf: false },
    { argv: ["--version"], kind: "version", leaf: false },
    { argv: ["--bogus-flag"], kind: "bogus", leaf: false },
  ];
  const paths = [
    ...cli.groups.map((g) => ({ path: g.path, leaf: false })),
    ...cli.commands.map((c) => ({ path: c.path, leaf: true })),
  ];
  for (const { path, leaf } of paths) {
    const words = path.split(" ");
    cases.push(
      { argv: [...words, "--help"], kind: "help", leaf },
      { argv: [...words, "--bogus-flag"], kind: "bogus", leaf },
      { argv: words, kind: "bare", leaf },
    );
  }
  return cases;
}

async function table(tool: string): Promise<CliSpec> {
  if (tool === "agent") return (await import("../../agent/cli/agent-commands.js")).AGENT_CLI;
  return (await import("../../server/cli/hq-commands.js")).HQ_CLI;
}

/** Everything written to stdout and stderr while `fn` runs (console.* included). */
async function captured(fn: () => Promise<number>): Promise<{ code: number; stdout: string; stderr: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const writeOut = process.stdout.write.bind(process.stdout);
  const writeErr = process.stderr.write.bind(process.stderr);
  process.stdout.write = ((chunk: string | Uint8Array) => out.push(String(chunk)) > 0) as typeof process.stdout.write;
  process.stderr.write = ((chunk: string | Uint8Array) => err.push(String(chunk)) > 0) as typeof process.stderr.write;
  try {
    const code = await fn();
    return { code, stdout: out.join(""), stderr: err.join("") };
  } finally {
    process.stdout.write = writeOut;
    process.stderr.write = writeErr;
  }
}

async function inProcess(tool: string, cli: CliSpec, c: WalkCase): Promise<WalkResult> {
  let ran = false;
  const bare = RUNS_BARE[tool] ?? [];
  const commands = cli.commands.map((spec) =>
    c.kind === "bare" && bare.includes(spec.path)
      ? {
          ...spec,
          run: () => {
            ran = true;
            return 0;
          },
        }
      : spec,
  );
  const io = {
    out: (t: string) => console.log(t),
    err: (t: string) => console.error(t),
    crashLog: () => "(crash log)",
  };
  const r = await captured(() => runCli({ ...cli, commands }, c.argv, io, () => undefined));
  return { ...c, ...r, ran };
}

function spawned(bin: string, c: WalkCase): WalkResult {
  const r = spawnSync(process.execPath, ["--import", "tsx", bin, ...c.argv], {
    encoding: "utf8",
    timeout: 30_000,
    env: { ...process.env, DATABASE_URL: "" },
  });
  return { ...c, code: r.status, stdout: r.stdout, stderr: r.stderr };
}

async function main(): Promise<void> {
  const [tool = "agent", flag, bin] = process.argv.slice(2);
  delete process.env.DATABASE_URL; // a ledger command must say it needs one, not open one
  const cli = await table(tool);
  for (const c of walkCases(cli)) {
    if (flag === "--spawn" && c.kind === "bare" && (RUNS_BARE[tool] ?? []).includes(c.argv.join(" "))) continue;
    const r = flag === "--spawn" && bin ? spawned(bin, c) : await inProcess(tool, cli, c);
    process.stdout.write(`${JSON.stringify(r)}\n`);
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().then(
    () => process.exit(0),
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
}
