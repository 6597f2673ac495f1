/**
 * A network ESC/POS printer: raw TCP, port 9100 (../shared/TESTBED.md, "Receipt printers").
 *
 * One connection per job, and one operation at a time. Printers on 9100 serve a single
 * client and queue or refuse others, so a kept-open connection would lock out every other
 * host (a technician's test print, a second till) and would go stale unnoticed across a
 * printer power cycle; a fresh connection per job costs one local round trip and always
 * starts from a known state.
 *
 * A job counts as delivered when our bytes are flushed and the printer then closes its
 * side cleanly: a peer that closes with unread data answers with a reset, not a FIN.
 * Anything else — refused, connect timeout, no close within the timeout, reset — rejects
 * with CT_PRINTER_OFFLINE, and the caller keeps the job. Every socket is destroyed on the
 * way out, whatever happened.
 */
import { createConnection, type Socket } from "node:net";
import type { NetworkPrinterConfig } from "../../config/agent-config.js";
import { CardtermError } from "../../protocol/errors.js";
import { interpretStatus, StatusReplyReader, statusQuery } from "./escpos-status.js";
import { type PrinterDeps, writePreviews } from "./preview-printer.js";
import type { PrinterState, PrinterStatus, PrintJob, PrintResult, ReceiptPrinter } from "./receipt-printer.js";
import { renderEscPos } from "./render-receipt.js";

export interface NetworkPrinterDeps extends PrinterDeps {
  /** Opens the TCP connection; injected for tests, `net.createConnection` by default. */
  connect?: (port: number, host: string) => Socket;
}

export class NetworkPrinter implements ReceiptPrinter {
  readonly type = "network";
  private state: PrinterState = "unknown";
  private detail = "not contacted yet";
  private lastPrintAt: string | null = null;
  private queue: Promise<unknown> = Promise.resolve();
  private readonly sockets = new Set<Socket>();
  private closed = false;

  constructor(
    readonly id: string,
    private readonly config: NetworkPrinterConfig,
    private readonly deps: NetworkPrinterDeps,
  ) {}

  print(job: PrintJob): Promise<PrintResult> {
    return this.serial(async () => {
      this.assertOpen();
      const bytes = renderEscPos(job.markup, { paperWidth: this.config.paperWidth, language: this.deps.language });
      const previews = this.config.previewDir ? this.keepPreview(job, bytes) : Promise.resolve(undefined);
      try {
        await this.send(bytes);
      } catch (err) {
        await previews;
        throw this.wentOffline(err);
      }
      this.lastPrintAt = new Date((this.deps.now ?? Date.now)()).toISOString();
      if (this.state === "offline" || this.state === "unknown") this.setState("unknown", "took the last job");
      const files = await previews;
      return { bytes: bytes.length, previewPng: files?.previewPng, previewSvg: files?.previewSvg };
    });
  }

  /** Ask the printer (DLE EOT 2, then 4) and update `status()`. Never rejects, never hangs. */
  refreshStatus(): Promise<PrinterStatus> {
    return this.serial(async () => {
      if (this.closed) return this.status();
      try {
        const s = await this.query();
        this.setState(s.state, s.detail);
      } catch (err) {
        this.wentOffline(err);
      }
      return this.status();
    });
  }

  status(): PrinterStatus {
    return { id: this.id, type: this.type, state: this.state, lastPrintAt: this.lastPrintAt, detail: this.detail };
  }

  /** Stops every connection in flight; later prints reject. Safe to call twice. */
  async close(): Promise<void> {
    this.closed = true;
    this.setState("closed", "closed");
    for (const s of this.sockets) s.destroy();
    await this.queue.catch(() => undefined);
  }

  // ---- one operation at a time --------------------------------------------------------

