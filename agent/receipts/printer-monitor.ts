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
}

export class PrinterMonitor extends EventEmitter<{ status: [PrinterStatus] }> {
  private timer: NodeJS.Timeout | null = null;
  private last: PrinterStatus;
  private running: Promise<PrinterStatus> | null = null;
  private stopped = true;

  constructor(private readonly opts: PrinterMonitorOptions) {
    super();
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
    if (this.timer) clearTimeout(this.timer);
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

  private async poll(): Promise<void> {
    const status = await this.refresh();
    if (this.stopped) return;
    const busy = !canTakeJobs(status.state) || status.state === "offline" || this.opts.pending() > 0;
    const delay = busy ? (this.opts.busyMs ?? Math.min(this.opts.intervalMs, 5_000)) : this.opts.intervalMs;
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.poll();
    }, delay);
    this.timer.unref?.();
  }

  private async ask(): Promise<PrinterStatus> {
    const { printer } = this.opts;
    const before = this.last;
    const now = printer.refreshStatus ? await printer.refreshStatus() : printer.status();
    this.last = now;
    if (now.state !== before.state || now.detail !== before.detail) {
      if (now.state !== before.state) {
        this.opts.log?.info(
          { printer: now.id, from: before.state, to: now.state, detail: now.detail },
          "printer state",
        );
      }
      this.emit("status", now);
    }
    // The printer answered and can print: waiting receipts need not sit out the backoff.
    if (canTakeJobs(now.state) && now.state !== "offline" && this.opts.pending() > 0) this.opts.onReady();
    return now;
  }
}
