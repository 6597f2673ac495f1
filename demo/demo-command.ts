/**
 * The `cardterm-demo` command table: one command, the demo, run with no arguments (what
 * `npm start` runs, README's quick start), configured by config/examples/demo.yaml.
 *
 * The demo is its own tool, not a `cardterm` subcommand: it wires the agent to the
 * central server (on PGlite) and an embedded broker, and the till's command must not
 * link head office (test/unit/import-direction.test.ts).
 */

import { untilSignal } from "../agent/cli/run-command.js";
import { AGENT_VERSION } from "../agent/version.js";
import type { CliSpec, CommandSpec, ParsedInput } from "../lib/cli/command-spec.js";
import { textOf, UsageError } from "../lib/cli/command-spec.js";
import { runDemo } from "./run-demo.js";

export const DEMO_COMMAND: CommandSpec = {
  path: "start",
  summary: "run the demo: embedded broker, central server on PGlite, simulated reader, web console",
  isDefault: true,
  options: [
    { flags: "--api-port <n>", help: "the agent's HTTP API and console port (default 7070, from demo.yaml)" },
    { flags: "--api-host <addr>", help: "the address the API listens on (default 127.0.0.1)" },
    { flags: "--mqtt-port <n>", help: "the embedded broker's port (default 1883)" },
    { flags: "--hq-port <n>", help: "head office's HTTP API port, on 127.0.0.1 (default 7071)" },
    { flags: "--dir <dir>", help: "where the demo keeps its state (default the repository's var/demo)" },
    { flags: "--config <file>", help: "the till config the demo runs (default config/examples/demo.yaml)" },
  ],
  examples: [
    "cardterm-demo",
    "cardterm-demo --api-port 8080 --mqtt-port 11883 --hq-port 8081 --dir /tmp/cardterm-demo",
    "npm start -- --api-port 8080   # the same from the repository (it builds first)",
  ],
  run: (input) => demo(input),
};

export const DEMO_CLI: CliSpec = {
  name: "cardterm-demo",
  version: AGENT_VERSION,
  summary: `cardterm-demo ${AGENT_VERSION}: the whole system on one box — till agent, head office and broker in one process`,
  groups: [],
  commands: [DEMO_COMMAND],
  footer: "With no command it starts the demo; its options: cardterm-demo start --help.",
};

async function demo(input: ParsedInput): Promise<number> {
  const running = await runDemo({
    apiPort: port(input, "api-port"),
    apiHost: textOf(input, "api-host"),
    mqttPort: port(input, "mqtt-port"),
    hqPort: port(input, "hq-port"),
    dir: textOf(input, "dir"),
    configFile: textOf(input, "config"),
  });
  await untilSignal();
  await running.close();
  return 0;
}

function port(input: ParsedInput, name: string): number | undefined {
  const text = textOf(input, name);
  if (text === undefined) return undefined;
  if (!/^[0-9]{1,5}$/.test(text) || Number(text) > 65535) throw new UsageError(`--${name} ${text} is not a port`);
  return Number(text);
}
