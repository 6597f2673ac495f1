#!/usr/bin/env node
/**
 * The `cardterm` command.
 *
 *   cardterm run --config /etc/cardterm/cardterm.yaml   the agent, as systemd runs it
 *   cardterm demo [--api-port 7070] [--dir ./var/demo]  everything on embedded defaults
 *
 * Errors a technician can meet print their stable code and exit non-zero; an invalid
 * config exits 2 (never retried: systemd should not loop on it).
 */
import { parseArgs } from "node:util";
import { isCardtermError } from "../../protocol/errors.js";
import { runDemo } from "../demo/run-demo.js";
import { AGENT_VERSION } from "../version.js";
import { closeCommand } from "./close-command.js";
import { configCommand } from "./config-command.js";
import { doctorCommand } from "./doctor-command.js";
import { journalCommand } from "./journal-command.js";
import { receiptCommand } from "./receipt-command.js";
import { runCommand, untilSignal } from "./run-command.js";

const USAGE = `cardterm ${AGENT_VERSION} — membership-card terminal agent

usage:
  cardterm run --config FILE     run the agent with a technician's YAML config
  cardterm demo [--api-port N] [--api-host H] [--mqtt-port N] [--dir DIR]
                                 run the demo: embedded broker, central server, simulated reader
  cardterm journal verify|list|export --csv --config FILE
                                 the journal on the box: verify the chain, list, export
  cardterm close --config FILE [--day YYYY-MM-DD] [--csv FILE | --xlsx FILE | --json]
                                 the daily close (日结) rebuilt from the journal: summary, CSV, XLSX or JSON
  cardterm receipt reprint TXN_ID|list|self-test --config FILE
                                 receipts: print one again (marked REPRINT), list kept ones, self-test page
  cardterm config check FILE [--elsewhere]
                                 check a config file: every problem with file:line and the fix
  cardterm config schema         print the config's JSON Schema (for editor completion)
  cardterm doctor [--config FILE] [--json] [--print | --no-print] [--wait-tap N] [--lang zh-CN|en]
                                 check readers, printer, broker, server clock, disk, journal: PASS/WARN/FAIL with the fix
  cardterm config migrate FILE [--dry-run]
                                 update an older config format (keeps FILE.bak-vN)
  cardterm --version
`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case "run":
      return runCommand(rest);
    case "demo":
      return demo(rest);
    case "config":
      return configCommand(rest);
    case "journal":
      return journalCommand(rest);
    case "receipt":
      return receiptCommand(rest);
    case "close":
      return closeCommand(rest);
    case "doctor":
      return doctorCommand(rest);
    case "--version":
    case "version":
      console.log(AGENT_VERSION);
      return 0;
    case undefined:
    case "help":
    case "--help":
    case "-h":
      console.log(USAGE);
      return command === undefined ? 2 : 0;
    default:
      console.error(`unknown command "${command}"\n\n${USAGE}`);
      return 2;
  }
}

async function demo(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      "api-port": { type: "string" },
      "api-host": { type: "string" },
      "mqtt-port": { type: "string" },
      dir: { type: "string" },
    },
  });
  const running = await runDemo({
    apiPort: values["api-port"] ? Number(values["api-port"]) : 7070,
    apiHost: values["api-host"],
    mqttPort: values["mqtt-port"] ? Number(values["mqtt-port"]) : 1883,
    dir: values.dir ?? "var/demo",
  });
  await untilSignal();
  await running.close();
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    if (isCardtermError(err)) {
      console.error(err.message);
      process.exit(err.code.startsWith("CT_CONFIG") ? 2 : 1);
    }
    const e = err as NodeJS.ErrnoException & { port?: number; address?: string };
    if (e.code === "EADDRINUSE") {
      console.error(
        `port ${e.port ?? "?"} on ${e.address ?? "127.0.0.1"} is already in use (another cardterm, or a broker?)` +
          "; stop it, or choose other ports: cardterm demo --api-port N --mqtt-port N",
      );
      process.exit(1);
    }
    console.error(err);
    process.exit(1);
  },
);
