/** The print queue's records: a stored receipt job, what a caller learns about it, the queue's status. */
import type { ReceiptRequest } from "./receipt-data.js";

/** What the caller learns about a receipt: printed, queued for later, or never (no printer). */
export interface ReceiptOutcome {
  jobId: string;
  printed: boolean | "queued";
  previewPng?: string;
  error?: string;
}

/** One receipt as stored in its file. */
export interface StoredJob {
  v: 1;
  id: string;
  /** Queue order: one more than the highest stored before it. */
  n: number;
  request: ReceiptRequest;
  createdAt: string;
  state: "pending" | "printed";
  /** Written just before an attempt: found on start-up, the attempt's outcome is unknown. */
  inFlight: boolean;
  /** A copy may already be on paper: every further copy carries the REPRINT mark. */
  mayBeOnPaper: boolean;
  /** Open the drawer with the next attempt (only ever the first). */
  openDrawer: boolean;
  attempts: number;
  /** Copies the printer accepted. */
  prints: number;
  printedAt: string | null;
  lastError: string | null;
}

export interface PrintQueueStatus {
  pending: number;
  oldestPendingAt: string | null;
  lastError: string | null;
  /** When the next retry is due, if one is scheduled. */
  nextRetryAt: string | null;
}

export interface QueueLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}
