/**
 * The process around a command table, shared by the three commands (cardterm, cardterm-hq,
 * cardterm-demo): console output, the crash log an unexpected error is written to, and the
 * exit status. Each command passes its name, its table and the words for errors it knows.
 */
import { writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { CliSpec } from "./command-spec.js";
import { type Explain, runCli } from "./run-cli.js";

/** The whole error, for the support ticket: CARDTERM_CRASH_DIR, else the temp directory. */
function crashLogFor(name: string): (text: string) => string | undefined {
  return (text) => {
    const file = join(process.env.CARDTERM_CRASH_DIR ?? tmpdir(), `${name}-error-${Date.now()}-${process.pid}.log`);
    try {
      writeFileSync(file, text, { mode: 0o600 });
      return file;
    } catch {
      return undefined;
    }
  };
}

export function runMain(name: string, cli: CliSpec, explain: Explain): void {
  const io = { out: (t: string) => console.log(t), err: (t: string) => console.error(t), crashLog: crashLogFor(name) };
  runCli(cli, process.argv.slice(2), io, explain).then(
    (code) => process.exit(code),
    (err: unknown) => {
      // Only a fault in the command line itself gets here (runCli reports every run's error).
      console.error(`${name}: unexpected error: ${(err as Error)?.message ?? String(err)}`);
      process.exit(1);
    },
  );
}
