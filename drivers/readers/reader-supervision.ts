/**
 * The supervision kit every device reader driver is built with: injected IO with its
 * defaults (./reader-deps.ts), status and silence (./reader-health.ts), reopening with
 * backoff (./reopen-backoff.ts) and the same-card debounce (./tap-debouncer.ts). The
 * driver keeps what is specific to its device: how to open it, read it and lose it.
 */
import type { CardReader } from "./card-reader.js";
import { type ReaderIo, readerIo, type SupervisedReaderDeps } from "./reader-deps.js";
import { ReaderHealth, type ReaderHealthOptions } from "./reader-health.js";
import { ReopenTimer } from "./reopen-backoff.js";
import { TapDebouncer, type TapDebouncerOptions } from "./tap-debouncer.js";

export interface SupervisionOptions
  extends Pick<ReaderHealthOptions, "label" | "isOpen" | "presentDetail">,
    Pick<TapDebouncerOptions, "debounceMs" | "counters"> {
  /** The debug line of each scheduled reopen, e.g. "reopening serial reader". */
  reopenMessage: string;
}

export interface Supervision extends ReaderIo {
  health: ReaderHealth;
  reopen: ReopenTimer;
  debouncer: TapDebouncer;
}

/** Call from the driver's constructor once `id` is set. */
export function supervise(reader: CardReader, deps: SupervisedReaderDeps, options: SupervisionOptions): Supervision {
  const io = readerIo(deps);
  const { id: readerId, type } = reader;
  return {
    ...io,
    health: new ReaderHealth({ ...io, ...options, readerId, type, emit: (status) => reader.emit("status", status) }),
    reopen: new ReopenTimer({ ...io, readerId, message: options.reopenMessage }),
    debouncer: new TapDebouncer({ ...io, ...options, readerId, emit: (tap) => reader.emit("tap", tap) }),
  };
}
