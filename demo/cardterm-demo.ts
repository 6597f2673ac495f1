#!/usr/bin/env node
/**
 * The `cardterm-demo` command (`npm start`): the demo's command table is demo-command.ts;
 * this file gives it its output, its exit and the words for errors it knows, as
 * agent/cli/cardterm.ts does for the till's command.
 */
import type { Explained } from "../lib/cli/run-cli.js";
import { runMain } from "../lib/cli/run-main.js";
import { isCardtermError } from "../protocol/errors.js";
import { DEMO_CLI } from "./demo-command.js";

function explain(err: unknown): Explained | undefined {
  if (isCardtermError(err)) return { message: err.message, exitCode: err.code.startsWith("CT_CONFIG") ? 2 : 1 };
  const e = err as NodeJS.ErrnoException & { port?: number; address?: string };
  if (e?.code === "EADDRINUSE") {
    return {
      message:
        `EADDRINUSE: port ${e.port ?? "?"} on ${e.address ?? "127.0.0.1"} is already in use (another cardterm, or a broker?)` +
        "; stop it, or choose other ports: cardterm-demo --api-port N --mqtt-port N --hq-port N",
      exitCode: 1,
    };
  }
  return undefined;
}

runMain("cardterm-demo", DEMO_CLI, explain);
