/**
 * A USB receipt printer through the Linux kernel's usblp driver: the printer is the
 * character device /dev/usb/lp0 (or a udev symlink to it, docs/config.md "USB printers"),
 * written like a file — no native `usb` module, no libusb, no detaching kernel drivers.
 *
 * The device is opened per operation and closed after it: usblp allows one open at a time
 * (EBUSY), and a printer that was power-cycled or re-plugged comes back as a new device
 * node, which a kept-open fd would never see. Writes are non-blocking (usblp answers
 * EAGAIN while the printer is busy) and retried until the timeout, so a stuck printer
 * never pins a libuv thread. Status is `DLE EOT` written and its reply read back from the
 * same fd; printers without a bulk-in endpoint (usblp "unidirectional") cannot answer and
 * are "unknown". A path that is a plain file (a capture for debugging) takes the bytes and
 * is "unknown" too.
 */
import { constants, promises as fs, type promises as fsp } from "node:fs";
import type { InterpretedStatus } from "./escpos-status.js";
import { StatusReplyReader } from "./escpos-status.js";
import { type JobSettings, jobSettingsOf } from "./job-bytes.js";
import type { PrinterDeps } from "./preview-printer.js";
import { askStatus, PrinterCore, printerOffline } from "./printer-core.js";
import type { PrinterStatus, PrintJob, PrintResult, ReceiptPrinter } from "./receipt-printer.js";

type FileHandle = fsp.FileHandle;

/** What the USB printer is told: its device, how long to wait, how to render. */
export interface UsbPrinterOptions extends JobSettings {
  /** /dev/usb/lp0, or a udev link to it. */
  path: string;
  /** A write or a status query gives up after this long. */
  timeoutMs: number;
}

export interface UsbPrinterDeps extends PrinterDeps {
  /** How long to wait between tries when the device answers EAGAIN (ms). Default 5. */
  pollMs?: number;
}

/** Errors after which the device is not there (or not ours): nothing was printed. */
const NOT_THERE = new Set(["ENOENT", "ENODEV", "ENXIO", "EBUSY", "EACCES", "EPERM", "ENOTDIR"]);
/** Read errors meaning "this device has no way to answer" (usblp without bulk-in). */
const NO_READBACK = new Set(["EINVAL", "EIO", "EBADF", "ENOSYS", "EOPNOTSUPP"]);

export class UsbPrinter implements ReceiptPrinter {
  readonly type = "usb";
  private readonly core: PrinterCore;
  private readonly handles = new Set<FileHandle>();

  constructor(
    readonly id: string,
    private readonly options: UsbPrinterOptions,
    private readonly deps: UsbPrinterDeps,
  ) {
    this.core = new PrinterCore(id, this.type, this.where(), jobSettingsOf(options), deps);
  }

  print(job: PrintJob): Promise<PrintResult> {
    return this.core.print(job, (bytes) =>
      this.withDevice(constants.O_WRONLY | constants.O_APPEND, async (fh) => {
        await this.writeAll(fh, bytes, "print");
      }),
    );
  }

  refreshStatus(): Promise<PrinterStatus> {
    return this.core.refresh(() =>
      this.withDevice(constants.O_RDWR, async (fh): Promise<InterpretedStatus> => {
        if (!(await fh.stat()).isCharacterDevice()) {
          return {
            state: "unknown",
            detail: `${this.options.path} is a plain file, not a printer: status cannot be asked`,
          };
        }
        const replies = new StatusReplyReader();
        let readable = true;
        const status = await askStatus(
          (query) => this.writeAll(fh, query, "status query"),
          async () => {
            if (!readable) return null;
            const byte = await this.readReply(fh, replies);
            if (byte === "no-readback") readable = false;
            return typeof byte === "number" ? byte : null;
          },
        );
        if (!readable) {
          return {
            state: "unknown",
            detail: "the printer takes jobs but cannot report status over USB (unidirectional)",
          };
        }
        return status;
      }),
    );
  }

  status(): PrinterStatus {
    return this.core.status();
  }

  async close(): Promise<void> {
    this.core.markClosed();
    await this.core.idle();
    for (const fh of this.handles) await fh.close().catch(() => undefined);
  }

  private where(): string {
    return `printer ${this.id} at ${this.options.path}`;
  }

  /** Open the device (non-blocking, never as a controlling tty), use it, close it. */
  private async withDevice<T>(flags: number, use: (fh: FileHandle) => Promise<T>): Promise<T> {
    this.core.assertOpen();
    let fh: FileHandle;
    try {
      fh = await fs.open(this.options.path, flags | constants.O_NOCTTY | constants.O_NONBLOCK);
    } catch (err) {
      throw printerOffline(`${this.where()}: cannot open: ${describe(err)}`, false, err);
    }
    this.handles.add(fh);
    try {
      return await use(fh);
    } finally {
      this.handles.delete(fh);
      await fh.close().catch(() => undefined);
    }
  }

  /** Write everything before the deadline, waiting out EAGAIN (printer busy or buffer full). */
  private async writeAll(fh: FileHandle, bytes: Buffer, what: string): Promise<void> {
    const deadline = Date.now() + this.options.timeoutMs;
    let offset = 0;
    while (offset < bytes.length) {
      if (this.core.closed) throw printerOffline(`${this.where()}: closed during ${what}`, offset > 0);
      try {
        offset += (await fh.write(bytes, offset, bytes.length - offset, null)).bytesWritten;
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code ?? "";
        if (code !== "EAGAIN") {
          throw printerOffline(`${this.where()}: ${what} failed: ${describe(err)}`, offset > 0, err);
        }
        if (Date.now() > deadline) {
          throw printerOffline(
            `${this.where()}: ${what} failed: ${bytes.length - offset} of ${bytes.length} bytes not taken within ${this.options.timeoutMs} ms`,
            offset > 0,
          );
        }
        await sleep(this.deps.pollMs ?? 5);
      }
    }
  }

  /** The next status reply byte, null after half the timeout, or "no-readback". */
  private async readReply(fh: FileHandle, replies: StatusReplyReader): Promise<number | null | "no-readback"> {
    const deadline = Date.now() + Math.max(1, Math.floor(this.options.timeoutMs / 2));
    const buf = Buffer.alloc(64);
    for (;;) {
      const byte = replies.take();
      if (byte !== undefined) return byte;
      if (this.core.closed || Date.now() > deadline) return null;
      try {
        const { bytesRead } = await fh.read(buf, 0, buf.length, null);
        if (bytesRead > 0) {
          replies.push(buf.subarray(0, bytesRead));
          continue;
        }
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code ?? "";
        if (NO_READBACK.has(code)) return "no-readback";
        if (code !== "EAGAIN")
          throw printerOffline(`${this.where()}: status read failed: ${describe(err)}`, false, err);
      }
      await sleep(this.deps.pollMs ?? 5);
    }
  }
}

function describe(err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === "ENOENT") return "no such device (is the printer plugged in and on?)";
  if (code === "EBUSY") return "the device is in use by another program";
  if (code === "EACCES" || code === "EPERM") return "permission denied (add the agent's user to the lp group)";
  if (code !== undefined && NOT_THERE.has(code)) return `${code} (the printer is gone)`;
  return (err as Error).message;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
