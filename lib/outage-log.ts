/**
 * How a link that keeps retrying tells the log about it: the first failure at once, then
 * again only as the outage doubles in length (10 s, 20 s, 40 s, …), and one line when it
 * is back, saying after how many attempts and how long. Head office used to write
 * a warning about once a second while the broker was down (947 lines in 15 min);
 * this gives a handful for any outage, whatever the retry cadence. Pure: the clock and
 * the log are injected; tills and head office both use it.
 */
export interface OutageLogSink {
  warn(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
}

export interface OutageLogOptions {
  /** What is unreachable, for the messages: "MQTT broker". */
  what: string;
  log: OutageLogSink;
  now: () => number;
  /** The outage length that earns the second line; each later one doubles it. Default 10 s. */
  firstRepeatMs?: number;
}

export class OutageLog {
  private since: number | null = null;
  private attempts = 0;
  private nextLineAtMs = 0;

  constructor(private readonly opts: OutageLogOptions) {}

  /** An attempt failed (or the link dropped); `retryInMs` is when the next one is due. */
  failed(err: string | null, retryInMs?: number): void {
    const now = this.opts.now();
    this.attempts++;
    const fields = { attempts: this.attempts, err, ...(retryInMs === undefined ? {} : { retryInMs }) };
    if (this.since === null) {
      this.since = now;
      this.nextLineAtMs = this.opts.firstRepeatMs ?? 10_000;
      this.opts.log.warn(fields, `${this.opts.what} unreachable; retrying with backoff`);
      return;
    }
    const downMs = now - this.since;
    if (downMs < this.nextLineAtMs) return;
    while (this.nextLineAtMs <= downMs) this.nextLineAtMs *= 2;
    this.opts.log.warn({ ...fields, downMs }, `${this.opts.what} still unreachable after ${seconds(downMs)}`);
  }

  /** Connected: one line if there was an outage, then ready for the next. */
  recovered(): void {
    if (this.since === null) return;
    const downMs = this.opts.now() - this.since;
    this.opts.log.info(
      { attempts: this.attempts, downMs },
      `${this.opts.what} back after ${this.attempts} attempts (${seconds(downMs)} down)`,
    );
    this.since = null;
    this.attempts = 0;
  }
}

function seconds(ms: number): string {
  return `${Math.round(ms / 1000)} s`;
}
