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
import type { Explained } from "../../lib/cli/run-cli.js";
import { runMain } from "../../lib/cli/run-main.js";
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

runMain("cardterm-hq", HQ_CLI, explain);
