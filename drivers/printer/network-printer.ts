/**
 * A network ESC/POS printer: raw TCP, port 9100
 * (docs/architecture.md#what-the-parts-underneath-do).
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
 * with CT_PRINTER_OFFLINE, and the caller keeps the job; a failure before the connection
 * was up says `mayHavePrinted: false`. Every socket is destroyed on the way out, whatever
 * happened.
 */
import { createConnection, type Socket } from "node:net";
import type { InterpretedStatus } from "./escpos-status.js";
import { StatusReplyReader } from "./escpos-status.js";
import { type JobSettings, jobSettingsOf } from "./job-bytes.js";
import type { PrinterDeps } from "./preview-printer.js";
import { askStatus, PrinterCore, printerOffline } from "./printer-core.js";
import type { PrinterStatus, PrintJob, PrintResult, ReceiptPrinter } from "./receipt-printer.js";

/** What the network printer is told: where it is, how long to wait, how to render. */
export interface NetworkPrinterOptions extends JobSettings {
  host: string;
  port: number;
  /** Connect, print and status each give up after this long. */
  timeoutMs: number;
}

export interface NetworkPrinterDeps extends PrinterDeps {
  /** Opens the TCP connection; injected for tests, `net.createConnection` by default. */
  connect?: (port: number, host: string) => Socket;
}

export class NetworkPrinter implements ReceiptPrinter {
  readonly type = "network";
  private readonly core: PrinterCore;
  private readonly sockets = new Set<Socket>();

  constructor(
    readonly id: string,
    private readonly options: NetworkPrinterOptions,
    private readonly deps: NetworkPrinterDeps,
  ) {
    this.core = new PrinterCore(id, this.type, this.where(), jobSettingsOf(options), deps);
  }

  print(job: PrintJob): Promise<PrintResult> {
    return this.core.print(job, (bytes) => this.send(bytes));
  }

  /** Ask the printer (DLE EOT 2, then 4) and update `status()`. Never rejects, never hangs. */
  refreshStatus(): Promise<PrinterStatus> {
    return this.core.refresh(() => this.query());
  }

  status(): PrinterStatus {
    return this.core.status();
  }

  /** Stops every connection in flight; later prints reject. Safe to call twice. */
  async close(): Promise<void> {
    this.core.markClosed();
    for (const s of this.sockets) s.destroy();
    await this.core.idle();
  }

  private where(): string {
    return `printer ${this.id} at ${this.options.host}:${this.options.port}`;
  }

  // ---- the wire -----------------------------------------------------------------------

  /**
   * Connect within the timeout (or reject with CT_PRINTER_OFFLINE), hand the socket to
   * `use`, and destroy it afterwards whatever happened, with our listeners removed.
   */
  private async connection<T>(use: (socket: Socket) => Promise<T>): Promise<T> {
    this.core.assertOpen();
    const connect = this.deps.connect ?? ((port: number, host: string) => createConnection({ port, host }));
    const socket = connect(this.options.port, this.options.host);
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

  private query(): Promise<InterpretedStatus> {
    return this.connection(async (socket) => {
      const next = this.replyWaiter(socket);
      return askStatus((bytes) => void socket.write(bytes), next);
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
    const limit = Math.max(1, Math.floor(this.options.timeoutMs / 2));
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
    what: "connect" | "print" | "status",
    start: (done: (value?: T) => void, fail: (err: Error) => void) => void,
    timeoutMs = this.options.timeoutMs,
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
}

class TimeoutError extends Error {}

function ignore(): void {}

/** Nothing reaches the printer before the connection is up; after it, bytes may have. */
function offline(where: string, what: string, why: string, cause?: unknown) {
  return printerOffline(`${where}: ${what} failed: ${why}`, what !== "connect", cause);
}
