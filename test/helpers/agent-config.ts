/** An AgentConfig for tests, built in code (the YAML loader has its own tests). */
import { randomBytes } from "node:crypto";
import type { AgentConfig } from "../../config/agent-config.js";

export function testAgentConfig(over: {
  dataDir: string;
  mqttUrl: string;
  apiPort?: number;
  apiToken?: string;
  operators?: import("../../config/agent-config.js").OperatorConfig[];
  key?: Buffer;
  terminalId?: string;
  readers?: AgentConfig["readers"];
  printer?: AgentConfig["printer"];
  offline?: Partial<AgentConfig["offline"]>;
  authTimeoutMs?: number;
}): AgentConfig {
  return {
    source: "<test>",
    version: 1,
    terminal: {
      id: over.terminalId ?? "T001",
      storeId: "S001",
      storeName: "测试门店",
      key: over.key ?? randomBytes(32),
      dataDir: over.dataDir,
      language: "zh-CN",
      timeZone: "Asia/Shanghai",
      operatorId: "001",
    },
    api: { host: "127.0.0.1", port: over.apiPort ?? 0, token: over.apiToken ?? null, idleTimeoutMs: 15 * 60_000 },
    operators: over.operators ?? [],
    readers: over.readers ?? [{ id: "sim", type: "simulated" }],
    printer: over.printer ?? { type: "none" },
    server: { mqttUrl: over.mqttUrl, authTimeoutMs: over.authTimeoutMs ?? 1500, uploadBatchSize: 100 },
    offline: {
      enabled: true,
      perTransactionMinor: 30_000,
      perCardMinor: 50_000,
      perCardCount: 5,
      terminalMinor: 300_000,
      terminalCount: 300,
      maxOfflineAgeMs: 24 * 3600_000,
      allowUnknownCards: false,
      ...over.offline,
    },
    tapTimeoutMs: 5000,
    archiveDays: 90,
  };
}
