/**
 * Whether the agent deserves its next WATCHDOG=1 (sd-notify.ts asks on its own timer,
 * every half WatchdogSec). Two things make it unhealthy, each a case where a restart by
 * systemd fixes what the running process cannot:
 *
 * - **The event loop stalled.** The watchdog timer firing at all proves the loop turns;
 *   a loop that only just turns (a stall of seconds between turns: sales time out, the
 *   broker link drops its keep-alive) is sick all the same. Node's own event-loop delay
 *   histogram (perf_hooks.monitorEventLoopDelay) records the longest stall since the last
 *   ask; one at or above `stallMs` skips that ping. A single hiccup costs one ping, which
 *   systemd forgives (the next one comes within WatchdogSec); stalls that keep coming, or
 *   one longer than WatchdogSec, get the agent restarted.
 * - **The journal turned unusable while running** — an append failed and so did its
 *   undo, so the state on disk is uncertain and approvals are refused until a restart
 *   (terminal-ledger.ts); start-up cuts the uncertain tail. A journal found corrupt *at*
 *   start-up (tampering, a lost file) is not a watchdog matter: a restart cannot mend it,
 *   and a restart loop would only hide `GET /api/v1/status`, which tells the technician
 *   what is wrong. So only a change from usable to unusable counts.
 *
 * Asking (`check`) resets the stall measure: each answer covers one watchdog interval.
 */
import { monitorEventLoopDelay } from "node:perf_hooks";

export interface HealthWatchOptions {
  /** Whether the journal takes approvals now (TerminalLedger.checkIntegrity().ok). */
  journalOk: () => boolean;
  /** A stall at least this long makes the next check fail. */
  stallMs: number;
  log?: { warn(obj: object, msg: string): void };
}

export interface HealthCheck {
  healthy: boolean;
  /** The longest event-loop stall since the previous check, ms. */
  maxStallMs: number;
  /** Why it is not healthy, in words for the log; undefined when healthy. */
  problem?: string;
}

export interface HealthWatch {
  check(): HealthCheck;
  stop(): void;
}

export function startHealthWatch(opts: HealthWatchOptions): HealthWatch {
  const delay = monitorEventLoopDelay({ resolution: 20 });
  delay.enable();
  const journalOkAtStart = opts.journalOk();
  let stopped = false;
  return {
    check() {
      // max is in ns; with no sample yet it is 0.
      const maxStallMs = Math.round(delay.max / 1e6);
      delay.reset();
      const problems: string[] = [];
      if (maxStallMs >= opts.stallMs) problems.push(`the event loop stalled for ${maxStallMs} ms`);
      if (journalOkAtStart && !opts.journalOk()) problems.push("the journal stopped taking approvals");
      if (problems.length === 0) return { healthy: true, maxStallMs };
      const problem = problems.join("; ");
      opts.log?.warn({ maxStallMs }, `watchdog not fed: ${problem}`);
      return { healthy: false, maxStallMs, problem };
    },
    stop() {
      if (stopped) return;
      stopped = true;
      delay.disable();
    },
  };
}
