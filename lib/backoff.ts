/**
 * Capped exponential backoff with full jitter. A fleet of terminals that lost the
 * broker together must not hammer it together when it returns (as a fixed 1-second
 * reconnect loop would), so each delay is drawn at random below the current cap.
 * Pure (the random source is injected); the till's link, its print queue and head
 * office's link use it.
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

/**
 * Reconnecting to the MQTT broker, for tills and head office alike. The cap is for a
 * broker on the store's LAN or the chain's network (tills took 8–22 s to come
 * back with a 30 s cap): after any outage the next attempt is at most 5 s away, and with
 * the jitter a fleet's reconnects spread over 2.5–5 s — for a thousand tills ~400
 * connects a second, which Mosquitto takes easily (docs/deploy-broker.md).
 */
export const BROKER_RECONNECT: Readonly<BackoffOptions> = { baseMs: 1_000, capMs: 5_000 };
