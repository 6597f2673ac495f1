/**
 * Telling systemd how the agent is doing (sd_notify(3)): READY=1 once it serves, STATUS=
 * lines for `systemctl status`, RELOADING=1 … READY=1 around a config reload, WATCHDOG=1
 * every half WatchdogSec while it is healthy, STOPPING=1 when it shuts down. A no-op when
 * NOTIFY_SOCKET is unset (a terminal, the demo, Docker). `cardterm run` wires it
 * (agent/cli/run-command.ts).
 *
 * `healthy` lets a stuck agent be restarted: while it returns false no WATCHDOG=1 is sent,
 * and systemd kills and restarts the service after WatchdogSec (docs/deploy.md).
 *
 * Why a child process: the notify socket is a unix DATAGRAM socket, which Node cannot open.
 * `systemd-notify` (part of systemd, so present wherever NOTIFY_SOCKET is set) sends the
 * message and, by default, waits until systemd has read it (a barrier). Without that wait
 * systemd may look the sender up after it has exited and drop the message, which is why
 * the unit says NotifyAccess=all and this module never passes --no-block.
 */
import { spawn } from "node:child_process";

export interface SdNotifyLog {
  warn(obj: object, msg: string): void;
}

export interface SdNotifyOptions {
  /** Where NOTIFY_SOCKET, WATCHDOG_USEC and WATCHDOG_PID are read. Default process.env. */
  env?: NodeJS.ProcessEnv;
  /** While this returns false, the watchdog is not fed (systemd will restart the agent). */
  healthy?: () => boolean;
  log?: SdNotifyLog;
  /** Sends one notification; default runs systemd-notify. For tests. */
  send?: (fields: readonly string[], env: NodeJS.ProcessEnv) => Promise<void>;
  /** This process's pid, compared with WATCHDOG_PID. Default process.pid. */
  pid?: number;
}

export interface SdNotify {
  /** True when NOTIFY_SOCKET is set: messages really go somewhere. */
  readonly enabled: boolean;
  /** The watchdog interval in ms (half of WatchdogSec), or undefined when there is none. */
  readonly watchdogIntervalMs: number | undefined;
  ready(status?: string): Promise<void>;
  /** A new STATUS= line (shown by `systemctl status`). */
  status(text: string): Promise<void>;
  /** A config reload begins; systemd expects READY=1 when it is over. */
  reloading(): Promise<void>;
  stopping(): Promise<void>;
  /** Stop the watchdog timer. Safe to call twice. */
  close(): void;
}

/** Longest a notification may take; systemd answers within milliseconds when it is alive. */
const SEND_TIMEOUT_MS = 10_000;

export function startSdNotify(opts: SdNotifyOptions = {}): SdNotify {
  const env = opts.env ?? process.env;
  const socket = env.NOTIFY_SOCKET;
  const send = opts.send ?? runSystemdNotify;
  const interval = socket ? watchdogInterval(env, opts.pid ?? process.pid) : undefined;
  let queue = Promise.resolve();
  let closed = false;

  // One at a time, in order: READY=1 must not overtake the first WATCHDOG=1, nor STOPPING=1 READY=1.
  const notify = (fields: string[]): Promise<void> => {
    if (!socket) return Promise.resolve();
    queue = queue.then(() =>
      send(fields, env).catch((err: Error) => opts.log?.warn({ err: err.message, fields }, "systemd notify failed")),
    );
    return queue;
  };

  let timer: NodeJS.Timeout | undefined;
  if (interval !== undefined) {
    timer = setInterval(() => {
      if (opts.healthy === undefined || opts.healthy()) void notify(["WATCHDOG=1"]);
    }, interval);
    timer.unref();
  }

  return {
    enabled: socket !== undefined && socket !== "",
    watchdogIntervalMs: interval,
    ready: (status) => notify(status ? ["READY=1", `STATUS=${oneLine(status)}`] : ["READY=1"]),
    status: (text) => notify([`STATUS=${oneLine(text)}`]),
    // systemd wants the monotonic time with RELOADING=1 (sd_notify(3)): CLOCK_MONOTONIC in µs.
    reloading: () => notify(["RELOADING=1", `MONOTONIC_USEC=${process.hrtime.bigint() / 1000n}`]),
    // No WATCHDOG=1 after STOPPING=1: the timer could otherwise slip one in behind it.
    stopping: () => {
      if (timer) clearInterval(timer);
      return notify(["STOPPING=1"]);
    },
    close() {
      if (closed) return;
      closed = true;
      if (timer) clearInterval(timer);
    },
  };
}

/**
 * Half of WatchdogSec, from WATCHDOG_USEC (microseconds), as sd_watchdog_enabled(3) reads
 * it; undefined when absent, malformed, or meant for another process (WATCHDOG_PID).
 */
export function watchdogInterval(env: NodeJS.ProcessEnv, pid: number): number | undefined {
  const usec = Number(env.WATCHDOG_USEC);
  if (!Number.isSafeInteger(usec) || usec <= 0) return undefined;
  if (env.WATCHDOG_PID !== undefined && Number(env.WATCHDOG_PID) !== pid) return undefined;
  return Math.max(1, Math.floor(usec / 2000));
}

/** A status line must not smuggle a second field in. */
function oneLine(text: string): string {
  return text.replace(/[\r\n]+/g, " ");
}

function runSystemdNotify(fields: readonly string[], env: NodeJS.ProcessEnv): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn("systemd-notify", [...fields], {
      env: { PATH: env.PATH ?? "/usr/bin:/bin", NOTIFY_SOCKET: env.NOTIFY_SOCKET },
      stdio: ["ignore", "ignore", "pipe"],
      timeout: SEND_TIMEOUT_MS,
    });
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => {
      stderr = (stderr + chunk.toString("utf8")).slice(-500);
    });
    child.on("error", reject);
    child.on("close", (code, signal) => {
      if (code === 0) resolve();
      else
        reject(new Error(`systemd-notify ${fields.join(" ")} failed (${signal ?? `exit ${code}`}): ${stderr.trim()}`));
    });
  });
}
