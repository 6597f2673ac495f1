/**
 * An ESC/POS printer on a serial line (RS-232, or a USB-serial adapter under
 * /dev/serial/by-id/…). The only printer file that imports `serialport`, and only in
 * `openSerialPrinterLink`: the driver itself works on any `SerialPrinterLink`, so tests
 * run it over a socat pty pair and a unit test over a fake.
 *
 * Unlike a network printer, a serial line has one client, so the port stays open between
 * jobs and is reopened after it is lost (cable pulled, adapter unplugged: `close` with a
 * DisconnectedError). A job counts as delivered when the port has drained it to the line;
 * status is `DLE EOT 2` / `DLE EOT 4` on the same line, answered by the printer's
 * real-time command handler even while it prints. A write that does not drain within the
 * timeout (flow control held, printer off) discards what is still queued and closes the
 * port, so the same bytes never trickle out later behind a retry.
 */
import type { SerialPort } from "serialport";
import { StatusReplyReader } from "./escpos-status.js";
import { type JobSettings, jobSettingsOf } from "./job-bytes.js";
import type { PrinterDeps } from "./preview-printer.js";
import { askStatus, PrinterCore, printerOffline } from "./printer-core.js";
import type { PrinterStatus, PrintJob, PrintResult, ReceiptPrinter } from "./receipt-printer.js";

/** The serial line's settings, as on the printer's DIP switches. */
export interface SerialLineOptions {
  path: string;
  baudRate: number;
  dataBits: 7 | 8;
  parity: "none" | "even" | "odd";
  stopBits: 1 | 2;
  /** Hardware (RTS/CTS) or software (XON/XOFF) flow control. */
  flowControl: "none" | "rtscts" | "xonxoff";
}

/** What the serial printer is told: its line, how long to wait, how to render. */
export interface SerialPrinterOptions extends SerialLineOptions, JobSettings {
  /** A write that has not drained, or a status query unanswered, gives up after this long. */
  timeoutMs: number;
}

/** An open serial line as the printer driver needs it. */
export interface SerialPrinterLink {
  /** Write and wait until the bytes have left for the device; rejects on an IO error. */
  write(bytes: Buffer): Promise<void>;
  /** Bytes from the device (status replies). */
  onData(listener: (chunk: Buffer) => void): void;
  /** The line went away on its own. */
  onLost(listener: (err: Error) => void): void;
  /** Throw away output not yet sent (tcflush). Never rejects. */
  discard(): Promise<void>;
  /** Release the device. Never rejects; safe to call twice. */
  close(): Promise<void>;
}

export type SerialPrinterOpener = (line: SerialLineOptions) => Promise<SerialPrinterLink>;

export interface SerialPrinterDeps extends PrinterDeps {
  /** Opens the port; the real `serialport` by default. */
  open?: SerialPrinterOpener;
}

export class SerialPrinter implements ReceiptPrinter {
  readonly type = "serial";
  private readonly core: PrinterCore;
  private link: SerialPrinterLink | null = null;
  private opening: Promise<SerialPrinterLink> | null = null;
  private readonly replies = new StatusReplyReader();
  private wake: (() => void) | null = null;
  /** Fails whatever waits on the current link when it is lost. */
  private abort: ((err: Error) => void) | null = null;

  constructor(
    readonly id: string,
    private readonly options: SerialPrinterOptions,
    private readonly deps: SerialPrinterDeps,
  ) {
    this.core = new PrinterCore(id, this.type, `printer ${id} on ${options.path}`, jobSettingsOf(options), deps);
  }

  print(job: PrintJob): Promise<PrintResult> {
    return this.core.print(job, async (bytes) => {
      const link = await this.ensureOpen();
      await this.bounded(link.write(bytes), `print (${bytes.length} bytes) not drained`, async () => {
        await link.discard();
        await this.drop(link);
      });
    });
  }

  refreshStatus(): Promise<PrinterStatus> {
    return this.core.refresh(async () => {
      const link = await this.ensureOpen();
      this.replies.clear();
      return askStatus(
        (bytes) => this.bounded(link.write(bytes), "status query not sent"),
        () => this.nextReply(),
      );
    });
  }

  status(): PrinterStatus {
    return this.core.status();
  }

  async close(): Promise<void> {
    this.core.markClosed();
    this.abort?.(new Error("printer closed"));
    const link = this.link ?? (await this.opening?.catch(() => null));
    if (link) await this.drop(link);
    await this.core.idle();
  }

  // ---- the line -----------------------------------------------------------------------

  private ensureOpen(): Promise<SerialPrinterLink> {
    this.core.assertOpen();
    if (this.link) return Promise.resolve(this.link);
    this.opening ??= this.openLink().finally(() => {
      this.opening = null;
    });
    return this.opening;
  }

