/**
 * One receipt, bracketed by two status checks (ESC/POS `DLE EOT`, through the printer's
 * `refreshStatus`). A receipt was once lost when the paper ran out between two
 * status polls: the job went out unchecked, the sale said `printed: true`, and nothing
 * was queued. So:
 *
 * - before: a printer out of paper, with its cover open, reporting an error, or not
 *   reachable gets no bytes (CT_PRINTER_NOT_READY / CT_PRINTER_OFFLINE, nothing on paper);
 * - after: the receipt counts as printed only if the printer still says it can print.
 *   Out of paper or cover open now means the receipt was cut short (CT_PRINTER_NOT_READY,
 *   no complete copy exists). A printer that cannot be asked, or reports an error, took
 *   every byte without confirming them (CT_PRINTER_OFFLINE with `wholeJobSent`: a
 *   complete copy may be on paper, so the next one says REPRINT).
 *
 * A printer that does not answer DLE EOT at all (unidirectional USB, some network boxes:
 * state "unknown") is not asked before every receipt — each silent check costs half the
 * printer timeout — until a poll gets an answer again; there the printer's own hand-over
 * is all the confirmation there is. Real-time status is answered as soon as it arrives,
 * so a roll that ends while the printer still works through its buffer can read "ready":
 * the check after catches paper that ran out under the receipt, not after it.
 */
import {
  canTakeJobs,
  type PrinterStatus,
  type PrintJob,
  type PrintResult,
  type ReceiptPrinter,
} from "../../drivers/printer/receipt-printer.js";
import { CardtermError, isCardtermError } from "../../protocol/errors.js";

export class CheckedPrint {
  /** The last check found a printer that does not answer status. */
  private silent = false;

  constructor(private readonly printer: ReceiptPrinter) {}

  async print(job: PrintJob): Promise<PrintResult> {
    const ask = this.shouldAsk();
    if (ask) {
      const before = await this.ask();
      if (before.state === "offline") throw offline(before, "the receipt was not sent", false);
      if (!canTakeJobs(before.state)) throw notReady(before, "the receipt was not sent");
    }
    // A failure here (link dropped, timeout) leaves at most a torn-off part on paper.
    const result = await this.printer.print(job);
    if (ask) {
      const after = await this.ask();
      if (after.state === "offline") throw offline(after, "after it took the receipt: not confirmed", true);
      if (!canTakeJobs(after.state)) throw notReady(after, "while printing: the receipt is kept");
    }
    return result;
  }

  private shouldAsk(): boolean {
    if (!this.printer.refreshStatus) return false;
    return !(this.silent && this.printer.status().state === "unknown");
  }

  private async ask(): Promise<PrinterStatus> {
    const s = await this.printer.refreshStatus!();
    this.silent = s.state === "unknown";
    return s;
  }
}

/**
 * Whether a failed print may have left a *complete* receipt with the customer: the
 * printer took every byte and only the check after it failed. A dropped connection or
 * paper that ran out leaves at most a torn-off part, which is no receipt: the copy
 * printed later is the customer's first and carries no REPRINT mark.
 */
export function mayBeCompleteOnPaper(err: unknown): boolean {
  return isCardtermError(err) && err.details?.wholeJobSent === true;
}

function offline(s: PrinterStatus, what: string, wholeJobSent: boolean): CardtermError {
  return new CardtermError("CT_PRINTER_OFFLINE", `${describe(s)}: ${what}`, {
    details: { mayHavePrinted: wholeJobSent, wholeJobSent },
  });
}

function notReady(s: PrinterStatus, what: string): CardtermError {
  return new CardtermError("CT_PRINTER_NOT_READY", `printer ${s.id}: ${describe(s)} ${what}`, {
    details: { mayHavePrinted: false, state: s.state },
  });
}

/** The status detail without a code prefix it may carry from the driver's error. */
function describe(s: PrinterStatus): string {
  const detail = s.detail ?? s.state;
  return detail.replace(/^CT_[A-Z_]+: /, "");
}
