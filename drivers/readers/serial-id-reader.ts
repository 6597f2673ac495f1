/**
 * A 125 kHz ID-card reader on a serial line: the reader sends one text line per card
 * (format in ./id-line-format.ts) and this driver turns each into one `tap`.
 *
 * The transport is injected (`openPort`, default ./node-serial-port.ts, loaded only when used),
 * and so are clock, random, timers and log, so the supervision logic is tested without waiting.
 * Supervision follows docs/architecture.md#rules-of-the-house: a lost port is reopened with
 * capped exponential backoff plus jitter (a fleet of terminals must not reconnect in step after
 * a power cut), and events from a superseded port are dropped by generation number.
 */
import { ReadlineParser } from "@serialport/parser-readline";
import { type CardId, cardId } from "../../rules/card.js";
import { type IdLineFormat, parseIdLine } from "./id-line-format.js";
import { compileIdPattern, invalidReaderConfig } from "./id-pattern.js";
import { LineLengthGuard, MAX_LINE_BYTES } from "./line-length-guard.js";
import { LinkReader } from "./link-reader.js";
import type { SupervisedReaderDeps } from "./reader-deps.js";
import type { PortFactory, SerialLink, SerialPortOptions } from "./serial-link.js";

export { LineLengthGuard, MAX_LINE_BYTES } from "./line-length-guard.js";
export {
  DEFAULT_SILENT_AFTER_MS,
  type LogLevel,
  type ReaderLog,
  type ReaderTimers,
  type SupervisedReaderDeps,
} from "./reader-deps.js";
export { type BackoffOptions, backoffDelay, DEFAULT_BACKOFF } from "./reopen-backoff.js";
export type { PortFactory, SerialLink, SerialPortOptions } from "./serial-link.js";

/** What the serial ID reader is told: its line, how a card's number is written on it. */
export interface SerialIdReaderOptions {
  id: string;
  path: string;
  baudRate: number;
  dataBits: 7 | 8;
  parity: "none" | "even" | "odd";
  stopBits: 1 | 2;
  /** Line delimiter the reader sends after each card. */
  delimiter: string;
  format: IdLineFormat;
  /** For format regex: a pattern with a named group `id`. */
  pattern?: string;
  /** The same card read again within this window is one tap. */
  debounceMs: number;
}

export interface SerialIdReaderDeps extends SupervisedReaderDeps {
  openPort?: PortFactory;
}

export interface SerialIdReaderStats {
  opens: number;
  losses: number;
  lines: number;
  taps: number;
  debounced: number;
  invalid: number;
  overflows: number;
}

const WARN_WINDOW_MS = 60_000;
const MAX_WARNS_PER_WINDOW = 20;

interface ActiveLink {
  link: SerialLink;
  guard: LineLengthGuard;
  parser: ReadlineParser;
  openedAt: number;
}

const openDefaultPort: PortFactory = async (options) =>
  (await import("./node-serial-port.js")).openNodeSerialPort(options);

export class SerialIdReader extends LinkReader<SerialLink, ActiveLink> {
  readonly type = "serial-id";
  readonly id: string;
  private readonly pattern: RegExp | undefined;
  private readonly delimiter: Buffer;
  private readonly openPort: PortFactory;
  protected readonly devicePath: string;
  protected get linkCounters() {
    return this.counters;
  }
  private skipOverflowedLine = false;
  private readonly counters: SerialIdReaderStats = {
    opens: 0,
    losses: 0,
    lines: 0,
    taps: 0,
    debounced: 0,
    invalid: 0,
    overflows: 0,
  };
  private warnWindowStart = Number.NEGATIVE_INFINITY;
  private warnsInWindow = 0;
  private suppressedWarns = 0;

