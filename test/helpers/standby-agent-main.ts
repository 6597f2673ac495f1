/**
 * Entry point of a standby agent process (standby-agents.ts): the agent's modules are
 * loaded, then it waits for a line on stdin and only then runs `cardterm run --config
 * FILE`, the same function the CLI calls. Loading is what makes a restart slow; the kill
 * loop loads the next process while the current one is still serving, so a restart costs
 * only the agent's own start-up (opening the journal, resolving what it left, listening).
 *
 *   node <bundle of this file> CONFIG
 *
 * If the parent goes away before saying "go", stdin ends and the process exits: no
 * orphan is left waiting.
 */

import { runCommand } from "../../agent/cli/run-command.js";
import { isCardtermError } from "../../protocol/errors.js";

const config = process.argv[2];
if (!config) {
  console.error("usage: standby-agent-main CONFIG");
  process.exit(2);
}

const onEnd = () => process.exit(0);
process.stdin.once("end", onEnd);
process.stdin.once("data", () => {
  process.stdin.off("end", onEnd);
  process.stdin.pause();
  runCommand(["--config", config]).then(
    (code) => process.exit(code),
    (err: unknown) => {
      console.error(isCardtermError(err) ? err.message : err);
      process.exit(1);
    },
  );
});
