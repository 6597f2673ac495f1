#!/usr/bin/env node
/**
 * cardterm-hq — the central server's command line: `run` serves terminals (and, with
 * --http-port, the head-office API); the other commands work on the ledger directly
 * (docs/back-office.md). The commands and their flags are declared in hq-commands.ts;
 * this file gives the command line its output, its exit and the words for known errors.
 *
 * Passwords and tokens come only from the environment or a file (argv is world-readable).
 * Errors go to stderr with their code; the exit status is 2 for a usage error, 1 otherwise.
 */
import { writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Explained, runCli } from "../../lib/cli/run-cli.js";
import { isCardtermError } from "../../protocol/errors.js";
import { HQ_CLI } from "./hq-commands.js";

/** A CardtermError carries its code in its message; so do the system's (ECONNREFUSED…). */
function explain(err: unknown): Explained | undefined {
  if (isCardtermError(err)) return { message: `cardterm-hq: ${err.message}`, exitCode: 1 };
  const e = err as { code?: unknown; message?: string };
  if (typeof e?.code === "string" && /^E[A-Z]+$/.test(e.code))
    return { message: `cardterm-hq: ${e.code}: ${String(e.message).split("\n", 1)[0]}`, exitCode: 1 };
  return undefined;
}

/** The whole error, for the support ticket: CARDTERM_CRASH_DIR, else the temp directory. */
function crashLog(text: string): string | undefined {
  const file = join(process.env.CARDTERM_CRASH_DIR ?? tmpdir(), `cardterm-hq-error-${Date.now()}-${process.pid}.log`);
  try {
    writeFileSync(file, text, { mode: 0o600 });
    return file;
  } catch {
    return undefined;
  }
}

const io = { out: (t: string) => console.log(t), err: (t: string) => console.error(t), crashLog };
runCli(HQ_CLI, process.argv.slice(2), io, explain).then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(`cardterm-hq: unexpected error: ${(err as Error)?.message ?? String(err)}`);
    process.exit(1);
  },
);
