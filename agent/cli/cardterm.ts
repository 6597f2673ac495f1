#!/usr/bin/env node
/**
 * The `cardterm` command: the agent (`run`, as systemd runs it) and the technician's
 * tools; the demo is a command of its own (demo/cardterm-demo.ts), so the till's does not
 * link head office. The commands are declared in agent-commands.ts; this file only gives
 * the command line its output, its exit, and the words for errors it knows.
 *
 * An invalid config exits 2 (never retried: systemd should not loop on it, see
 * RestartPreventExitStatus in deploy/systemd/cardterm.service); other known errors print
 * their code and exit 1; an unforeseen one prints a line and where its details were kept.
 */
import type { Explained } from "../../lib/cli/run-cli.js";
import { runMain } from "../../lib/cli/run-main.js";
import { isCardtermError } from "../../protocol/errors.js";
import { AGENT_CLI } from "./agent-commands.js";

function explain(err: unknown): Explained | undefined {
  if (isCardtermError(err)) return { message: err.message, exitCode: err.code.startsWith("CT_CONFIG") ? 2 : 1 };
  const e = err as NodeJS.ErrnoException & { port?: number; address?: string };
  if (e?.code === "EADDRINUSE") {
    return {
      message:
        `EADDRINUSE: port ${e.port ?? "?"} on ${e.address ?? "127.0.0.1"} is already in use (another cardterm, or a broker?)` +
        "; stop it, or give this till another port (api.port in its config)",
      exitCode: 1,
    };
  }
  return undefined;
}

runMain("cardterm", AGENT_CLI, explain);
