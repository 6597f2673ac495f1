/**
 * The receipt-printer interface. The agent hands a printer a finished job (receiptline
 * markup, laid out by a template); the printer renders it for its device and reports
 * status. Printing never blocks or undoes an approved transaction: `print` resolves or
 * rejects with CT_PRINTER_OFFLINE, and the caller (agent/receipts/print-queue.ts) keeps
 * the job.
 */
import { isCardtermError } from "../../protocol/errors.js";

export interface PrintJob {
  /** Stable id, e.g. the transaction id; names preview files. */
  id: string;
  /** receiptline markup of the whole receipt. */
  markup: string;
  /**
   * Pulse the cash drawer after this receipt, if the printer has one (`drawerKick` in the
   * config). Set only for the first attempt of a cash transaction's receipt: a receipt
   * printed later, or again, must not open the till when nobody is standing at it.
   */
  openDrawer?: boolean;
}

export type PrinterState = "ready" | "paper-near-end" | "paper-out" | "cover-open" | "offline" | "unknown" | "closed";

export interface PrinterStatus {
  id: string;
  type: string;
  state: PrinterState;
  lastPrintAt: string | null;
  detail?: string;
}

export interface PrintResult {
  /** Where a preview of the receipt was written, if the printer keeps one. */
  previewPng?: string;
  previewSvg?: string;
  bytes: number;
}

export interface ReceiptPrinter {
  readonly id: string;
  readonly type: string;
  print(job: PrintJob): Promise<PrintResult>;
  status(): PrinterStatus;
  /**
   * Ask the device for its state (ESC/POS `DLE EOT`) and update `status()`. Never rejects
   * and never hangs: a printer that does not answer is "unknown", one that cannot be
   * reached "offline". Printers with nothing to ask (preview, none) leave it out.
   */
  refreshStatus?(): Promise<PrinterStatus>;
  close(): Promise<void>;
}

/** States in which a printer takes a job; the others hold the queue until they clear. */
export function canTakeJobs(state: PrinterState): boolean {
  return state !== "paper-out" && state !== "cover-open" && state !== "closed";
}

/**
 * Whether a failed print may have put (part of) the receipt on paper. Drivers say
 * `details.mayHavePrinted: false` when nothing reached the device (connection refused,
 * device missing); anything else — bytes written and then the link dropped, a timeout
 * with data in flight, an error of unknown origin — counts as "maybe". Part of a receipt
 * is not a receipt: whether the next copy says REPRINT is the print queue's call
 * (agent/receipts/checked-print.ts).
 */
export function mayHavePrinted(err: unknown): boolean {
  return !(isCardtermError(err) && err.details?.mayHavePrinted === false);
}
