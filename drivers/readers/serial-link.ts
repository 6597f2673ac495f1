/** The serial transport as the ID-reader driver needs it; ./node-serial-port.ts is the real one. */
import type { Readable } from "node:stream";

export interface SerialPortOptions {
  path: string;
  baudRate: number;
  dataBits: 7 | 8;
  parity: "none" | "even" | "odd";
  stopBits: 1 | 2;
}

/** An open serial port as the driver needs it. */
export interface SerialLink {
  /** Bytes from the device. */
  readonly readable: Readable;
  /** Called when the port goes away on its own (unplugged, closed under us, IO error). */
  onLost(listener: (err: Error) => void): void;
  /** Releases the device; never rejects. */
  close(): Promise<void>;
}

/** Opens a port; rejects when it cannot be opened. */
export type PortFactory = (options: SerialPortOptions) => Promise<SerialLink>;
