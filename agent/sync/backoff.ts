/**
 * Capped exponential backoff with full jitter. A fleet of terminals that lost the
 * broker together must not hammer it together when it returns (STYLE: avoid a fixed
 * 1-second reconnect loop), so each delay is drawn at random below the current cap.
 */
export interface BackoffOptions {
  baseMs: number;
  capMs: number;
  random?: () => number;
}

export class Backoff {
  private attempt = 0;

  constructor(private readonly opts: BackoffOptions) {}

  next(): number {
    const ceiling = Math.min(this.opts.capMs, this.opts.baseMs * 2 ** this.attempt);
    this.attempt = Math.min(this.attempt + 1, 30);
    const r = (this.opts.random ?? Math.random)();
    // Never below half the ceiling: full jitter with a floor keeps retries from bunching at 0.
    return Math.round(ceiling / 2 + (r * ceiling) / 2);
  }

  reset(): void {
    this.attempt = 0;
  }
}
