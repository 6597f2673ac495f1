/** The TypeScript shape of the YAML form, after validation against configJsonSchema (config/schema.ts). */
import type {
  FLOW_CONTROLS,
  IC_IDENTITIES,
  ID_FORMATS,
  MEMBER_NUMBER_ENCODINGS,
  PRINTER_CHARSETS,
  PRINTER_TYPES,
  READER_TYPES,
} from "./schema-parts.js";

/* The YAML form after validation against configJsonSchema (before defaults and secrets). */

export type SecretSource = string | { env: string } | { file: string };
export type KeySource = { file: string } | { env: string } | { hex: string };
/** An amount as written: a string, or a YAML number whose source text is checked. */
export type AmountText = string | number;

export interface ConfigFileReader {
  id: string;
  type: (typeof READER_TYPES)[number];
  path?: string;
  baudRate?: number;
  dataBits?: 7 | 8;
  parity?: "none" | "even" | "odd";
  stopBits?: 1 | 2;
  delimiter?: string;
  format?: (typeof ID_FORMATS)[number];
  pattern?: string;
  debounce?: string;
  readerName?: string;
  aid?: string;
  identity?: (typeof IC_IDENTITIES)[number];
  memberNumber?: ConfigFileMemberNumber;
  feedback?: boolean;
  technology?: "id" | "ic";
  uidByteOrder?: "msbFirst" | "lsbFirst";
  grab?: boolean;
}

export interface ConfigFileMemberNumber {
  sector: number;
  block: number;
  keyType?: "A" | "B";
  key: KeySource;
  encoding: (typeof MEMBER_NUMBER_ENCODINGS)[number];
  length?: number;
  technology: "id" | "ic";
}

export interface ConfigFilePrinter {
  type: (typeof PRINTER_TYPES)[number];
  host?: string;
  port?: number;
  path?: string;
  baudRate?: number;
  dataBits?: 7 | 8;
  parity?: "none" | "even" | "odd";
  stopBits?: 1 | 2;
  flowControl?: (typeof FLOW_CONTROLS)[number];
  paperWidth?: 58 | 80;
  charset?: (typeof PRINTER_CHARSETS)[number];
  header?: string[];
  footer?: string[];
  logo?: string;
  drawerKick?: boolean;
  drawerPin?: 2 | 5;
  keepFor?: string;
  timeout?: string;
  statusInterval?: string;
  previewDir?: string;
}

export interface ConfigFile {
  version?: number;
  terminal: {
    id: string;
    storeId?: string;
    storeName?: string;
    key: KeySource;
    dataDir: string;
    language?: "zh-CN" | "en";
    timeZone?: string;
    operatorId?: string;
  };
  api?: { host?: string; port?: number; token?: SecretSource; idleTimeout?: string };
  roles?: Partial<Record<"cashier" | "supervisor" | "technician", string[]>>;
  operators?: {
    id: string;
    name: string;
    role: "cashier" | "supervisor" | "technician";
    pinHash: string;
    cardUid?: string;
  }[];
  readers?: ConfigFileReader[];
  printer?: ConfigFilePrinter;
  server: {
    mqttUrl: string;
    username?: string;
    password?: SecretSource;
    authTimeout?: string;
    uploadBatchSize?: number;
    tls?: { ca?: { file: string }; cert?: { file: string }; key?: { file: string } };
  };
  offline?: {
    enabled?: boolean;
    perTransaction?: AmountText;
    perCard?: AmountText;
    perCardCount?: number;
    terminalTotal?: AmountText;
    terminalCount?: number;
    maxAge?: string;
    allowUnknownCards?: boolean;
  };
  tapTimeout?: string;
  archiveDays?: number;
}
