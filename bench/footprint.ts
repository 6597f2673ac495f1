/**
 * Footprint (bench/README.md, "Footprint"): the resident memory of the demo and of the agent
 * alone, as users run them — the built tree (`npm run build`, what `npm start` runs), one
 * process each, RSS read from /proc/PID/status (VmRSS now, VmHWM the peak so far).
 *
 *   npm run build && tsx bench/footprint.ts [--root DIR] [--sales N] [--node-options "FLAGS"]
 *
 * - demo, first start: a fresh state directory (PGlite runs initdb), then idle, then after
 *   N online sales; demo, restart: the same directory again (no initdb);
 * - agent alone: `cardterm run` with a simulated reader and a preview printer against a
 *   broker and central server in this process, idle and after N sales;
 * - the parts (bench/footprint-part.mjs, each in a fresh process): bare Node, the agent's
 *   and the server's modules imported, the broker, PGlite created and opened.
 * --root: a built tree other than this checkout (with dist/ and node_modules/ in it);
 * --node-options: NODE_OPTIONS for the measured processes (e.g. "--max-semi-space-size=1").
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { startEmbeddedBroker } from "../agent/demo/embedded-broker.js";
import { silentLogger } from "../agent/logger.js";
import { startHqServer } from "../server/hq-server.js";
import { freePort } from "../test/helpers/free-port.js";
import { printTable } from "./stats.js";

const args = process.argv.slice(2);
const opt = (name: string, fallback: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? (args[i + 1] ?? fallback) : fallback;
};
const ROOT = resolve(opt("root", resolve(import.meta.dirname, "..")));
const SALES = Number(opt("sales", "200"));
const NODE_OPTIONS = opt("node-options", "");
const CLI = join(ROOT, "dist/agent/cli/cardterm.js");
const DEMO = join(ROOT, "dist/demo/cardterm-demo.js");
const PART = join(import.meta.dirname, "footprint-part.mjs");

function memOf(pid: number): { rss: number; peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = (name: string) => Number(/(\d+) kB/.exec(status.split("\n").find((l) => l.startsWith(name)) ?? "")?.[1]);
  return { rss: Math.round(kb("VmRSS:") / 1024), peak: Math.round(kb("VmHWM:") / 1024) };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function startChild(argv: string[], cwd: string, ready: RegExp): Promise<ChildProcess> {
  const env = { ...process.env, CARDTERM_LOG_LEVEL: "warn", NODE_OPTIONS };
  const child = spawn(process.execPath, argv, { cwd, env });
  let out = "";
  return new Promise((res, rej) => {
    const seen = (d: Buffer) => {
      out += d;
      if (ready.test(out)) res(child);
    };
    child.stdout?.on("data", seen);
    child.stderr?.on("data", seen);
    child.on("exit", (code) => rej(new Error(`exited ${code} before it was ready:\n${out}`)));
  });
}

async function api(url: string, method: string, path: string, body?: unknown, session?: string) {
  const headers: Record<string, string> = {};
  if (body !== undefined) headers["content-type"] = "application/json";
  if (session) headers["x-cardterm-session"] = session;
  const res = await fetch(`${url}${path}`, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return (await res.json()) as Record<string, unknown>;
}

async function sell(url: string, n: number): Promise<void> {
  const session = (await api(url, "POST", "/api/v1/sessions", { operatorId: "001", pin: "1234" })).session as string;
  for (let i = 0; i < n; i++) {
    const r = await api(url, "POST", "/api/v1/sales", { amount: 100, cardUid: "04A1B2C3" }, session);
    if (r.approved !== true) throw new Error(`sale ${i} not approved: ${JSON.stringify(r)}`);
  }
}

type Row = Record<string, string | number>;

/** The demo from a copy of config/examples (its var/demo in a temp dir), first start and restart. */
async function demo(rows: Row[]): Promise<void> {
  const clone = mkdtempSync(join(tmpdir(), "cardterm-footprint-"));
  try {
    cpSync(join(ROOT, "config/examples"), join(clone, "config/examples"), { recursive: true });
    const [apiPort, mqttPort, hqPort] = [await freePort(), await freePort(), await freePort()];
    const yaml = join(clone, "config/examples/demo.yaml");
    writeFileSync(
      yaml,
      readFileSync(yaml, "utf8").replace("port: 7070", `port: ${apiPort}`).replace(":1883", `:${mqttPort}`),
    );
    for (const run of ["first start (initdb)", "restart"]) {
      const child = await startChild([DEMO, "--config", yaml, "--hq-port", String(hqPort)], clone, /Stop with/);
      const started = memOf(child.pid!);
      await sleep(5_000);
      const idle = memOf(child.pid!);
      await sell(`http://127.0.0.1:${apiPort}`, SALES);
      await sleep(2_000);
      const busy = memOf(child.pid!);
      rows.push({
        process: `demo, ${run}`,
        "ready MB": started.rss,
        "idle MB": idle.rss,
        [`after ${SALES} sales MB`]: busy.rss,
        "peak MB": busy.peak,
      });
      child.kill("SIGINT");
      await new Promise((r) => child.once("exit", r));
    }
  } finally {
    rmSync(clone, { recursive: true, force: true });
  }
}

