/** Flags and output several `cardterm` commands share. */
import type { ProgramOutput } from "../../lib/cli/build-program.js";
import type { OptionSpec } from "../../lib/cli/command-spec.js";

/** Where the packaged agent's config lives (deploy/systemd/cardterm.service). */
export const DEFAULT_CONFIG = "/etc/cardterm/cardterm.yaml";

export const CONFIG_OPTION: OptionSpec = {
  flags: "-c, --config <file>",
  help: `the agent's YAML config, e.g. ${DEFAULT_CONFIG}`,
  required: true,
};

export const CONSOLE_OUTPUT: ProgramOutput = { out: (t) => console.log(t), err: (t) => console.error(t) };
