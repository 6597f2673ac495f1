/**
 * Asks the printer for its state every `intervalMs` (DLE EOT: paper out, paper near end,
 * cover open, no answer), and every `busyMs` while the printer is not ready or receipts
 * are waiting, so a printer that gets its paper back prints the queue within seconds.
 * Each change is a `status` event (the MQTT heartbeat and the console listen); `current()`
 * is the latest, for GET /api/v1/status. A printer with nothing to ask (preview, none) is
 * only read.
 */
import { EventEmitter } from "node:events";
import { canTakeJobs, type PrinterStatus, type ReceiptPrinter } from "../../drivers/printer/receipt-printer.js";
import { realTimers, type Timer, type Timers } from "../../lib/timers.js";

export interface PrinterMonitorOptions {
  printer: ReceiptPrinter;
  /** Poll period when all is well. */
  intervalMs: number;
  /** Poll period while the printer cannot print or receipts wait. Default min(intervalMs, 5 s). */
  busyMs?: number;
  /** Receipts waiting to print (the queue's count). */
  pending: () => number;
  /** The printer can take jobs again and some are waiting. */
  onReady: () => void;
  log?: { info(obj: object, msg: string): void };
  /** The polls' timers (default Node's). */
  timers?: Timers;
}

export class PrinterMonitor extends EventEmitter<{ status: [PrinterStatus] }> {
  private timer: Timer | null = null;
  private readonly timers: Timers;
  private last: PrinterStatus;
  private running: Promise<PrinterStatus> | null = null;
  private stopped = true;

  constructor(private readonly opts: PrinterMonitorOptions) {
    super();
    this.timers = opts.timers ?? realTimers;
    this.last = opts.printer.status();
  }

  /** Start polling (the first poll at once). */
  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    void this.poll();
  }

  /** Stop polling; waits for a poll in flight. Safe to call twice. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.timers.clearTimeout(this.timer);
    this.timer = null;
    await this.running;
  }

  /** The latest status (the printer's own view, refreshed by the polls). */
  current(): PrinterStatus {
    return this.opts.printer.status();
  }

  /** Ask now (e.g. for a self-test page). Never rejects. */
  refresh(): Promise<PrinterStatus> {
    this.running ??= this.ask().finally(() => {
      this.running = null;
    });
    return this.running;
  }

  /**
   * A receipt could not print: the state a job's own status check found is shown now
   * (a `status` event) instead of at the next quiet poll, and the next poll comes at the
   * busy cadence. Not a poll at once: a printer that drops every job would otherwise be
   * asked, found ready and handed the job again in a tight loop.
   */
  nudge(): void {
    if (this.stopped) return;
    this.note(this.opts.printer.status());
    if (!this.timer) return; // a poll is running: it picks the busy cadence itself
    this.timers.clearTimeout(this.timer);
    this.schedule(this.busyMs());
  }

  private async poll(): Promise<void> {
    const status = await this.refresh();
    if (this.stopped) return;
    const busy = !canTakeJobs(status.state) || status.state === "offline" || this.opts.pending() > 0;
    this.schedule(busy ? this.busyMs() : this.opts.intervalMs);
  }

  private busyMs(): number {
    return this.opts.busyMs ?? Math.min(this.opts.intervalMs, 5_000);
  }

  private schedule(delay: number): void {
    this.timer = this.timers
      .setTimeout(() => {
        this.timer = null;
        void this.poll();
      }, delay)
      .unref();
  }

  private async ask(): Promise<PrinterStatus> {
    const { printer } = this.opts;
    const now = printer.refreshStatus ? await printer.refreshStatus() : printer.status();
    this.note(now);
    // The printer answered and can print: waiting receipts need not sit out the backoff.
    if (canTakeJobs(now.state) && now.state !== "offline" && this.opts.pending() > 0) this.opts.onReady();
    return now;
  }

  /** Log and emit a change from the last status seen. */
  private note(now: PrinterStatus): void {
    const before = this.last;
    this.last = now;
    if (now.state === before.state && now.detail === before.detail) return;
    if (now.state !== before.state) {
      this.opts.log?.info({ printer: now.id, from: before.state, to: now.state, detail: now.detail }, "printer state");
    }
    this.emit("status", now);
  }
}
