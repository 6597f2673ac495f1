/**
 * What a reader driver shows in `status()`: its state and detail, when it last saw an
 * event, and the `silent` state of a reader that is open but has read nothing for a long
 * time. Each change is logged and emitted as a `status` event; a throwing listener is
 * logged, never thrown into the driver.
 */
import type { ReaderState, ReaderStatus } from "./card-reader.js";
import { type ReaderLog, type ReaderTimers, safely } from "./reader-deps.js";

export interface ReaderHealthOptions {
  readerId: string;
  type: string;
  /** How logs name the device, e.g. "serial reader". */
  label: string;
  timers: ReaderTimers;
  log: ReaderLog;
  silentAfterMs: number;
  /** Silence is only reported while the device is open. */
  isOpen: () => boolean;
  /** The detail of a silent reader that reads again; default none. */
  presentDetail?: () => string | undefined;
  emit: (status: ReaderStatus) => void;
}

export class ReaderHealth {
  private current: ReaderState = "starting";
  private detail: string | undefined;
  private lastEventAt: number | null = null;
  private silenceTimer: unknown;

  constructor(private readonly options: ReaderHealthOptions) {}

  get state(): ReaderState {
    return this.current;
  }

  status(): ReaderStatus {
    const status: ReaderStatus = {
      id: this.options.readerId,
      type: this.options.type,
      state: this.current,
      lastEventAt: this.lastEventAt === null ? null : new Date(this.lastEventAt).toISOString(),
    };
    if (this.detail !== undefined) status.detail = this.detail;
    return status;
  }

  setState(state: ReaderState, detail: string | undefined): void {
    if (state === this.current && detail === this.detail) return;
    const changed = state !== this.current;
    this.current = state;
    this.detail = detail;
    const { log, readerId } = this.options;
    if (changed) {
      const level = state === "lost" || state === "error" || state === "unavailable" ? "warn" : "info";
      log(level, `${this.options.label} ${state}`, { reader: readerId, detail });
    }
    const status = this.status();
    safely(log, readerId, "status", () => this.options.emit(status));
  }

  /** Records a device event (reader attached or removed) without touching the state. */
  eventAt(at: number): void {
    this.lastEventAt = at;
  }

  /** The device opened at `at`: present, with the silence clock started. */
  opened(at: number, detail: string | undefined): void {
    this.lastEventAt = at;
    this.setState("present", detail);
    this.armSilence();
  }

  /** A read or card event at `at`: a silent reader is present again, and the silence clock restarts. */
  alive(at: number): void {
    this.lastEventAt = at;
    if (this.current === "silent") this.setState("present", this.options.presentDetail?.());
    this.armSilence();
  }

  armSilence(): void {
    this.stopSilence();
    const { silentAfterMs, timers } = this.options;
    if (!(silentAfterMs > 0) || !Number.isFinite(silentAfterMs)) return;
    this.silenceTimer = timers.setTimeout(() => {
      this.silenceTimer = undefined;
      if (this.current === "present" && this.options.isOpen()) {
        this.setState("silent", `no card read for ${Math.round(silentAfterMs / 60_000)} min`);
      }
    }, silentAfterMs);
  }

  stopSilence(): void {
    if (this.silenceTimer !== undefined) this.options.timers.clearTimeout(this.silenceTimer);
    this.silenceTimer = undefined;
  }
}
