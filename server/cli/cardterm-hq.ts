#!/usr/bin/env node
/**
 * cardterm-hq — the central server's command line: `run` serves terminals (and, with
 * --http-port, the head-office API); the other commands work on the ledger directly
 * (docs/back-office.md). USAGE in args.ts lists them all.
 *
 * DATABASE_URL, CARDTERM_HQ_MQTT_URL, CARDTERM_HQ_MQTT_USERNAME, CARDTERM_HQ_MQTT_PASSWORD,
 * CARDTERM_HQ_MQTT_CA / _CERT / _KEY, CARDTERM_HQ_HTTP_TOKEN and CARDTERM_HQ_ACTOR stand in
 * for options (passwords and tokens only from the environment or a file: argv is
 * world-readable). Errors go to stderr with their code; the exit status is 2 for a usage
 * error, 1 otherwise.
 */
import { isCardtermError } from "../../protocol/errors.js";
import { parse, USAGE, usage } from "./args.js";
import { card } from "./card-command.js";
import { member } from "./member-command.js";
import { operator, policy } from "./office-command.js";
import { report } from "./report-command.js";
import { run } from "./run-command.js";
import { terminalAdd } from "./terminal-command.js";

async function main(argv: string[]): Promise<void> {
  const { values, positionals } = parse(argv);
  const [command, sub, ...rest] = positionals;
  if (values.help || !command) {
    console.log(USAGE);
    return;
  }
  if (command === "run" && sub === undefined) return run(values);
  if (command === "terminal" && sub === "add" && rest.length <= 1) return terminalAdd(values, rest[0]);
  if (command === "card") return card(values, sub, rest);
  if (command === "member") return member(values, sub, rest);
  if (command === "operator") return operator(values, sub, rest);
  if (command === "policy") return policy(values, sub, rest);
  if (command === "report") return report(values, sub, rest);
  throw usage(`unknown command or extra arguments: ${positionals.join(" ")}`);
}

main(process.argv.slice(2)).then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(`cardterm-hq: ${describeError(err)}`);
    process.exit(isCardtermError(err) && err.details?.usage ? 2 : 1);
  },
);

/** A CardtermError carries its code in the message; others show theirs (ECONNREFUSED…) and the stack. */
function describeError(err: unknown): string {
  if (isCardtermError(err)) return err.message;
  const e = err as { code?: unknown; stack?: string; message?: string };
  const code = typeof e?.code === "string" ? `${e.code}: ` : "";
  return `${code}${e?.stack ?? e?.message ?? String(err)}`;
}