  /** Throws CT_CONFIG_INVALID for a config that can never work (permanent, not retried). */
  constructor(
    private readonly config: SerialIdReaderOptions,
    deps: SerialIdReaderDeps = {},
  ) {
    super();
    this.id = config.id;
    if (config.delimiter.length === 0) invalidReaderConfig(config, "delimiter is empty");
    this.delimiter = Buffer.from(config.delimiter, "latin1");
    this.pattern = config.format === "regex" ? compileIdPattern(config) : undefined;
    this.openPort = deps.openPort ?? openDefaultPort;
    this.devicePath = config.path;
    this.supervise(deps, {
      label: "serial reader",
      reopenMessage: "reopening serial reader",
      debounceMs: config.debounceMs,
      counters: this.counters,
      isOpen: () => this.active !== undefined,
    });
  }

  stats(): SerialIdReaderStats {
    return { ...this.counters };
  }

  private portOptions(): SerialPortOptions {
    const { path, baudRate, dataBits, parity, stopBits } = this.config;
    return { path, baudRate, dataBits, parity, stopBits };
  }

  protected openLink(): Promise<SerialLink> {
    return this.openPort(this.portOptions());
  }

  protected attachLink(link: SerialLink, gen: number): { active: ActiveLink; detail: undefined } {
    const guard = new LineLengthGuard(this.delimiter, MAX_LINE_BYTES, () => this.onOverflow(gen));
    const parser = new ReadlineParser({ delimiter: this.delimiter, encoding: "latin1" });
    // No `end` down the pipe: DelimiterParser would flush a half line as if it were whole.
    link.readable.pipe(guard, { end: false }).pipe(parser, { end: false });
    parser.on("data", (line: string) => this.onLine(line, gen));
    link.onLost((err) => this.onLost(err, gen));
    return { active: { link, guard, parser, openedAt: this.now() }, detail: undefined };
  }

  protected override released(active: ActiveLink): void {
    this.skipOverflowedLine = false;
    active.link.readable.unpipe(active.guard);
    active.guard.destroy();
    active.parser.destroy();
  }

  private onOverflow(gen: number): void {
    if (gen !== this.generation) return;
    this.counters.overflows++;
    this.skipOverflowedLine = true;
    this.warnThrottled("serial reader line too long; discarding to the next delimiter", { maxBytes: MAX_LINE_BYTES });
  }

  private onLine(line: string, gen: number): void {
    if (gen !== this.generation || this.closing) return;
    this.counters.lines++;
    if (this.skipOverflowedLine) {
      this.skipOverflowedLine = false;
      this.counters.invalid++;
      return;
    }
    const result = parseIdLine(line, this.config.format, this.pattern);
    if (!result.ok) {
      this.counters.invalid++;
      this.warnThrottled("serial reader sent a line that is not a card id", {
        reason: result.reason,
        ...maskLine(line),
      });
      return;
    }
    let card: CardId;
    try {
      card = cardId("id", result.id);
    } catch {
      this.counters.invalid++;
      return;
    }
    this.accept(card);
  }

  /** Invalid lines come at line rate from a faulty reader: at most 20 warnings a minute. */
  private warnThrottled(msg: string, fields: Record<string, unknown>): void {
    const at = this.now();
    if (at - this.warnWindowStart >= WARN_WINDOW_MS || at < this.warnWindowStart) {
      this.warnWindowStart = at;
      this.warnsInWindow = 0;
    }
    if (this.warnsInWindow >= MAX_WARNS_PER_WINDOW) {
      this.suppressedWarns++;
      return;
    }
    this.warnsInWindow++;
    const suppressed = this.suppressedWarns > 0 ? { suppressed: this.suppressedWarns } : {};
    this.suppressedWarns = 0;
    this.log("warn", msg, { reader: this.id, ...fields, ...suppressed });
  }
}

/** What of a rejected line may be logged: its length and first two chars (escaped). */
export function maskLine(line: string): { length: number; head: string } {
  const head = Array.from(line.slice(0, 2), (c) => {
    const code = c.charCodeAt(0);
    return code >= 0x20 && code <= 0x7e ? c : `\\x${code.toString(16).padStart(2, "0")}`;
  }).join("");
  return { length: line.length, head };
}
