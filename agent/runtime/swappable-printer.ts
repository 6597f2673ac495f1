/**
 * The receipt printer the print queue and the monitor hold, whose device can be replaced
 * by a config reload (a new address, port or path) without rebuilding the queue.
 *
 * A swap waits for the print in progress to end on the old device — a receipt is never
 * cut off mid-way by a reload — and holds new jobs until the new device is in place; then
 * the old one is closed. Receipts are durable in the queue throughout, so nothing waiting
 * is lost: it prints on the new device.
 */
import type { PrinterStatus, PrintJob, PrintResult, ReceiptPrinter } from "../../drivers/printer/receipt-printer.js";

export class SwappablePrinter implements ReceiptPrinter {
  readonly id: string;
  private inner: ReceiptPrinter;
  private readonly inFlight = new Set<Promise<unknown>>();
  private swapping: Promise<void> | null = null;

  constructor(
    inner: ReceiptPrinter,
    private readonly log?: { warn(obj: object, msg: string): void },
  ) {
    this.id = inner.id;
    this.inner = inner;
  }

  get type(): string {
    return this.inner.type;
  }

  /** The device in use now (for tests and status). */
  get current(): ReceiptPrinter {
    return this.inner;
  }

  async print(job: PrintJob): Promise<PrintResult> {
    while (this.swapping) await this.swapping;
    const printing = this.inner.print(job);
    this.inFlight.add(printing);
    try {
      return await printing;
    } finally {
      this.inFlight.delete(printing);
    }
  }

  status(): PrinterStatus {
    return this.inner.status();
  }

  /** Always present here; printers with nothing to ask answer their current status. */
  refreshStatus(): Promise<PrinterStatus> {
    const inner = this.inner;
    return inner.refreshStatus ? inner.refreshStatus() : Promise.resolve(inner.status());
  }

  /** Put `next` in place once the print in progress ends; the old device is closed. */
  async swap(next: ReceiptPrinter): Promise<void> {
    while (this.swapping) await this.swapping;
    const done = (async () => {
      await Promise.allSettled([...this.inFlight]);
      const old = this.inner;
      this.inner = next;
      await old
        .close()
        .catch((err: Error) => this.log?.warn({ err: err.message }, "old printer did not close cleanly"));
    })();
    this.swapping = done;
    try {
      await done;
    } finally {
      this.swapping = null;
    }
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}
