/**
 * What the byte-stream printers (network, serial, USB) share: rendering a job with its
 * drawer pulse, one operation at a time, the state behind `status()`, previews written
 * after the bytes went out, and the `DLE EOT 2` / `DLE EOT 4` status exchange. The
 * drivers keep only their wire.
 */
import { CardtermError } from "../../protocol/errors.js";
import { type InterpretedStatus, interpretStatus, statusQuery } from "./escpos-status.js";
import { type JobSettings, renderJob } from "./job-bytes.js";
import { type PrinterDeps, writePreviews } from "./preview-printer.js";
import type { PrinterState, PrinterStatus, PrintJob, PrintResult } from "./receipt-printer.js";

/** A CT_PRINTER_OFFLINE that says whether any byte may have reached the device. */
export function printerOffline(message: string, mayHavePrinted: boolean, cause?: unknown): CardtermError {
  return new CardtermError("CT_PRINTER_OFFLINE", message, { cause, details: { mayHavePrinted } });
}

export class PrinterCore {
  private state: PrinterState = "unknown";
  private detail = "not contacted yet";
  private lastPrintAt: string | null = null;
  private queue: Promise<unknown> = Promise.resolve();
  private closedFlag = false;

  constructor(
    readonly id: string,
    readonly type: string,
    private readonly where: string,
    private readonly settings: JobSettings,
    private readonly deps: PrinterDeps,
  ) {}

  get closed(): boolean {
    return this.closedFlag;
  }

  status(): PrinterStatus {
    return { id: this.id, type: this.type, state: this.state, lastPrintAt: this.lastPrintAt, detail: this.detail };
  }

  /**
   * Render, hand the bytes to `send`, then write previews (rendering a PNG takes tens of
   * milliseconds: after the printer has its bytes, never before). One operation at a time.
   */
  print(job: PrintJob, send: (bytes: Buffer) => Promise<void>): Promise<PrintResult> {
    return this.serial(async () => {
      this.assertOpen();
      const bytes = renderJob(job, this.settings, this.deps.language);
      try {
        await send(bytes);
      } catch (err) {
        throw this.failed(err);
      }
      this.lastPrintAt = new Date((this.deps.now ?? Date.now)()).toISOString();
      if (this.state === "offline" || this.state === "unknown") this.setState("unknown", "took the last job");
      const files = this.settings.previewDir ? await this.keepPreview(job, bytes) : undefined;
      return { bytes: bytes.length, previewPng: files?.previewPng, previewSvg: files?.previewSvg };
    });
  }

  /** Run `query` in turn and keep its verdict; a failure means offline. Never rejects. */
  refresh(query: () => Promise<InterpretedStatus>): Promise<PrinterStatus> {
    return this.serial(async () => {
      if (this.closedFlag) return this.status();
      try {
        const s = await query();
        this.setState(s.state, s.detail);
      } catch (err) {
        this.failed(err);
      }
      return this.status();
    });
  }

  /** Later operations reject; `idle()` waits for the one in flight. Safe to call twice. */
  markClosed(): void {
    this.closedFlag = true;
    this.state = "closed";
    this.detail = "closed";
  }

  idle(): Promise<void> {
    return this.queue.then(
      () => undefined,
      () => undefined,
    );
  }

  assertOpen(): void {
    if (this.closedFlag) throw printerOffline(`printer ${this.id} is closed`, false);
  }

  setState(state: PrinterState, detail: string): void {
    if (this.closedFlag) return;
    this.state = state;
    this.detail = detail;
  }

  /** Any failure as CT_PRINTER_OFFLINE naming the printer; the state becomes offline. */
  failed(err: unknown): CardtermError {
    const e =
      err instanceof CardtermError ? err : printerOffline(`${this.where}: ${(err as Error).message}`, true, err);
    this.setState("offline", e.message);
    this.deps.log?.warn({ printer: this.id, err: e.message }, "printer offline");
    return e;
  }

  private serial<T>(op: () => Promise<T>): Promise<T> {
    const run = this.queue.then(op, op);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async keepPreview(job: PrintJob, bytes: Buffer) {
    try {
      return await writePreviews(this.settings.previewDir!, job, {
        paperWidth: this.settings.paperWidth,
        language: this.deps.language,
        charset: this.settings.charset,
        bytes,
      });
    } catch (err) {
      this.deps.log?.warn(
        { printer: this.id, job: job.id, err: (err as Error).message },
        "receipt preview not written",
      );
      return undefined;
    }
  }
}

/**
 * The status exchange over any link: DLE EOT 2 (cover, paper-end stop, error), then
 * DLE EOT 4 (paper sensor). `nextReply` resolves with the next reply byte or null when
 * none came in its time. A printer that ignores the first query ignores the second, and
 * a late first reply must not be taken for the second, so a silent first ends it.
 */
export async function askStatus(
  write: (bytes: Buffer) => Promise<void> | void,
  nextReply: () => Promise<number | null>,
): Promise<InterpretedStatus> {
  await write(statusQuery(2));
  const offlineCause = await nextReply();
  if (offlineCause === null) return interpretStatus({ offlineCause, paperSensor: null });
  await write(statusQuery(4));
  const paperSensor = await nextReply();
  return interpretStatus({ offlineCause, paperSensor });
}
