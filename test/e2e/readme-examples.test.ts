/**
 * README's shell examples, run against the demo as README tells it: the
 * fenced blocks marked ```sh demo run, in order, in one shell while the demo (`npm start`) runs;
 * the blocks marked ```sh demo-stopped after it is stopped with Ctrl-C (SIGINT). A block
 * fails the test when a command in it fails (curl with --fail-with-body: a 4xx is a
 * failure) or a sale in it is declined. README's docs table is checked against docs/.
 *
 * The demo runs from a copy of config/examples/ in a temp dir standing for the clone, so
 * its var/demo is the temp dir's and the ports are free ones: the copy's 7070 and 1883,
 * and the blocks' 127.0.0.1:7070 / :7071, are rewritten to them. `npx cardterm …` runs the
 * built command (`npm start` builds dist/); here the same entry points run from source.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { cpSync, existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import t, { type Test } from "tap";
import { freePort } from "../helpers/free-port.js";
import { tempDir } from "../helpers/temp-dir.js";

const REPO = resolve(import.meta.dirname, "../..");
const README = readFileSync(join(REPO, "README.md"), "utf8");
const TSX = join(REPO, "node_modules/tsx/dist/esm/index.mjs");

interface Block {
  kind: "demo" | "demo-stopped";
  line: number;
  text: string;
}

function blocks(): Block[] {
  const out: Block[] = [];
  for (const m of README.matchAll(/^```sh (demo|demo-stopped)\n([\s\S]*?)^```$/gm)) {
    const line = README.slice(0, m.index).split("\n").length;
    out.push({ kind: m[1] as Block["kind"], line, text: m[2] ?? "" });
  }
  return out;
}

/** The shell around the blocks: the commands from source, curl that fails on an HTTP error. */
function prelude(): string {
  const node = `node --import ${TSX}`;
  return [
    "set -eo pipefail",
    `cardterm() { ${node} ${REPO}/agent/cli/cardterm.ts "$@"; }`,
    `cardterm-hq() { ${node} ${REPO}/server/cli/cardterm-hq.ts "$@"; }`,
    'curl() { command curl --fail-with-body --max-time 60 "$@"; }',
  ].join("\n");
}

interface Ports {
  api: number;
  mqtt: number;
  hq: number;
}

function rewrite(text: string, p: Ports): string {
  return text
    .replaceAll("127.0.0.1:7070", `127.0.0.1:${p.api}`)
    .replaceAll("127.0.0.1:7071", `127.0.0.1:${p.hq}`)
    .replace(/(^|[\s;(&|])npx (cardterm(?:-hq)?) /gm, "$1$2 ");
}

/** Runs the blocks in one shell; each block's output starts after its own marker line. */
async function runBlocks(list: Block[], cwd: string, p: Ports) {
  const script = [
    prelude(),
    ...list.map((b, i) => `echo "@@block ${i}@@"\n${rewrite(b.text, p)}\necho`),
    'echo "@@end@@"',
  ].join("\n");
  const child = spawn("bash", ["-c", script], { cwd, env: { ...process.env, NO_COLOR: "1" } });
  let out = "";
  child.stdout.on("data", (d) => {
    out += d;
  });
  child.stderr.on("data", (d) => {
    out += d;
  });
  const [code] = (await once(child, "close")) as [number];
  const parts = out.split(/^@@block (\d+)@@$/m);
  const outputs = new Map<number, string>();
  for (let i = 1; i < parts.length; i += 2) outputs.set(Number(parts[i]), parts[i + 1] ?? "");
  return { code, out, outputs, finished: out.includes("@@end@@") };
}

/** One verdict per block: it ran, none of its commands failed, no sale in it was declined. */
function checkBlocks(t: Test, list: Block[], run: Awaited<ReturnType<typeof runBlocks>>): void {
  const reached = Math.max(-1, ...run.outputs.keys());
  list.forEach((b, i) => {
    const output = (run.outputs.get(i) ?? "").split("@@end@@")[0] ?? "";
    const failed = i > reached || (run.code !== 0 && i === reached);
    t.notOk(failed, `README line ${b.line}: every command ran without error`, { output: output.slice(-3000) });
    t.notMatch(output, /"approved":false/, `README line ${b.line}: nothing declined`, { output });
  });
  t.equal(run.code, 0, "the shell ran every block to the end");
}

let demo: ChildProcess | undefined;

t.test("README's examples work in the demo as written", async (t) => {
  const list = blocks();
  t.ok(list.filter((b) => b.kind === "demo").length >= 4, "README marks its demo examples");
  const clone = await tempDir(t, "cardterm-readme-");
  const p: Ports = { api: await freePort(), mqtt: await freePort(), hq: await freePort() };
  cpSync(join(REPO, "config/examples"), join(clone, "config/examples"), { recursive: true });
  const demoYaml = join(clone, "config/examples/demo.yaml");
  writeFileSync(
    demoYaml,
    readFileSync(demoYaml, "utf8").replace("port: 7070", `port: ${p.api}`).replace(":1883", `:${p.mqtt}`),
  );

  demo = spawn(
    process.execPath,
    ["--import", TSX, join(REPO, "demo/cardterm-demo.ts"), "--config", demoYaml, "--hq-port", String(p.hq)],
    { cwd: clone, env: { ...process.env, CARDTERM_LOG_LEVEL: "warn" } },
  );
  t.teardown(() => {
    demo?.kill("SIGKILL");
  });
  let printed = "";
  demo.stdout?.on("data", (d) => {
    printed += d;
  });
  demo.stderr?.on("data", (d) => {
    printed += d;
  });
  const started = Date.now();
  while (!printed.includes("Stop with Ctrl-C")) {
    if (demo.exitCode !== null || Date.now() - started > 180_000)
      throw new Error(`the demo did not start:\n${printed}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  t.match(printed, new RegExp(`web console +http://127\\.0\\.0\\.1:${p.api}/console/`), "the console's address");
  t.match(printed, /cashier 001 \/ PIN 1234, supervisor \(店长\) 900 \/ PIN 9999/, "its log-ins");
  t.match(printed, /config +config\/examples\/demo\.yaml/, "the config it runs");

  const running = list.filter((b) => b.kind === "demo");
  checkBlocks(t, running, await runBlocks(running, clone, p));

  demo.kill("SIGINT");
  const [code] = (await once(demo, "exit")) as [number | null];
  t.equal(code, 0, "Ctrl-C stops the demo cleanly");
  const stopped = list.filter((b) => b.kind === "demo-stopped");
  checkBlocks(t, stopped, await runBlocks(stopped, clone, p));
  t.ok(existsSync(join(clone, "var/demo/receipts")), "receipts under var/demo/receipts, as README says");
});

t.test("README's docs table names every file in docs/, and only those", async (t) => {
  const table = README.slice(README.indexOf("### Documentation"));
  const named = new Set([...table.matchAll(/\[`docs\/([^`]+)`\]/g)].map((m) => m[1]?.replace(/\/$/, "")));
  const present = readdirSync(join(REPO, "docs"));
  for (const f of present) t.ok(named.has(f), `docs/${f} is in README's docs table`);
  for (const f of named) t.ok(f && present.includes(f), `docs/${f} exists`);
});