/** `cardterm run` alone, against a broker and server in this process. */
async function agentAlone(rows: Row[]): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "cardterm-footprint-agent-"));
  const broker = await startEmbeddedBroker(0);
  const key = randomBytes(32);
  const hq = await startHqServer({
    mqttUrl: broker.url,
    seedDemo: { terminals: [{ id: "T001", keyHex: key.toString("hex") }] },
    log: silentLogger(),
  });
  try {
    writeFileSync(join(dir, "terminal.key"), key.toString("hex"));
    const apiPort = await freePort();
    const demoYaml = readFileSync(join(ROOT, "config/examples/demo.yaml"), "utf8");
    const operators = demoYaml.slice(demoYaml.indexOf("operators:"), demoYaml.indexOf("readers:"));
    writeFileSync(
      join(dir, "agent.yaml"),
      [
        "version: 1",
        "terminal:",
        "  id: T001",
        `  key: { file: ${dir}/terminal.key }`,
        `  dataDir: ${dir}/agent`,
        "api:",
        `  port: ${apiPort}`,
        operators,
        "readers:",
        "  - { id: sim, type: simulated }",
        "printer:",
        "  type: preview",
        `  previewDir: ${dir}/receipts`,
        "server:",
        `  mqttUrl: ${broker.url}`,
        "",
      ].join("\n"),
    );
    const child = await startChild([CLI, "run", "--config", join(dir, "agent.yaml")], dir, /./);
    const url = `http://127.0.0.1:${apiPort}`;
    for (let i = 0; ; i++) {
      const s = await api(url, "GET", "/api/v1/status").catch(() => null);
      if ((s?.broker as { connected?: boolean } | undefined)?.connected) break;
      if (i > 300) throw new Error("the agent did not connect");
      await sleep(100);
    }
    await sleep(5_000);
    const idle = memOf(child.pid!);
    await sell(url, SALES);
    await sleep(2_000);
    const busy = memOf(child.pid!);
    rows.push({
      process: "agent alone (cardterm run)",
      "ready MB": "",
      "idle MB": idle.rss,
      [`after ${SALES} sales MB`]: busy.rss,
      "peak MB": busy.peak,
    });
    child.kill("SIGTERM");
    await new Promise((r) => child.once("exit", r));
  } finally {
    await hq.close();
    await broker.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

function parts(): Row[] {
  const dir = mkdtempSync(join(tmpdir(), "cardterm-footprint-pg-"));
  try {
    const run = (...a: string[]) =>
      JSON.parse(execFileSync(process.execPath, [PART, join(ROOT, "dist"), ...a], { encoding: "utf8" }));
    return [
      run("node"),
      run("import-agent"),
      run("import-server"),
      run("aedes"),
      run("pglite-new", join(dir, "pg")),
      run("pglite-open", join(dir, "pg")),
    ];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const rows: Row[] = [];
await demo(rows);
await agentAlone(rows);
printTable(rows);
console.log();
printTable(parts());
process.exit(0);
