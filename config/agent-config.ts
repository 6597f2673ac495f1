/**
 * The agent's configuration after loading: amounts in minor units, durations in
 * milliseconds, every default filled in. The YAML form technicians write is described
 * by config/schema.ts and explained in config/examples/.
 */
import type { Minor } from "../rules/money.js";
import type { OfflineLimits } from "../rules/offline-rules.js";
import type { Permission, Role } from "../rules/roles.js";

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

/**
 * How a chip card becomes a card id (drivers/readers/card-identity.ts has the rule):
 * `uid` gives `ic:<UID in upper-case hex>`; `memberNumber` reads the number from a MIFARE
 * Classic block and files it under `memberNumber.technology`.
 */
export type IcIdentity = "uid" | "memberNumber";

export interface MifareMemberNumberConfig {
  /** Sector 0-39 and data block within it (0-2, or 0-14 in sectors 32-39 of a 4K card). */
  sector: number;
  block: number;
  keyType: "A" | "B";
  /** The 6-byte sector key (a secret: from a file, an env variable or the config). */
  key: Buffer;
  /** ascii: printable text, padding trimmed; bcd: packed digits, F-nibble padded; hex: the bytes as hex. */
  encoding: "ascii" | "bcd" | "hex";
  /** Bytes of the block that hold the number, from its start (1-16). */
  length: number;
  /** The technology the number is filed under: `id` (like the ID-card number) or `ic`. */
  technology: "id" | "ic";
}

export interface PcscReaderConfig {
  id: string;
  type: "pcsc";
  /** Substring of the PC/SC reader names this reader takes (e.g. "ACR122"); all readers when absent. */
  readerName?: string;
  /** ISO 14443-4 application id (upper-case hex): such cards answer SELECT with their id. */
  aid?: string;
  identity: IcIdentity;
  /** Required with identity memberNumber, and only then. */
  memberNumber?: MifareMemberNumberConfig;
  /** Blink and beep on an ACR122U after each read; readers without it are left alone. */
  feedback: boolean;
  debounceMs: number;
}

export interface KeyboardWedgeReaderConfig {
  id: string;
  type: "keyboard-wedge";
  /** The evdev device, e.g. /dev/input/by-id/usb-…-event-kbd. */
  path: string;
  format: IdLineFormat;
  pattern?: string;
  /**
   * `id` (default): the typed number is an ID-card number. `ic`: it is a chip UID typed by a
   * 13.56 MHz wedge (format hex or decimal), mapped to the same `ic:` id PC/SC readers give.
   */
  technology: "id" | "ic";
  /** For technology ic: the order the reader types the UID bytes in (many send lsbFirst). */
  uidByteOrder: "msbFirst" | "lsbFirst";
  /** Take the keyboard exclusively (EVIOCGRAB) so the digits never reach the POS app. */
  grab: boolean;
  debounceMs: number;
}

export type ReaderConfig = SimulatedReaderConfig | SerialIdReaderConfig | PcscReaderConfig | KeyboardWedgeReaderConfig;

/** The printer's character set (drivers/printer/render-receipt.ts explains each). */
export type PrinterCharset = "gb18030" | "cp437" | "cp1252";

/**
 * What every printer that prints receipts shares: paper, character set, the chain's
 * header, footer and logo, the cash drawer, previews and how long receipts stay for
 * reprint. The optional keys are present only when the file sets them; the printers and
 * the print queue apply the defaults (CONFIG_DEFAULTS.printer in config/load-config.ts).
 */
export interface ReceiptOptions {
  paperWidth: 58 | 80;
  /** Default gb18030. */
  charset?: PrinterCharset;
  /** Lines printed under the store name, e.g. address and phone. */
  header?: string[];
  /** Lines printed above the thank-you line, e.g. a returns policy. */
  footer?: string[];
  /** A PNG printed above the store name (checked at load: a PNG that fits the paper). */
  logo?: { file: string; png: Buffer };
  /** Pulse this cash drawer pin after a cash transaction's receipt (`drawerKick: true`). */
  drawerPin?: 2 | 5;
  /** Also keep PNG/SVG/ESC-POS previews of every receipt here (optional). */
  previewDir?: string;
  /** How long printed receipts are kept for `cardterm receipt reprint` (default 7 days). */
  keepForMs?: number;
}

/** Printers that can be asked for their state (DLE EOT). */
export interface DevicePrinterOptions extends ReceiptOptions {
  timeoutMs: number;
  /** How often the agent asks for paper and cover state (default 30 s). */
  statusIntervalMs?: number;
}

export interface NetworkPrinterConfig extends DevicePrinterOptions {
  type: "network";
  host: string;
  port: number;
}

export interface SerialPrinterConfig extends DevicePrinterOptions {
  type: "serial";
  path: string;
  baudRate: number;
  dataBits: 7 | 8;
  parity: "none" | "even" | "odd";
  stopBits: 1 | 2;
  /** Hardware (RTS/CTS) or software (XON/XOFF) flow control, as set on the printer's DIP switches. */
  flowControl: "none" | "rtscts" | "xonxoff";
}

/** A USB printer through the kernel's usblp driver: /dev/usb/lp0, or a udev symlink to it. */
export interface UsbPrinterConfig extends DevicePrinterOptions {
  type: "usb";
  path: string;
}

export interface PreviewPrinterConfig extends ReceiptOptions {
  type: "preview";
  previewDir: string;
}

export interface NoPrinterConfig {
  type: "none";
}

export type PrinterConfig =
  | NetworkPrinterConfig
  | SerialPrinterConfig
  | UsbPrinterConfig
  | PreviewPrinterConfig
  | NoPrinterConfig;

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
  /** `token`: the POS app's bearer token (null: none asked); `idleTimeoutMs`: operator sessions end after this idle time. */
  api: { host: string; port: number; token: string | null; idleTimeoutMs: number };
  /** Who may log in at this till; empty = no log-in, sales under terminal.operatorId. */
  operators: OperatorConfig[];
  /**
   * Narrows what each named role may do at this till (docs/operators.md): the permissions
   * in force are the chain's (policy) intersected with these. Absent: the chain's as they are.
   */
  roles?: ConfigRoles;
  readers: ReaderConfig[];
  printer: PrinterConfig;
  server: {
    mqttUrl: string;
    username?: string;
    password?: string;
    /** How long an online authorisation may take before the offline rules decide. */
    authTimeoutMs: number;
    uploadBatchSize: number;
    /** server.tls, as absolute paths of PEM files; absent = plain TCP or the system's trust store. */
    tls?: { caFile?: string; certFile?: string; keyFile?: string };
  };
  offline: OfflineLimits;
  /** How long a sale waits for a tap on a configured reader when no card uid is given. */
  tapTimeoutMs: number;
  /** Days acknowledged journal entries are kept in the archive on the box. */
  archiveDays: number;
}

export type { Minor };

export type ConfigRoles = Partial<Record<Role, Permission[]>>;

export interface OperatorConfig {
  id: string;
  name: string;
  role: "cashier" | "supervisor" | "technician";
  pinHash: string;
  cardUid?: string;
}
