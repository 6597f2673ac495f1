/**
 * Receipts, assembled from the config: the layout every template shares, the durable
 * print queue in `<dataDir>/print-queue`, and the printer monitor. Used by the agent and
 * by `cardterm receipt …` when the agent is not running.
 */
import { hostname, networkInterfaces } from "node:os";
import { join } from "node:path";
import type { AgentConfig } from "../../config/agent-config.js";
import { PRINTER_DEFAULTS } from "../../config/build-printer.js";
import type { ReceiptPrinter } from "../../drivers/printer/receipt-printer.js";
import { renderEscPos } from "../../drivers/printer/render-receipt.js";
import type { DurableFs } from "../store/durable-file.js";
import { PrintQueue } from "./print-queue.js";
import { PrinterMonitor } from "./printer-monitor.js";
import { noPrinter, printerStatusIntervalMs, receiptOptionsOf } from "./printer-registry.js";
import type { SelfTestReceiptData } from "./receipt-data.js";
import type { ReceiptLayout } from "./receipt-layout.js";

interface SetupLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

/** The chain's layout from the config. A logo the printer's renderer cannot read is left out, loudly. */
export function receiptLayout(config: AgentConfig, log?: SetupLog): ReceiptLayout {
  const p = receiptOptionsOf(config.printer);
  const layout: ReceiptLayout = {
    language: config.terminal.language,
    paperWidth: p?.paperWidth ?? 80,
    timeZone: config.terminal.timeZone,
  };
  if (p === undefined) return layout;
  if (p.header) layout.header = p.header;
  if (p.footer) layout.footer = p.footer;
  if (p.logo) {
    const base64 = p.logo.png.toString("base64");
    try {
      // The loader checked the PNG header; decoding the whole image is the renderer's job.
      renderEscPos(`{image:${base64}}\n`, { paperWidth: layout.paperWidth, language: layout.language });
      layout.logoBase64 = base64;
    } catch (err) {
      log?.error(
        { file: p.logo.file, err: (err as Error).message },
        "receipt logo cannot be printed; receipts go without it",
      );
    }
  }
  return layout;
}

export function printQueueDir(config: AgentConfig): string {
  return join(config.terminal.dataDir, "print-queue");
}

/** How long printed receipts stay for reprint; undefined without a printer (the queue's default). */
export function keepReceiptsForMs(config: AgentConfig): number | undefined {
  const p = receiptOptionsOf(config.printer);
  return p === undefined ? undefined : (p.keepForMs ?? PRINTER_DEFAULTS.keepForMs);
}

/**
 * The monitor of the queue's printer, at the config's status interval. `start`: poll at
 * once (never without a printer: there is nothing to watch).
 */
export function printerMonitor(
  config: AgentConfig,
  printer: ReceiptPrinter,
  queue: PrintQueue,
  opts: { log?: SetupLog | undefined; start: boolean },
): PrinterMonitor {
  const monitor = new PrinterMonitor({
    printer,
    intervalMs: printerStatusIntervalMs(config.printer),
    pending: () => queue.status().pending,
    onReady: () => queue.printerReady(),
    log: opts.log,
  });
  if (opts.start && noPrinter(config.printer) === undefined) monitor.start();
  return monitor;
}

export interface Receipts {
  queue: PrintQueue;
  monitor: PrinterMonitor;
}

export async function startReceipts(opts: {
  config: AgentConfig;
  printer: ReceiptPrinter;
  fs?: DurableFs;
  now?: () => number;
  log?: SetupLog;
  retry?: { baseMs: number; capMs: number };
  /** Start polling the printer (the agent does; a one-off CLI command does not). */
  monitor?: boolean;
  /** Print waiting receipts (the agent does; a one-off CLI command prints only its own). */
  start?: boolean;
}): Promise<Receipts> {
  let monitor: PrinterMonitor | undefined; // built after the queue it watches
  const queue = await PrintQueue.open({
    dir: printQueueDir(opts.config),
    printer: opts.printer,
    layout: receiptLayout(opts.config, opts.log),
    fs: opts.fs,
    now: opts.now,
    log: opts.log,
    retry: opts.retry,
    start: opts.start,
    keepForMs: keepReceiptsForMs(opts.config),
    onHeld: () => monitor?.nudge(),
  });
  monitor = printerMonitor(opts.config, opts.printer, queue, { log: opts.log, start: opts.monitor !== false });
  return { queue, monitor };
}

/** What the self-test page says about this box; the live parts come from the running agent. */
export function selfTestData(input: {
  config: AgentConfig;
  version: string;
  at: number;
  readers: { id: string; type: string; state: string }[];
  brokerConnected: boolean | null;
  lastContactAt: string | null;
  journalPending: number | null;
  receiptsQueued: number | null;
}): SelfTestReceiptData {
  const { config } = input;
  const p = receiptOptionsOf(config.printer);
  return {
    storeName: config.terminal.storeName,
    terminalId: config.terminal.id,
    at: new Date(input.at).toISOString(),
    agentVersion: input.version,
    configFile: config.source,
    hostname: hostname(),
    addresses: addresses(),
    readers: input.readers,
    broker: { url: withoutCredentials(config.server.mqttUrl), connected: input.brokerConnected },
    server: { lastContactAt: input.lastContactAt },
    printer: {
      type: config.printer.type,
      paperWidth: p?.paperWidth ?? 80,
      charset: p === undefined ? "-" : (p.charset ?? PRINTER_DEFAULTS.charset),
      drawer: p?.drawerPin !== undefined ? `pin ${p.drawerPin}` : "-",
    },
    journalPending: input.journalPending,
    receiptsQueued: input.receiptsQueued,
  };
}

/** This box's IPv4 and global IPv6 addresses, loopback left out. */
function addresses(): string[] {
  const out: string[] = [];
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) {
      if (a.internal || (a.family === "IPv6" && a.address.startsWith("fe80"))) continue;
      out.push(a.address);
    }
  }
  return out.slice(0, 4);
}

/** A broker URL without user:password@, which must never reach paper. */
export function withoutCredentials(url: string): string {
  return url.replace(/^([a-z]+:\/\/)[^@/]*@/i, "$1");
}
