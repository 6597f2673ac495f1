/**
 * `cardterm run --config FILE`: the agent as systemd runs it (deploy/systemd/cardterm.service).
 *
 * - READY=1 once the API listens (startAgent returns only then), with a STATUS= line that
 *   follows the agent ("online, 3 pending", status-line.ts);
 * - WATCHDOG=1 every half WatchdogSec while the event loop turns freely and the journal
 *   takes approvals (health-watch.ts says why those two);
 * - SIGHUP (`systemctl reload cardterm`) and a change of the config file reload it
 *   (agent/runtime/reload.ts), bracketed by RELOADING=1 … READY=1;
 * - SIGTERM or SIGINT: STOPPING=1, then the agent closes (the transaction being committed
 *   finishes first).
 *
 * Every notification is a no-op without NOTIFY_SOCKET (a terminal, Docker).
 */
import { loadConfig } from "../../config/load-config.js";
import type { CommandSpec } from "../../lib/cli/command-spec.js";
import { runSome } from "../../lib/cli/run-cli.js";
import { type RunningAgent, startAgent } from "../agent.js";
import { createLogger, type Logger } from "../logger.js";
import { watchConfigFile } from "../runtime/config-watch.js";
import { startHealthWatch } from "../runtime/health-watch.js";
import type { ReloadTrigger } from "../runtime/reload-report.js";
import { type SdNotify, startSdNotify, watchdogInterval } from "../runtime/sd-notify.js";
import { statusLine } from "../runtime/status-line.js";
import { CONFIG_OPTION, CONSOLE_OUTPUT } from "./common-options.js";

/** How often the STATUS= line is recomputed (sent only when it changed). */
const STATUS_EVERY_MS = 5_000;
/** A stall shorter than this never skips a watchdog ping, however short WatchdogSec is. */
const MIN_STALL_MS = 1_000;

export const RUN_COMMAND: CommandSpec = {
  path: "run",
  summary: "run the agent with a technician's YAML config (as systemd runs it)",
  options: [CONFIG_OPTION],
  env: [
    "NOTIFY_SOCKET, WATCHDOG_USEC  set by systemd: readiness, status and watchdog pings",
    "CARDTERM_LOG_LEVEL  the log level (default info); logs go to stdout (journalctl -u cardterm)",
  ],
  examples: [
    "cardterm run --config /etc/cardterm/cardterm.yaml",
    "systemctl start cardterm   # the same, under systemd",
  ],
  run: ({ values }) => runAgent(values.config as string),
};

/** `cardterm run …` from an argument list (test helpers start the agent this way). */
export function runCommand(args: string[]): Promise<number> {
  return runSome("cardterm", [RUN_COMMAND], ["run", ...args], CONSOLE_OUTPUT);
}

async function runAgent(file: string): Promise<number> {
  const log = createLogger();
  // Before anything slow: Node's default for SIGHUP is to exit, which must not happen to a
  // technician who reloads a till that is still starting. That reload runs once it is up.
  let reloadWanted = false;
  let onHup = () => {
    reloadWanted = true;
  };
  const hup = () => onHup();
  process.on("SIGHUP", hup);
  try {
    const agent = await startAgent(await loadConfig(file), { log });
    await serve(agent, file, log, (handler) => {
      onHup = handler;
      if (reloadWanted) handler();
    });
  } finally {
    process.off("SIGHUP", hup);
  }
  return 0;
}

async function serve(
  agent: RunningAgent,
  file: string,
  log: Logger,
  onSighup: (handler: () => void) => void,
): Promise<void> {
  // The stall probe only runs when a watchdog asks for health (no wake-ups for nothing).
  const interval = watchdogInterval(process.env, process.pid);
  const health =
    interval === undefined
      ? undefined
      : startHealthWatch({
          journalOk: () => agent.ledger.checkIntegrity().ok,
          stallMs: Math.max(MIN_STALL_MS, interval / 2),
          log,
        });
  const notify = startSdNotify({ healthy: () => health?.check().healthy ?? true, log });
  const line = () => statusLine(statusFacts(agent));
  let lastLine = line();
  await notify.ready(lastLine);

  const reload = reloader(agent, notify, line, log);
  onSighup(() => reload("signal"));
  const watch = watchConfigFile(file, () => reload("file"), { log });
  const statusTimer = setInterval(() => {
    const now = line();
    if (now === lastLine) return;
    lastLine = now;
    void notify.status(now);
  }, STATUS_EVERY_MS);
  statusTimer.unref();

  await untilSignal();
  await notify.stopping();
  watch.close();
  clearInterval(statusTimer);
  health?.stop();
  await agent.close();
  notify.close();
}

/** A reload bracketed for systemd; never throws (a refusal is reported by the agent itself). */
function reloader(agent: RunningAgent, notify: SdNotify, line: () => string, log: Logger) {
  return (trigger: ReloadTrigger): void => {
    void (async () => {
      await notify.reloading();
      try {
        await agent.reload(trigger);
      } catch (err) {
        log.warn({ err: (err as Error).message }, "config reload did not run");
      }
      await notify.ready(line());
    })();
  };
}

function statusFacts(agent: RunningAgent) {
  const pending = agent.ledger.pending();
  const printer = agent.receipts.printer;
  const last = agent.lastReload();
  return {
    connected: agent.link.status().connected,
    pending: pending.length,
    oldestPendingAt: pending[0]?.at ?? null,
    journalOk: agent.ledger.checkIntegrity().ok,
    printerState: printer.type === "none" ? null : printer.status().state,
    receiptsWaiting: agent.receipts.queue.status().pending,
    reloadRefused: last?.code ?? null,
    now: Date.now(),
  };
}

export function untilSignal(): Promise<void> {
  return new Promise((resolve) => {
    process.once("SIGINT", () => resolve());
    process.once("SIGTERM", () => resolve());
  });
}
