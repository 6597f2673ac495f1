#!/usr/bin/env node
// Runs the whole tap suite and ends with the plain line `N passed, N failed`, so a
// run that executed no test is visible in CI (docs/architecture.md#testing-against-real-components).
// Extra arguments go to tap (e.g. a test file).
import { spawn } from "node:child_process";

const args = process.argv.slice(2);
const child = spawn("npx", ["tap", ...args], { stdio: ["ignore", "pipe", "inherit"] });
let tail = "";
child.stdout.on("data", (chunk) => {
  process.stdout.write(chunk);
  tail = (tail + chunk.toString("utf8")).slice(-4096);
});
child.on("close", (code, signal) => {
  const m = /# \{ total: (\d+), pass: (\d+)(?:, fail: (\d+))?[^}]*\}/.exec(tail);
  const pass = m ? Number(m[2]) : 0;
  const fail = m ? Number(m[3] ?? 0) : 0;
  const failed = fail + (code !== 0 && fail === 0 ? 1 : 0);
  console.log(`${pass} passed, ${failed} failed`);
  process.exit(code ?? (signal ? 1 : 0));
});
