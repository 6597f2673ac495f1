/**
 * The expiry job (docs/reconciliation.md): a hold the till has neither confirmed (its
 * journal entry, its `confirm`) nor released within the hold TTL is released here, with a
 * `hold-expired` alert. A till that crashed and never came back, or one that lost its data
 * directory, would otherwise keep the member's money held for ever.
 *
 * Several server instances may run it at once: each release locks the account and the row
 * and acts only on a row still held (holds.ts), so a hold is released once.
 */
import type { Logger } from "pino";
import { realTimers, type Timer, type Timers } from "../../lib/timers.js";
import type { Db } from "../db/db.js";
import { expiredHolds, releaseHold } from "./holds.js";

export interface HoldExpiryOptions {
  /** How often to look; default a minute (the TTL is minutes). */
  everyMs?: number | undefined;
  now?: (() => number) | undefined;
  /** The sweep's timer; default Node's. */
  timers?: Timers | undefined;
}

export class HoldExpiry {
  readonly #timers: Timers;
  readonly #timer: Timer;
  #running: Promise<number> | undefined;

  constructor(
    private readonly db: Db,
    private readonly log: Logger,
    private readonly opts: HoldExpiryOptions = {},
  ) {
    this.#timers = opts.timers ?? realTimers;
    this.#timer = this.#timers.setInterval(() => void this.sweep().catch(() => 0), opts.everyMs ?? 60_000).unref();
  }

  /** Releases every hold past its deadline; resolves with how many. One sweep at a time. */
  sweep(): Promise<number> {
    this.#running ??= this.#sweep().finally(() => {
      this.#running = undefined;
    });
    return this.#running;
  }

  async #sweep(): Promise<number> {
    const now = new Date((this.opts.now ?? Date.now)());
    let released = 0;
    for (;;) {
      const due = await expiredHolds(this.db, now);
      for (const hold of due) {
        try {
          const outcome = await releaseHold(this.db, { ...hold, terminalId: null, amount: 0, by: "expiry" });
          if (outcome.changed) released += 1;
        } catch (err) {
          this.log.error({ txnId: hold.txnId, err: (err as Error).message }, "expired hold not released");
          return released; // the next sweep tries again
        }
      }
      if (due.length < 100) break;
    }
    if (released > 0) this.log.warn({ released }, "holds not confirmed in time were released");
    return released;
  }

  stop(): void {
    this.#timers.clearInterval(this.#timer);
  }
}
