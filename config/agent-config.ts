/**
 * The agent's configuration after loading: amounts in minor units, durations in
 * milliseconds, every default filled in. The YAML form technicians write is described
 * by config/schema.ts and explained in config/examples/.
 */
import type { Minor } from "../protocol/money.js";
import type { OfflineLimits } from "../protocol/offline-rules.js";

export type Language = "zh-CN" | "en";

export interface SimulatedReaderConfig {
  id: string;
  type: "simulated";
}

export type IdLineFormat = "decimal" | "hex" | "em4100" | "wiegand26" | "regex";

export interface SerialIdReaderConfig {
  id: string;
  type: "serial-id";
  path: string;
  baudRate: number;
  dataBits: 7 | 8;
  parity: "none" | "even" | "odd";
  stopBits: 1 | 2;
  /** Line delimiter the reader sends after each card: "\r\n", "\n" or "\r". */
  delimiter: string;
  format: IdLineFormat;
  /** For format regex: a pattern with a named group `id`. */
  pattern?: string;
  /** The same card read again within this window is one tap. */
  debounceMs: number;
}

export type ReaderConfig = SimulatedReaderConfig | SerialIdReaderConfig;

export interface NetworkPrinterConfig {
  type: "network";
  host: string;
  port: number;
  paperWidth: 58 | 80;
  timeoutMs: number;
  /** Also keep PNG/SVG previews of every receipt here (optional). */
  previewDir?: string;
}

export interface PreviewPrinterConfig {
  type: "preview";
  previewDir: string;
  paperWidth: 58 | 80;
}

export interface NoPrinterConfig {
  type: "none";
}

export type PrinterConfig = NetworkPrinterConfig | PreviewPrinterConfig | NoPrinterConfig;

export interface AgentConfig {
  /** The file it was loaded from (for messages), or "<defaults>". */
  source: string;
  version: 1;
  terminal: {
    id: string;
    storeId: string;
    storeName: string;
    /** The terminal's MAC key, 32 bytes. */
    key: Buffer;
    dataDir: string;
    language: Language;
    /** IANA time zone of the store, for the business day. */
    timeZone: string;
    operatorId: string;
  };
  api: { host: string; port: number };
  readers: ReaderConfig[];
  printer: PrinterConfig;
  server: {
    mqttUrl: string;
    username?: string;
    password?: string;
    /** How long an online authorisation may take before the offline rules decide. */
    authTimeoutMs: number;
    uploadBatchSize: number;
  };
  offline: OfflineLimits;
  /** How long a sale waits for a tap on a configured reader when no card uid is given. */
  tapTimeoutMs: number;
}

export type { Minor };
