/**
 * What every supervised reader driver is given rather than importing
 * (docs/architecture.md#what-may-import-what): clock, random, timers, log, backoff and the
 * silence threshold, with the defaults used on a real terminal.
 */
import { type BackoffOptions, DEFAULT_BACKOFF } from "./reopen-backoff.js";

export interface ReaderTimers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export type LogLevel = "debug" | "info" | "warn" | "error";
export type ReaderLog = (level: LogLevel, msg: string, fields?: Record<string, unknown>) => void;

export interface SupervisedReaderDeps {
  now?: () => number;
  random?: () => number;
  timers?: ReaderTimers;
  log?: ReaderLog;
  backoff?: Partial<BackoffOptions>;
  /** Open but no card read for this long shows as `silent` (card readers send no heartbeat). */
  silentAfterMs?: number;
}

export type ReaderIo = Required<Omit<SupervisedReaderDeps, "backoff">> & { backoff: BackoffOptions };

export const DEFAULT_SILENT_AFTER_MS = 30 * 60_000;

const realTimers: ReaderTimers = {
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

const defaultLog: ReaderLog = (level, msg, fields) => {
  if (level === "warn" || level === "error") console.error(JSON.stringify({ level, msg, ...fields }));
};

export function readerIo(deps: SupervisedReaderDeps): ReaderIo {
  return {
    now: deps.now ?? Date.now,
    random: deps.random ?? Math.random,
    timers: deps.timers ?? realTimers,
    log: deps.log ?? defaultLog,
    backoff: { ...DEFAULT_BACKOFF, ...deps.backoff },
    silentAfterMs: deps.silentAfterMs ?? DEFAULT_SILENT_AFTER_MS,
  };
}

/** A throwing listener must not break the read loop or reach the device's stream. */
export function safely(log: ReaderLog, readerId: string, what: string, fn: () => void): void {
  try {
    fn();
  } catch (err) {
    log("error", `a ${what} listener threw`, { reader: readerId, err: String(err) });
  }
}
