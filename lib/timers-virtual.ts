/**
 * Virtual time: a clock and timers that move only when told (`advance`), so a part of the
 * till that waits 30 s for a reply, backs off for a minute or beats every 30 s is tested
 * in milliseconds, and the same seed gives the same order of events every run. Pass the
 * object as the part's `timers` and its `now` as the part's clock.
 *
 * Timers fire in the order of their due time, and in the order they were set when due at
 * the same time, as Node's do. After each one the promise jobs it started run (and one
 * turn of the real event loop, so a callback's `await` of already-settled work finishes)
 * before the next is due: a retry scheduled by a timer's callback fires in the same
 * `advance` when it falls inside it.
 */
import type { Timer, Timers } from "./timers.js";

interface Scheduled {
  id: number;
  at: number;
  /** Set for an interval: its period. */
  every: number | undefined;
  fn: () => void;
}

/** Node's rule: a delay below 1 ms or past a 32-bit int is 1 ms. */
const MAX_DELAY = 2 ** 31 - 1;
const delayOf = (ms: number): number => (ms >= 1 && ms <= MAX_DELAY ? ms : 1);

class VirtualTimer implements Timer {
  constructor(readonly id: number) {}
  unref(): Timer {
    return this; // nothing keeps a process alive in virtual time
  }
}

export class VirtualTime implements Timers {
  #now: number;
  #nextId = 1;
  readonly #scheduled = new Map<number, Scheduled>();

  /** `startMs`: the wall-clock time virtual time starts at (default 2026-01-05 09:00 UTC, a Monday). */
  constructor(startMs = Date.UTC(2026, 0, 5, 9)) {
    this.#now = startMs;
  }

  /** The virtual clock (bound: pass it as a part's `now`). */
  readonly now = (): number => this.#now;

  setTimeout(fn: () => void, ms: number): Timer {
    return this.#add(fn, delayOf(ms), undefined);
  }

  setInterval(fn: () => void, ms: number): Timer {
    const every = delayOf(ms);
    return this.#add(fn, every, every);
  }

  clearTimeout(timer: Timer | null | undefined): void {
    if (timer instanceof VirtualTimer) this.#scheduled.delete(timer.id);
  }

  clearInterval(timer: Timer | null | undefined): void {
    this.clearTimeout(timer);
  }

  /** Timers waiting to fire (a part that closed should leave none). */
  pending(): number {
    return this.#scheduled.size;
  }

  /** Move the clock `ms` on, firing every timer that falls due on the way, in order. */
  async advance(ms: number): Promise<void> {
    const until = this.#now + ms;
    await settle();
    for (;;) {
      const next = this.#due(until);
      if (!next) break;
      this.#now = next.at;
      if (next.every === undefined) this.#scheduled.delete(next.id);
      else next.at += next.every;
      next.fn();
      await settle();
    }
    this.#now = until;
  }

  #add(fn: () => void, delay: number, every: number | undefined): Timer {
    const id = this.#nextId++;
    this.#scheduled.set(id, { id, at: this.#now + delay, every, fn });
    return new VirtualTimer(id);
  }

  /** The earliest timer due by `until`; among equals, the one set first (lowest id). */
  #due(until: number): Scheduled | undefined {
    let best: Scheduled | undefined;
    for (const s of this.#scheduled.values()) {
      if (s.at > until) continue;
      if (!best || s.at < best.at || (s.at === best.at && s.id < best.id)) best = s;
    }
    return best;
  }
}

/** Let the promise jobs a callback started run, and one turn of the real loop. */
function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
