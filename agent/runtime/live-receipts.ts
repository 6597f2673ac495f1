/**
 * Receipts for the running agent, set up so a config reload can reach them: the durable
 * print queue prints through a SwappablePrinter, and lays receipts out with one layout
 * object that a reload updates in place (the queue reads it at each attempt, so a
 * receipt is laid out with the header, footer and language in force when it prints).
 * A printer change puts the new device in place after the print in progress, restarts
 * the status monitor (its interval may have changed) and kicks the queue, so receipts
 * that waited print on the new device at once.
 *
 * The same parts as agent/receipts/receipt-setup.ts `startReceipts`, which one-off
 * commands keep using; only the agent needs them replaceable.
 */
import type { AgentConfig } from "../../config/agent-config.js";
import type { Logger } from "../logger.js";
import { PrintQueue } from "../receipts/print-queue.js";
import { createPrinter } from "../receipts/printer-registry.js";
import type { ReceiptLayout } from "../receipts/receipt-layout.js";
import {
  keepReceiptsForMs,
  printerMonitor,
  printQueueDir,
  type Receipts,
  receiptLayout,
} from "../receipts/receipt-setup.js";
import type { DurableFs } from "../store/durable-file.js";
import { SwappablePrinter } from "./swappable-printer.js";

export interface LiveReceipts extends Receipts {
  printer: SwappablePrinter;
  /** Language, time zone, header, footer, logo and paper from `config`, for the next receipt. */
  relayout(config: AgentConfig): void;
  /** Reopen the printer from `config` (after the print in progress) and restart its monitor. */
  reopenPrinter(config: AgentConfig): Promise<void>;
}

export interface LiveReceiptsOptions {
  config: AgentConfig;
  fs?: DurableFs;
  now: () => number;
  /** The agent's logger; the queue and the printer get their own children. */
  log: Logger;
  retry?: { baseMs: number; capMs: number };
}

export async function startLiveReceipts(opts: LiveReceiptsOptions): Promise<LiveReceipts> {
  const { now } = opts;
  const log = opts.log.child({ c: "receipts" });
  const build = (config: AgentConfig) =>
    createPrinter(config.printer, { language: config.terminal.language, now, log: opts.log.child({ c: "printer" }) });
  const printer = new SwappablePrinter(build(opts.config), log);
  const layout: ReceiptLayout = receiptLayout(opts.config, log);
  let held: () => void = () => undefined; // the monitor is started after the queue it watches
  const queue = await PrintQueue.open({
    dir: printQueueDir(opts.config),
    printer,
    layout,
    fs: opts.fs,
    now,
    log,
    retry: opts.retry,
    keepForMs: keepReceiptsForMs(opts.config),
    onHeld: () => held(),
  });
  const live: LiveReceipts = {
    queue,
    printer,
    monitor: printerMonitor(opts.config, printer, queue, { log, start: true }),
    relayout(config) {
      replaceContents(layout, receiptLayout(config, log));
    },
    async reopenPrinter(config) {
      await live.monitor.stop();
      await printer.swap(build(config));
      live.monitor = printerMonitor(config, printer, queue, { log, start: true });
      queue.printerReady();
    },
  };
  held = () => live.monitor.nudge();
  return live;
}

/** Make `target` hold exactly `source`'s keys, in place (the queue keeps a reference to it). */
function replaceContents(target: ReceiptLayout, source: ReceiptLayout): void {
  const t = target as unknown as Record<string, unknown>;
  for (const key of Object.keys(t)) if (!(key in source)) delete t[key];
  Object.assign(target, source);
}
