/**
 * The one file that imports `serialport`: opens a real serial device and hands the
 * driver a small `SerialLink` (Z-Wave JS keeps its `NodeSerialPort` apart the same way,
 * so drivers are tested over any byte stream and the native module loads only when a
 * real port is opened).
 */
import { SerialPort } from "serialport";
import type { SerialLink, SerialPortOptions } from "./serial-link.js";

export function openNodeSerialPort(options: SerialPortOptions): Promise<SerialLink> {
  return new Promise((resolve, reject) => {
    const port = new SerialPort({
      path: options.path,
      baudRate: options.baudRate,
      dataBits: options.dataBits,
      parity: options.parity,
      stopBits: options.stopBits,
      autoOpen: false,
    });
    // An 'error' with no listener would crash the process; the link reports it instead.
    const early = (): void => {};
    port.on("error", early);
    port.open((err) => {
      if (err) {
        reject(err);
        return;
      }
      resolve(new NodeSerialLink(port));
    });
  });
}

class NodeSerialLink implements SerialLink {
  private closing = false;

  constructor(private readonly port: SerialPort) {}

  get readable(): SerialPort {
    return this.port;
  }

  /**
   * An unplugged device (or a killed socat) ends in `close` with a DisconnectedError and no
   * `error` (docs/architecture.md#what-the-parts-underneath-do); other faults arrive as
   * `error`. Both mean: reopen.
   */
  onLost(listener: (err: Error) => void): void {
    this.port.on("close", (err: Error | null) => {
      if (!this.closing) listener(err ?? new Error("port closed"));
    });
    this.port.on("error", (err: Error) => {
      if (!this.closing) listener(err);
    });
  }

  close(): Promise<void> {
    this.closing = true;
    if (!this.port.isOpen) return Promise.resolve();
    return new Promise((resolve) => {
      // A close that fails leaves nothing more we can do; the fd is gone either way.
      this.port.close(() => resolve());
    });
  }
}
