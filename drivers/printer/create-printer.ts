/**
 * Builds the receipt printer the config asks for. `none` gives a printer that prints
 * nothing and says so: its jobs reject with CT_PRINTER_OFFLINE ("no printer configured"),
 * so a sale's outcome reports the receipt as not printed instead of pretending.
 */
import type { PrinterConfig } from "../../config/agent-config.js";
import { CardtermError } from "../../protocol/errors.js";
import { NetworkPrinter } from "./network-printer.js";
import { PreviewPrinter, type PrinterDeps } from "./preview-printer.js";
import type { PrinterStatus, PrintJob, PrintResult, ReceiptPrinter } from "./receipt-printer.js";
import { SerialPrinter } from "./serial-printer.js";
import { UsbPrinter } from "./usb-printer.js";

export type { PrinterDeps } from "./preview-printer.js";

/** The agent has one receipt printer; its id in status and logs. */
export const PRINTER_ID = "receipt";

export function createPrinter(config: PrinterConfig, deps: PrinterDeps): ReceiptPrinter {
  switch (config.type) {
    case "network":
      return new NetworkPrinter(PRINTER_ID, config, deps);
    case "serial":
      return new SerialPrinter(PRINTER_ID, config, deps);
    case "usb":
      return new UsbPrinter(PRINTER_ID, config, deps);
    case "preview":
      return new PreviewPrinter(PRINTER_ID, config, deps);
    case "none":
      return new NullPrinter(PRINTER_ID);
  }
}

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
