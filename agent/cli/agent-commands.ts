/**
 * The `cardterm` command table: every command and group of the agent's tool, declared
 * once. Help, usage errors, completion and test/unit/cli-walk.test.ts all come from it;
 * a new command goes here (its options and examples next to its handler).
 */
import { bashCompletion } from "../../lib/cli/bash-completion.js";
import type { CliSpec, CommandSpec } from "../../lib/cli/command-spec.js";
import { AGENT_VERSION } from "../version.js";
import { CLOSE_COMMAND } from "./close-command.js";
import { CONFIG_COMMANDS } from "./config-command.js";
import { DOCTOR_COMMAND } from "./doctor-command.js";
import { JOURNAL_COMMANDS } from "./journal-command.js";
import { RECEIPT_COMMANDS } from "./receipt-command.js";
import { RUN_COMMAND } from "./run-command.js";

const COMPLETION_COMMAND: CommandSpec = {
  path: "completion bash",
  summary: "print the bash completion script",
  examples: [
    "source <(cardterm completion bash)",
    "cardterm completion bash > /etc/bash_completion.d/cardterm   # the Debian package installs it",
  ],
  run: () => {
    console.log(bashCompletion(AGENT_CLI));
    return 0;
  },
};

export const AGENT_CLI: CliSpec = {
  name: "cardterm",
  version: AGENT_VERSION,
  summary: `cardterm ${AGENT_VERSION}: the membership-card terminal agent, and the technician's tools on the till`,
  groups: [
    { path: "journal", summary: "the journal on the box: verify the chain, list, export" },
    { path: "receipt", summary: "receipts: print one again (marked REPRINT), list kept ones, the self-test page" },
    { path: "config", summary: "check, describe or migrate a config file" },
    { path: "completion", summary: "shell completion scripts" },
  ],
  commands: [
    RUN_COMMAND,
    ...JOURNAL_COMMANDS,
    CLOSE_COMMAND,
    ...RECEIPT_COMMANDS,
    ...CONFIG_COMMANDS,
    DOCTOR_COMMAND,
    COMPLETION_COMMAND,
  ],
  footer: `One command's options and examples: cardterm COMMAND --help (e.g. cardterm journal verify --help).
Exit status: 0 done, 1 the command failed (its code says why: docs/errors.md), 2 called wrongly or an invalid config.`,
};