  private async openLink(): Promise<SerialPrinterLink> {
    const open = this.deps.open ?? openSerialPrinterLink;
    let link: SerialPrinterLink;
    try {
      link = await open(this.options);
    } catch (err) {
      throw printerOffline(
        `printer ${this.id}: cannot open ${this.options.path}: ${(err as Error).message}`,
        false,
        err,
      );
    }
    if (this.core.closed) {
      await link.close();
      throw printerOffline(`printer ${this.id} is closed`, false);
    }
    link.onData((chunk) => {
      if (this.link !== link) return;
      this.replies.push(chunk);
      this.wake?.();
    });
    link.onLost((err) => {
      if (this.link !== link) return; // a superseded link's late events are dropped
      this.link = null;
      this.core.setState("offline", `${this.options.path} lost: ${err.message}`);
      this.abort?.(err);
    });
    this.link = link;
    return link;
  }

  private async drop(link: SerialPrinterLink): Promise<void> {
    if (this.link === link) this.link = null;
    await link.close();
  }

  /** Wait for `work`, failing at the timeout (then `onTimeout`) or when the line is lost. */
  private bounded<T>(work: Promise<T>, what: string, onTimeout?: () => Promise<void>): Promise<T> {
    return this.race(work, this.options.timeoutMs, async () => {
      await onTimeout?.();
      throw printerOffline(
        `printer ${this.id} on ${this.options.path}: ${what} within ${this.options.timeoutMs} ms`,
        true,
      );
    });
  }

  /** The next status reply, or null after half the timeout. */
  private nextReply(): Promise<number | null> {
    const waiting = new Promise<number>((resolve) => {
      const check = () => {
        const byte = this.replies.take();
        if (byte === undefined) return;
        this.wake = null;
        resolve(byte);
      };
      this.wake = check;
      check();
    });
    return this.race<number | null>(waiting, Math.max(1, Math.floor(this.options.timeoutMs / 2)), async () => {
      this.wake = null;
      return null;
    });
  }

  private race<T>(work: Promise<T>, ms: number, onTimeout: () => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      let settled = false;
      const finish = (fn: () => void) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        this.abort = null;
        fn();
      };
      const timer = setTimeout(() => finish(() => onTimeout().then(resolve, reject)), ms);
      this.abort = (err) => finish(() => reject(printerOffline(`printer ${this.id}: ${err.message}`, true, err)));
      work.then(
        (v) => finish(() => resolve(v)),
        (err: Error) => finish(() => reject(printerOffline(`printer ${this.id}: ${err.message}`, true, err))),
      );
    });
  }
}

/**
 * Open a real serial port (the only use of `serialport` by the printers). The module is
 * loaded here, on first use: a till with a network or preview printer never pays its
 * ~13 MB (bench/footprint.ts), as the serial reader does (serial-id-reader.ts).
 */
export async function openSerialPrinterLink(line: SerialLineOptions): Promise<SerialPrinterLink> {
  const { SerialPort: Port } = await import("serialport");
  return new Promise((resolve, reject) => {
    const port = new Port({
      path: line.path,
      baudRate: line.baudRate,
      dataBits: line.dataBits,
      parity: line.parity,
      stopBits: line.stopBits,
      rtscts: line.flowControl === "rtscts",
      xon: line.flowControl === "xonxoff",
      xoff: line.flowControl === "xonxoff",
      autoOpen: false,
    });
    port.on("error", () => {}); // an unheard 'error' would crash the agent; onLost reports it
    port.open((err) => (err ? reject(err) : resolve(new NodeSerialPrinterLink(port))));
  });
}

class NodeSerialPrinterLink implements SerialPrinterLink {
  private closing = false;

  constructor(private readonly port: SerialPort) {}

  write(bytes: Buffer): Promise<void> {
    return new Promise((resolve, reject) => {
      this.port.write(bytes, (err) => {
        if (err) reject(err);
      });
      this.port.drain((err) => (err ? reject(err) : resolve()));
    });
  }

  onData(listener: (chunk: Buffer) => void): void {
    this.port.on("data", listener);
  }

  onLost(listener: (err: Error) => void): void {
    this.port.on("close", (err: Error | null) => {
      if (!this.closing) listener(err ?? new Error("port closed"));
    });
    this.port.on("error", (err: Error) => {
      if (!this.closing) listener(err);
    });
  }

  discard(): Promise<void> {
    if (!this.port.isOpen) return Promise.resolve();
    return new Promise((resolve) => this.port.flush(() => resolve()));
  }

  close(): Promise<void> {
    if (this.closing) return Promise.resolve();
    this.closing = true;
    if (!this.port.isOpen) return Promise.resolve();
    return new Promise((resolve) => this.port.close(() => resolve()));
  }
}
