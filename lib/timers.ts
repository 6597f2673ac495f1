/**
 * Timers behind an interface, beside the injected clock (`now: () => number`): the till's
 * and head office's parts take a `Timers` and never call the global setTimeout/setInterval,
 * so a test (or a fleet simulation) runs them under virtual time (timers-virtual.ts) with no
 * real waiting. `realTimers` is the process's own; test/lib/timers-injected.test.ts checks
 * that agent/ and server/ call the globals nowhere else.
 *
 * The shapes are Node's (a handle with `unref`, `clear*` taking undefined), so a part reads
 * as it did with the globals: `this.timers.setTimeout(fn, ms)`.
 */

/** A scheduled callback; `unref` lets the process exit without waiting for it (Node's meaning). */
export interface Timer {
  unref(): Timer;
}

export interface Timers {
  setTimeout(fn: () => void, ms: number): Timer;
  clearTimeout(timer: Timer | null | undefined): void;
  setInterval(fn: () => void, ms: number): Timer;
  clearInterval(timer: Timer | null | undefined): void;
}

/** Node's timers: what every part gets unless a test or a simulation gives it virtual ones. */
export const realTimers: Timers = {
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (timer) => clearTimeout(timer as NodeJS.Timeout | undefined),
  setInterval: (fn, ms) => setInterval(fn, ms),
  clearInterval: (timer) => clearInterval(timer as NodeJS.Timeout | undefined),
};

/** Resolves after `ms`, or sooner when `signal` aborts (a wait its deadline cut short). */
export function sleep(timers: Timers, ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      timers.clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    };
    const timer = timers.setTimeout(done, ms);
    signal?.addEventListener("abort", done, { once: true });
  });
}

/** True when `p` fulfils within `ms`, false when `ms` passes first; a rejection of `p` is passed on. */
export function settlesWithin(timers: Timers, p: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: Timer | undefined;
  const timeout = new Promise<boolean>((resolve) => {
    timer = timers.setTimeout(() => resolve(false), ms);
  });
  return Promise.race([p.then(() => true), timeout]).finally(() => timers.clearTimeout(timer));
}
