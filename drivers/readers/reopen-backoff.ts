/**
 * Capped exponential backoff plus jitter for reopening a lost device
 * (docs/architecture.md#rules-of-the-house): a fleet of terminals must not reconnect in step
 * after a power cut.
 */
import type { ReaderLog, ReaderTimers } from "./reader-deps.js";

export interface BackoffOptions {
  initialMs: number;
  maxMs: number;
  /** Fraction of the delay added or taken at random, e.g. 0.2 for ±20%. */
  jitter: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { initialMs: 250, maxMs: 10_000, jitter: 0.2 };

export function backoffDelay(attempt: number, options: BackoffOptions, random: () => number): number {
  const base = Math.min(options.maxMs, options.initialMs * 2 ** Math.max(0, attempt - 1));
  return Math.max(0, Math.round(base * (1 + options.jitter * (2 * random() - 1))));
}

export interface ReopenTimerOptions {
  readerId: string;
  /** The debug line logged with each scheduled attempt, e.g. "reopening serial reader". */
  message: string;
  backoff: BackoffOptions;
  random: () => number;
  timers: ReaderTimers;
  log: ReaderLog;
}

/** Counts consecutive failures and schedules the next attempt after the backoff for that count. */
export class ReopenTimer {
  private failures = 0;
  private handle: unknown;

  constructor(private readonly options: ReopenTimerOptions) {}

  schedule(attempt: () => void): void {
    const { backoff, random, timers, log } = this.options;
    this.failures++;
    const delay = backoffDelay(this.failures, backoff, random);
    log("debug", this.options.message, { reader: this.options.readerId, attempt: this.failures, delayMs: delay });
    this.handle = timers.setTimeout(() => {
      this.handle = undefined;
      attempt();
    }, delay);
  }

  /** A link that flaps (opens, dies at once) keeps its backoff growing instead of resetting. */
  lostAfter(upForMs: number): void {
    if (upForMs >= this.options.backoff.maxMs) this.failures = 0;
  }

  cancel(): void {
    if (this.handle !== undefined) this.options.timers.clearTimeout(this.handle);
    this.handle = undefined;
  }
}
