/**
 * The running config, and the settings each component takes from it, so a reload can
 * hand them new ones. Components with a `reconfigure` seam (Decider, SaleService,
 * OperatorSessions) get a fresh settings object and read it once per sale; the others
 * (till operations, the API token check, the console, the daily close) get objects whose
 * fields read the running config at the moment they are used.
 */
import type { AgentConfig } from "../../config/agent-config.js";
import type { SaleServiceDeps } from "../sale/sale-service.js";
import type { TillOpsDeps } from "../till/till-operations.js";

export class LiveConfig {
  constructor(private config: AgentConfig) {}

  get current(): AgentConfig {
    return this.config;
  }

  replace(next: AgentConfig): void {
    this.config = next;
  }
}

export function saleSettings(config: AgentConfig, receiptWaitMs: number): SaleServiceDeps["settings"] {
  return {
    storeName: config.terminal.storeName,
    terminalId: config.terminal.id,
    operatorId: config.terminal.operatorId,
    tapTimeoutMs: config.tapTimeoutMs,
    receiptWaitMs,
  };
}

/** Till operations read their settings field by field as they go: each read is the running config's. */
export function liveTillSettings(live: LiveConfig, receiptWaitMs: number): TillOpsDeps["settings"] {
  const c = () => live.current;
  return {
    get storeName() {
      return c().terminal.storeName;
    },
    get terminalId() {
      return c().terminal.id;
    },
    get timeZone() {
      return c().terminal.timeZone;
    },
    get language() {
      return c().terminal.language;
    },
    get tapTimeoutMs() {
      return c().tapTimeoutMs;
    },
    // A till operation is decided by the server only: it gets at least 3 s, more than a sale's online try.
    get opTimeoutMs() {
      return Math.max(c().server.authTimeoutMs, 3_000);
    },
    receiptWaitMs,
  };
}
