/**
 * The printer section of the YAML, checked, turned into a PrinterConfig. Keys the file
 * does not set stay absent from the receipt options (header, footer, logo, charset,
 * drawer, keepFor, statusInterval, previewDir); PRINTER_DEFAULTS says what that means.
 */
import { join } from "node:path";
import type { DevicePrinterOptions, PrinterConfig, ReceiptOptions } from "./agent-config.js";
import type { ConfigFilePrinter } from "./schema.js";
import type { CheckedValues } from "./value-checks.js";

export const PRINTER_DEFAULTS = {
  port: 9100,
  paperWidth: 80,
  timeoutMs: 3000,
  charset: "gb18030",
  drawerPin: 2,
  keepForMs: 7 * 86_400_000,
  statusIntervalMs: 30_000,
  serial: { baudRate: 9600, dataBits: 8, parity: "none", stopBits: 1, flowControl: "none" },
} as const;

export function buildPrinter(
  p: ConfigFilePrinter | undefined,
  v: CheckedValues,
  dataDir: string,
  abs: (path: string) => string,
): PrinterConfig {
  const P = PRINTER_DEFAULTS;
  if (p === undefined || p.type === "none") return { type: "none" };
  const receipt = receiptOptions(p, v, abs);
  if (p.type === "preview") {
    return {
      type: "preview",
      ...receipt,
      previewDir: p.previewDir === undefined ? join(dataDir, "receipts") : abs(p.previewDir),
    };
  }
  const device: DevicePrinterOptions = {
    ...receipt,
    timeoutMs: v.durations.get("printer.timeout") ?? P.timeoutMs,
    ...optional("statusIntervalMs", v.durations.get("printer.statusInterval")),
  };
  if (p.type === "serial") {
    const S = P.serial;
    return {
      type: "serial",
      path: p.path!,
      baudRate: p.baudRate ?? S.baudRate,
      dataBits: p.dataBits ?? S.dataBits,
      parity: p.parity ?? S.parity,
      stopBits: p.stopBits ?? S.stopBits,
      flowControl: p.flowControl ?? S.flowControl,
      ...device,
    };
  }
  if (p.type === "usb") return { type: "usb", path: p.path!, ...device };
  return { type: "network", host: p.host!, port: p.port ?? P.port, ...device };
}

function receiptOptions(p: ConfigFilePrinter, v: CheckedValues, abs: (path: string) => string): ReceiptOptions {
  return {
    paperWidth: p.paperWidth ?? PRINTER_DEFAULTS.paperWidth,
    ...optional("charset", p.charset),
    ...optional("header", p.header),
    ...optional("footer", p.footer),
    ...optional("logo", v.printerLogo),
    ...optional("drawerPin", p.drawerKick === true ? (p.drawerPin ?? PRINTER_DEFAULTS.drawerPin) : undefined),
    ...optional("previewDir", p.previewDir === undefined ? undefined : abs(p.previewDir)),
    ...optional("keepForMs", v.durations.get("printer.keepFor")),
  };
}

function optional<K extends string, T>(key: K, value: T | undefined): { [P in K]?: T } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: T };
}
