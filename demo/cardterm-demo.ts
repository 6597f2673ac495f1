#!/usr/bin/env node
/**
 * The `cardterm-demo` command (`npm start`): the demo's command table is demo-command.ts;
 * this file gives it its output, its exit and the words for errors it knows, as
 * agent/cli/cardterm.ts does for the till's command.
 */
import { writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Explained, runCli } from "../lib/cli/run-cli.js";
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

/** The whole error, for the support ticket: CARDTERM_CRASH_DIR, else the temp directory. */
function crashLog(text: string): string | undefined {
  const file = join(process.env.CARDTERM_CRASH_DIR ?? tmpdir(), `cardterm-demo-error-${Date.now()}-${process.pid}.log`);
  try {
    writeFileSync(file, text, { mode: 0o600 });
    return file;
  } catch {
    return undefined;
  }
}

const io = { out: (t: string) => console.log(t), err: (t: string) => console.error(t), crashLog };
runCli(DEMO_CLI, process.argv.slice(2), io, explain).then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(`cardterm-demo: unexpected error: ${(err as Error)?.message ?? String(err)}`);
    process.exit(1);
  },
);
