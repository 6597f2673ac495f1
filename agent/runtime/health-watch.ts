/**
 * Whether the agent deserves its next WATCHDOG=1 (sd-notify.ts asks on its own timer,
 * every half WatchdogSec). Two things make it unhealthy, each a case where a restart by
 * systemd fixes what the running process cannot:
 *
 * - **The event loop stalled.** The watchdog timer firing at all proves the loop turns;
 *   a loop that only just turns (a stall of seconds between turns: sales time out, the
 *   broker link drops its keep-alive) is sick all the same. A light timer (every 50 ms)
 *   notes how late it runs, and the check adds the time since its last run, so a stall
 *   that ended just before the check still counts. (perf_hooks.monitorEventLoopDelay
 *   was the first choice; on Node 20 it did not see a 300 ms block at all.) The longest
 *   stall since the last ask at or above `stallMs` skips that ping. A single hiccup costs one ping, which
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
import { performance } from "node:perf_hooks";

/** How often the stall probe runs: cheap, and fine enough for stalls of a second or more. */
const PROBE_MS = 50;

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
  let last = performance.now();
  let worst = 0;
  const probe = setInterval(() => {
    const now = performance.now();
    worst = Math.max(worst, now - last - PROBE_MS);
    last = now;
  }, PROBE_MS);
  probe.unref();
  const journalOkAtStart = opts.journalOk();
  return {
    check() {
      const maxStallMs = Math.round(Math.max(worst, performance.now() - last - PROBE_MS, 0));
      worst = 0;
      const problems: string[] = [];
      if (maxStallMs >= opts.stallMs) problems.push(`the event loop stalled for ${maxStallMs} ms`);
      if (journalOkAtStart && !opts.journalOk()) problems.push("the journal stopped taking approvals");
      if (problems.length === 0) return { healthy: true, maxStallMs };
      const problem = problems.join("; ");
      opts.log?.warn({ maxStallMs }, `watchdog not fed: ${problem}`);
      return { healthy: false, maxStallMs, problem };
    },
    stop() {
      clearInterval(probe);
    },
  };
}
