/**
 * The printer of `printer.type: none`: it prints nothing and says so. Its jobs reject with
 * CT_PRINTER_OFFLINE ("no printer configured"), so a sale's outcome reports the receipt as
 * not printed instead of pretending.
 */
import { CardtermError } from "../../protocol/errors.js";
import type { PrinterStatus, PrintJob, PrintResult, ReceiptPrinter } from "./receipt-printer.js";

export class NullPrinter implements ReceiptPrinter {
  readonly type = "none";

  constructor(readonly id: string) {}

  async print(job: PrintJob): Promise<PrintResult> {
    throw new CardtermError(
      "CT_PRINTER_OFFLINE",
      `no printer is configured (printer.type: none); receipt ${job.id} not printed`,
      {
        details: { printerType: "none", mayHavePrinted: false },
      },
    );
  }

  status(): PrinterStatus {
    return { id: this.id, type: this.type, state: "closed", lastPrintAt: null, detail: "no printer configured" };
  }

  async close(): Promise<void> {}
}
