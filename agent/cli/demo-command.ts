/** `cardterm demo`: everything on embedded defaults (README's quick start). */
import type { CommandSpec, ParsedInput } from "../../protocol/cli/command-spec.js";
import { textOf, UsageError } from "../../protocol/cli/command-spec.js";
import { runDemo } from "../demo/run-demo.js";
import { untilSignal } from "./run-command.js";

export const DEMO_COMMAND: CommandSpec = {
  path: "demo",
  summary: "run the demo: embedded broker, central server on PGlite, simulated reader, web console",
  options: [
    { flags: "--api-port <n>", help: "the agent's HTTP API and console port (default 7070)" },
    { flags: "--api-host <addr>", help: "the address the API listens on (default 127.0.0.1)" },
    { flags: "--mqtt-port <n>", help: "the embedded broker's port (default 1883)" },
    { flags: "--dir <dir>", help: "where the demo keeps its state (default ./var/demo)" },
  ],
  examples: ["cardterm demo", "cardterm demo --api-port 8080 --mqtt-port 11883 --dir /tmp/cardterm-demo"],
  run: (input) => demo(input),
};

async function demo(input: ParsedInput): Promise<number> {
  const running = await runDemo({
    apiPort: port(input, "api-port", 7070),
    apiHost: textOf(input, "api-host"),
    mqttPort: port(input, "mqtt-port", 1883),
    dir: textOf(input, "dir") ?? "var/demo",
  });
  await untilSignal();
  await running.close();
  return 0;
}

function port(input: ParsedInput, name: string, fallback: number): number {
  const text = textOf(input, name);
  if (text === undefined) return fallback;
  if (!/^[0-9]{1,5}$/.test(text) || Number(text) > 65535) throw new UsageError(`--${name} ${text} is not a port`);
  return Number(text);
}
