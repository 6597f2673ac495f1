/**
 * The receipt-printer interface. The agent hands a printer a finished job (receiptline
 * markup, laid out by a template); the printer renders it for its device and reports
 * status. Printing never blocks or undoes an approved transaction: `print` resolves or
 * rejects with CT_PRINTER_OFFLINE, and the caller keeps the job.
 */

export interface PrintJob {
  /** Stable id, e.g. the transaction id; names preview files. */
  id: string;
  /** receiptline markup of the whole receipt. */
  markup: string;
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
  close(): Promise<void>;
}
