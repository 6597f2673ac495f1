/**
 * The receipt printer's transports, one entry each: how to open its driver from the
 * config (the config is mapped here onto the options the driver declares, so drivers/
 * never sees config/), where the config says the printer is, and how often the agent asks
 * it for its state. The agent, `cardterm receipt …` and the doctor open, watch and
 * describe the printer only through this table. Adding a transport is a driver in
 * drivers/printer/, an entry here, and its config (config/agent-config.ts,
 * config/schema-printer.ts, config/build-printer.ts).
 *
 * The reader's table is agent/readers/reader-registry.ts.
 */
import type { DevicePrinterOptions, PrinterConfig, ReceiptOptions } from "../../config/agent-config.js";
import { PRINTER_DEFAULTS } from "../../config/build-printer.js";
import type { JobSettings } from "../../drivers/printer/job-bytes.js";
import { NetworkPrinter } from "../../drivers/printer/network-printer.js";
import { NullPrinter } from "../../drivers/printer/null-printer.js";
import { PreviewPrinter, type PrinterDeps } from "../../drivers/printer/preview-printer.js";
import type { ReceiptPrinter } from "../../drivers/printer/receipt-printer.js";
import { SerialPrinter } from "../../drivers/printer/serial-printer.js";
import { UsbPrinter } from "../../drivers/printer/usb-printer.js";

export type { PrinterDeps } from "../../drivers/printer/preview-printer.js";

/** The agent has one receipt printer; its id in status and logs. */
export const PRINTER_ID = "receipt";

export type PrinterType = PrinterConfig["type"];

/** A sentence in both of the till's languages. */
export interface Words {
  zh: string;
  en: string;
}

export interface PrinterTransport<C extends PrinterConfig> {
  /** The driver, given the options it declares. */
  open(config: C, deps: PrinterDeps): ReceiptPrinter;
  /** Where the config says the printer is, as a fix names it: `host:port`, a device path. */
  address(config: C): string;
  /** How often the running agent reads the printer's state (asks it, when it can be asked). */
  statusIntervalMs(config: C): number;
  /**
   * Set when there is no printer at all: the doctor skips its row with these words and the
   * agent watches nothing.
   */
  noPrinter?: Words;
}

type Transports = { [T in PrinterType]: PrinterTransport<Extract<PrinterConfig, { type: T }>> };

const TRANSPORTS: Transports = {
  network: {
    open: (c, deps) =>
      new NetworkPrinter(PRINTER_ID, { host: c.host, port: c.port, timeoutMs: c.timeoutMs, ...rendering(c) }, deps),
    address: (c) => `${c.host}:${c.port}`,
    statusIntervalMs: asked,
  },
  serial: {
    open: (c, deps) =>
      new SerialPrinter(
        PRINTER_ID,
        {
          path: c.path,
          baudRate: c.baudRate,
          dataBits: c.dataBits,
          parity: c.parity,
          stopBits: c.stopBits,
          flowControl: c.flowControl,
          timeoutMs: c.timeoutMs,
          ...rendering(c),
        },
        deps,
      ),
    address: (c) => c.path,
    statusIntervalMs: asked,
  },
  usb: {
    open: (c, deps) => new UsbPrinter(PRINTER_ID, { path: c.path, timeoutMs: c.timeoutMs, ...rendering(c) }, deps),
    address: (c) => c.path,
    statusIntervalMs: asked,
  },
  preview: {
    open: (c, deps) => new PreviewPrinter(PRINTER_ID, { ...rendering(c), previewDir: c.previewDir }, deps),
    address: (c) => c.type,
    // Nothing to ask: the monitor only reads the driver's own state.
    statusIntervalMs: () => PRINTER_DEFAULTS.statusIntervalMs,
  },
  none: {
    open: () => new NullPrinter(PRINTER_ID),
    address: (c) => c.type,
    statusIntervalMs: () => PRINTER_DEFAULTS.statusIntervalMs,
    noPrinter: { zh: "未配置打印机（printer.type: none）", en: "no printer configured (printer.type: none)" },
  },
};

/** The printer the config asks for. */
export function createPrinter(config: PrinterConfig, deps: PrinterDeps): ReceiptPrinter {
  return transportOf(config).open(config, deps);
}

/** Where the config says the printer is (the doctor's fix names it). */
export function printerAddress(config: PrinterConfig): string {
  return transportOf(config).address(config);
}

/** How often the agent's printer monitor reads the printer. */
export function printerStatusIntervalMs(config: PrinterConfig): number {
  return transportOf(config).statusIntervalMs(config);
}

/** The doctor's words when no printer is configured, or undefined when there is one. */
export function noPrinter(config: PrinterConfig): Words | undefined {
  return transportOf(config).noPrinter;
}

/** The receipt options of a config that prints receipts; undefined for `none`. */
export function receiptOptionsOf(config: PrinterConfig): ReceiptOptions | undefined {
  return config.type === "none" ? undefined : config;
}

function transportOf(config: PrinterConfig): PrinterTransport<PrinterConfig> {
  // The table is keyed by type, so the entry found takes this config's own shape.
  return TRANSPORTS[config.type] as PrinterTransport<PrinterConfig>;
}

/** Printers that answer DLE EOT are asked at the configured interval. */
function asked(c: DevicePrinterOptions): number {
  return c.statusIntervalMs ?? PRINTER_DEFAULTS.statusIntervalMs;
}

/** The config's rendering settings, as the drivers take them (absent keys stay absent). */
function rendering(c: ReceiptOptions): JobSettings {
  return {
    paperWidth: c.paperWidth,
    ...(c.charset === undefined ? {} : { charset: c.charset }),
    ...(c.drawerPin === undefined ? {} : { drawerPin: c.drawerPin }),
    ...(c.previewDir === undefined ? {} : { previewDir: c.previewDir }),
  };
}