  private serial<T>(op: () => Promise<T>): Promise<T> {
    const run = this.queue.then(op, op);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private assertOpen(): void {
    if (this.closed) throw new CardtermError("CT_PRINTER_OFFLINE", `printer ${this.id} is closed`);
  }

  private setState(state: PrinterState, detail: string): void {
    if (this.closed && state !== "closed") return;
    this.state = state;
    this.detail = detail;
  }

  private wentOffline(err: unknown): CardtermError {
    const e =
      err instanceof CardtermError
        ? err
        : new CardtermError("CT_PRINTER_OFFLINE", `${this.where()}: ${(err as Error).message}`, { cause: err });
    this.setState("offline", e.message);
    this.deps.log?.warn({ printer: this.id, err: e.message }, "printer offline");
    return e;
  }

  private where(): string {
    return `printer ${this.id} at ${this.config.host}:${this.config.port}`;
  }

  // ---- the wire -----------------------------------------------------------------------

  /**
   * Connect within the timeout (or reject with CT_PRINTER_OFFLINE), hand the socket to
   * `use`, and destroy it afterwards whatever happened, with our listeners removed.
   */
  private async connection<T>(use: (socket: Socket) => Promise<T>): Promise<T> {
    this.assertOpen();
    const connect = this.deps.connect ?? ((port: number, host: string) => createConnection({ port, host }));
    const socket = connect(this.config.port, this.config.host);
    this.sockets.add(socket);
    socket.once("close", () => this.sockets.delete(socket));
    socket.on("error", ignore); // a late error on a socket we are done with must not crash the agent
    socket.setNoDelay(true);
    try {
      await this.until(socket, "connect", (done) => socket.once("connect", () => done()));
      return await use(socket);
    } finally {
      socket.removeAllListeners("data");
      socket.removeAllListeners("connect");
      socket.destroy();
    }
  }

  /** Write the job, half-close, and wait for the printer's clean close. */
  private send(bytes: Buffer): Promise<void> {
    return this.connection(async (socket) => {
      let onEnd: () => void = ignore;
      try {
        await this.until(socket, "print", (done, fail) => {
          let flushed = false;
          onEnd = () => (flushed ? done() : fail(new Error("the printer closed before taking the job")));
          socket.on("data", ignore); // keep reading, so a reply never turns our close into a reset
          socket.once("end", onEnd);
          socket.end(bytes, () => {
            flushed = true;
          });
        });
      } finally {
        socket.off("end", onEnd);
      }
    });
  }

  private query(): Promise<{ state: PrinterState; detail: string }> {
    return this.connection(async (socket) => {
      const wait = this.replyWaiter(socket);
      socket.write(statusQuery(2));
      const offlineCause = await wait();
      // A printer that ignores one query ignores the other; a late first reply must not
      // be taken for the second, so stop here.
      if (offlineCause === null) return interpretStatus({ offlineCause, paperSensor: null });
      socket.write(statusQuery(4));
      const paperSensor = await wait();
      return interpretStatus({ offlineCause, paperSensor });
    });
  }

  /** A function that resolves with the next reply byte, or null after half the timeout. */
  private replyWaiter(socket: Socket): () => Promise<number | null> {
    const replies = new StatusReplyReader();
    let wake: (() => void) | null = null;
    socket.on("data", (chunk: Buffer) => {
      replies.push(chunk);
      wake?.();
    });
    const limit = Math.max(1, Math.floor(this.config.timeoutMs / 2));
    return () =>
      this.until<number>(
        socket,
        "status",
        (done) => {
          const check = () => {
            const byte = replies.take();
            if (byte !== undefined) done(byte);
          };
          wake = check;
          check();
        },
        limit,
      ).then(
        (byte) => byte ?? null,
        (err: unknown) => {
          if (err instanceof TimeoutError) return null;
          throw err;
        },
      );
  }

  /**
   * Wait for `start` to call done, with the socket's errors and close as failures and a
   * timer as the bound. Listeners are removed whichever way it ends.
   */
  private until<T = void>(
    socket: Socket,
    what: string,
    start: (done: (value?: T) => void, fail: (err: Error) => void) => void,
    timeoutMs = this.config.timeoutMs,
  ): Promise<T | undefined> {
    return new Promise<T | undefined>((resolve, reject) => {
      const cleanup = () => {
        clearTimeout(timer);
        socket.off("error", onError);
        socket.off("close", onClose);
      };
      const done = (value?: T) => {
        cleanup();
        resolve(value);
      };
      const fail = (err: Error) => {
        cleanup();
        reject(err);
      };
      const onError = (err: Error) => fail(offline(this.where(), what, err.message, err));
      const onClose = () => fail(offline(this.where(), what, "connection closed"));
      const timer = setTimeout(() => {
        fail(what === "status" ? new TimeoutError() : offline(this.where(), what, `no answer within ${timeoutMs} ms`));
      }, timeoutMs);
      socket.once("error", onError);
      socket.once("close", onClose);
      start(done, (err) => fail(offline(this.where(), what, err.message, err)));
    });
  }

  private async keepPreview(job: PrintJob, bytes: Buffer) {
    try {
      return await writePreviews(this.config.previewDir!, job, {
        paperWidth: this.config.paperWidth,
        language: this.deps.language,
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

class TimeoutError extends Error {}

function ignore(): void {}

function offline(where: string, what: string, why: string, cause?: unknown): CardtermError {
  return new CardtermError("CT_PRINTER_OFFLINE", `${where}: ${what} failed: ${why}`, { cause });
}
