/**
 * How a reload reaches the running agent (the ReloadTarget of reload.ts): the live
 * settings go to each component in one synchronous step, and a device is reopened by
 * putting a new driver into its slot.
 */
import type { AgentConfig } from "../../config/agent-config.js";
import type { CardReader } from "../../drivers/readers/card-reader.js";
import type { Logger } from "../logger.js";
import type { OperatorSessions } from "../operators/sessions.js";
import { createReader } from "../readers/create-reader.js";
import { PRINTER_ID } from "../receipts/printer-registry.js";
import { type Decider, deciderSettings } from "../sale/decider.js";
import type { SaleService } from "../sale/sale-service.js";
import { type LiveConfig, saleSettings } from "./live-config.js";
import type { LiveReceipts } from "./live-receipts.js";
import { ReaderSlot } from "./reader-slot.js";
import type { ReloadTarget } from "./reload.js";

export interface ApplyParts {
  live: LiveConfig;
  decider: Decider;
  sales: SaleService;
  sessions: OperatorSessions;
  receipts: LiveReceipts;
  readers: readonly CardReader[];
  receiptWaitMs: number;
  now: () => number;
  log: Logger;
}

export function reloadTarget(parts: ApplyParts): ReloadTarget {
  return {
    current: () => parts.live.current,
    applyLive(next) {
      // One synchronous step: no sale can start between two of these.
      parts.live.replace(next);
      parts.decider.reconfigure(deciderSettings(next));
      parts.sales.reconfigure(saleSettings(next, parts.receiptWaitMs));
      parts.sessions.reconfigure(next.operators, next.api.idleTimeoutMs);
      parts.sessions.roles.setConfig(next.roles);
      parts.receipts.relayout(next);
    },
    async restartDevice(device, next) {
      if (device === `printer:${PRINTER_ID}`) return parts.receipts.reopenPrinter(next);
      const id = device.replace(/^reader:/, "");
      const slot = parts.readers.find((r) => r.id === id);
      const config = next.readers.find((r) => r.id === id);
      if (!(slot instanceof ReaderSlot) || !config) throw new Error(`no reopenable device ${device}`);
      await slot.swap(createReader(config, parts.now, parts.log));
    },
  };
}

/** A reader for the running agent: devices in a slot a reload can reopen; the simulated one as it is. */
export function agentReader(config: AgentConfig["readers"][number], now: () => number, log: Logger): CardReader {
  const reader = createReader(config, now, log);
  return config.type === "simulated" ? reader : new ReaderSlot(reader);
}
