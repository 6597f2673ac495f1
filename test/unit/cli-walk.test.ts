/**
 * Every command and group of both tools, from their command tables, with --help, with a
 * bogus flag and with no arguments: help exits 0 and shows the
 * command's usage (and examples, for a command); a bogus flag or a missing argument exits
 * 2 with one line and the usage; nothing ever prints a stack frame.
 */
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import t from "tap";
import { RUNS_BARE, type WalkResult } from "../helpers/cli-walk-main.js";

const WALKER = join(import.meta.dirname, "../helpers/cli-walk-main.ts");
const VERSION = JSON.parse(readFileSync(join(import.meta.dirname, "../../package.json"), "utf8")).version;
const STACK_FRAME = /^ {4}at /m;

function walk(tool: string): WalkResult[] {
  const out = execFileSync(process.execPath, ["--import", "tsx", WALKER, tool], {
    encoding: "utf8",
    env: { ...process.env, DATABASE_URL: "" },
    timeout: 120_000,
    maxBuffer: 64 * 2 ** 20,
  });
  return out
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l) as WalkResult);
}

t.test(
  "cardterm-hq run --help names the broker user flag and the password's variable (docs/deploy-broker.md uses both)",
  async (t) => {
    const help = walk("hq").find((r) => r.kind === "help" && r.argv.join(" ") === "run --help");
    t.match(help?.stdout, /--mqtt-username <name>/);
    t.match(help?.stdout, /CARDTERM_HQ_MQTT_PASSWORD/);
  },
);

for (const [tool, name] of [
  ["agent", "cardterm"],
  ["hq", "cardterm-hq"],
] as const) {
  t.test(`${name}: every command answers --help, a bogus flag and no arguments`, async (t) => {
    const results = walk(tool);
    t.ok(results.length > 30, `${results.length} cases walked`);
    for (const r of results) {
      const cmd = [name, ...r.argv].join(" ");
      const all = r.stdout + r.stderr;
      t.notMatch(all, STACK_FRAME, `${cmd}: no stack frame`);
      t.notMatch(all, /ERR_PARSE_ARGS|TypeError|ReferenceError/, `${cmd}: no raw Node error`);
      const path = r.argv.filter((a) => !a.startsWith("-")).join(" ");
      if (r.kind === "help") {
        t.equal(r.code, 0, `${cmd} exits 0`);
        t.match(r.stdout, `Usage: ${[name, path].filter(Boolean).join(" ")} `, `${cmd} shows its own usage`);
        if (r.leaf) t.match(r.stdout, /\nExamples:\n {2}\S/, `${cmd} has examples`);
      } else if (r.kind === "version") {
        t.equal(r.code, 0, cmd);
        t.equal(r.stdout.trim(), VERSION, `${cmd} prints the package version`);
      } else if (r.kind === "bogus") {
        t.equal(r.code, 2, `${cmd} exits 2`);
        t.match(r.stderr.split("\n")[0], /unknown option '--bogus-flag'/, `${cmd}: the first line says what is wrong`);
        t.match(r.stderr, /\nUsage: /, `${cmd}: then the usage`);
      } else if (r.kind === "bare" && r.leaf && RUNS_BARE[tool]?.includes(path)) {
        t.equal(r.code, 0, `${cmd} runs with no arguments`);
        t.ok(r.ran, `${cmd} reached its run`);
      } else {
        t.equal(r.code, 2, `${cmd} (no arguments) exits 2`);
        t.match(r.stderr, /Usage: /, `${cmd}: the usage`);
        if (r.kind === "bare")
          t.match(r.stderr.split("\n")[0], new RegExp(`^${name} ${path}(?: [a-z-]+)?: \\S`), `${cmd}: one line first`);
      }
    }
  });
}
