/**
 * A 125 kHz ID-card reader on a serial line: the reader sends one text line per card
 * (format in ./id-line-format.ts) and this driver turns each into one `tap`.
 *
 * The transport is injected (`openPort`, default ./node-serial-port.ts, loaded only when
 * used), and so are clock, random, timers and log, so the supervision logic is tested
 * without waiting. Supervision follows STYLE.md §5: a lost port is reopened with capped
 * exponential backoff plus jitter (a fleet of terminals must not reconnect in step after
 * a power cut), and events from a superseded port are dropped by generation number.
 */
import { ReadlineParser } from "@serialport/parser-readline";
import type { SerialIdReaderConfig } from "../../config/agent-config.js";
import { type CardId, cardId, maskCardId } from "../../protocol/card.js";
import { CardtermError } from "../../protocol/errors.js";
import { CardReader, type ReaderState, type ReaderStatus } from "./card-reader.js";
import { parseIdLine } from "./id-line-format.js";
import { LineLengthGuard, MAX_LINE_BYTES } from "./line-length-guard.js";
import type { PortFactory, SerialLink, SerialPortOptions } from "./serial-link.js";

export { LineLengthGuard, MAX_LINE_BYTES } from "./line-length-guard.js";
export type { PortFactory, SerialLink, SerialPortOptions } from "./serial-link.js";

export interface ReaderTimers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export type LogLevel = "debug" | "info" | "warn" | "error";
export type ReaderLog = (level: LogLevel, msg: string, fields?: Record<string, unknown>) => void;

export interface BackoffOptions {
  initialMs: number;
  maxMs: number;
  /** Fraction of the delay added or taken at random, e.g. 0.2 for ±20%. */
  jitter: number;
}

export interface SerialIdReaderDeps {
  openPort?: PortFactory;
  now?: () => number;
  random?: () => number;
  timers?: ReaderTimers;
  log?: ReaderLog;
  backoff?: Partial<BackoffOptions>;
  /** Open but no card read for this long shows as `silent` (serial ID readers send no heartbeat). */
  silentAfterMs?: number;
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

export const DEFAULT_BACKOFF: BackoffOptions = { initialMs: 250, maxMs: 10_000, jitter: 0.2 };
export const DEFAULT_SILENT_AFTER_MS = 30 * 60_000;
const WARN_WINDOW_MS = 60_000;
const MAX_WARNS_PER_WINDOW = 20;

export function backoffDelay(attempt: number, options: BackoffOptions, random: () => number): number {
  const base = Math.min(options.maxMs, options.initialMs * 2 ** Math.max(0, attempt - 1));
  return Math.max(0, Math.round(base * (1 + options.jitter * (2 * random() - 1))));
}

interface ActiveLink {
  link: SerialLink;
  guard: LineLengthGuard;
  parser: ReadlineParser;
  openedAt: number;
}

const realTimers: ReaderTimers = {
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

const defaultLog: ReaderLog = (level, msg, fields) => {
  if (level === "warn" || level === "error") console.error(JSON.stringify({ level, msg, ...fields }));
};

const openDefaultPort: PortFactory = async (options) =>
  (await import("./node-serial-port.js")).openNodeSerialPort(options);

export class SerialIdReader extends CardReader {
  readonly type = "serial-id";
  readonly id: string;
  private readonly pattern: RegExp | undefined;
  private readonly delimiter: Buffer;
  private readonly openPort: PortFactory;
  private readonly now: () => number;
  private readonly random: () => number;
  private readonly timers: ReaderTimers;
  private readonly log: ReaderLog;
  private readonly backoff: BackoffOptions;
  private readonly silentAfterMs: number;

  private state: ReaderState = "starting";
  private detail: string | undefined;
  private lastEventAt: number | null = null;
  /** Bumped whenever a port is attached or dropped; events carrying an older number are late. */
  private generation = 0;
  private active: ActiveLink | undefined;
  private failures = 0;
  private everOpened = false;
  private reopenTimer: unknown;
  private silenceTimer: unknown;
  private opening: Promise<void> | undefined;
  private started = false;
  private closing: Promise<void> | undefined;
  private lastCard: { id: CardId; at: number } | undefined;
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
    private readonly config: SerialIdReaderConfig,
    deps: SerialIdReaderDeps = {},
  ) {
    super();
    this.id = config.id;
    if (config.delimiter.length === 0) invalidConfig(config, "delimiter is empty");
    this.delimiter = Buffer.from(config.delimiter, "latin1");
    this.pattern = config.format === "regex" ? compilePattern(config) : undefined;
    this.openPort = deps.openPort ?? openDefaultPort;
    this.now = deps.now ?? Date.now;
    this.random = deps.random ?? Math.random;
    this.timers = deps.timers ?? realTimers;
    this.log = deps.log ?? defaultLog;
    this.backoff = { ...DEFAULT_BACKOFF, ...deps.backoff };
    this.silentAfterMs = deps.silentAfterMs ?? DEFAULT_SILENT_AFTER_MS;
  }

  async start(): Promise<void> {
    if (this.started || this.closing) return this.opening;
    this.started = true;
    return this.openOnce();
  }

  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  status(): ReaderStatus {
    const status: ReaderStatus = {
      id: this.id,
      type: this.type,
      state: this.state,
      lastEventAt: this.lastEventAt === null ? null : new Date(this.lastEventAt).toISOString(),
    };
    if (this.detail !== undefined) status.detail = this.detail;
    return status;
  }

  stats(): SerialIdReaderStats {
    return { ...this.counters };
  }

  private openOnce(): Promise<void> {
    this.opening = this.tryOpen();
    return this.opening;
  }

  private async tryOpen(): Promise<void> {
    let link: SerialLink;
    try {
      link = await this.openPort(this.portOptions());
    } catch (err) {
      if (!this.closing) this.openFailed(err);
      return;
    }
    if (this.closing) await link.close();
    else this.attach(link);
  }

  private portOptions(): SerialPortOptions {
    const { path, baudRate, dataBits, parity, stopBits } = this.config;
    return { path, baudRate, dataBits, parity, stopBits };
  }

  private attach(link: SerialLink): void {
    const gen = ++this.generation;
    const guard = new LineLengthGuard(this.delimiter, MAX_LINE_BYTES, () => this.onOverflow(gen));
    const parser = new ReadlineParser({ delimiter: this.delimiter, encoding: "latin1" });
    // No `end` down the pipe: DelimiterParser would flush a half line as if it were whole.
    link.readable.pipe(guard, { end: false }).pipe(parser, { end: false });
    parser.on("data", (line: string) => this.onLine(line, gen));
    link.onLost((err) => this.onLost(err, gen));
    const at = this.now();
    this.active = { link, guard, parser, openedAt: at };
    this.everOpened = true;
    this.counters.opens++;
    this.lastEventAt = at;
    this.setState("present", undefined);
    this.armSilence();
  }

  /** Drops the current port: its later data and close events no longer match the generation. */
  private detach(): ActiveLink | undefined {
    const active = this.active;
    this.active = undefined;
    this.generation++;
    this.skipOverflowedLine = false;
    this.clearTimer("silenceTimer");
    if (active) {
      active.link.readable.unpipe(active.guard);
      active.guard.destroy();
      active.parser.destroy();
    }
    return active;
  }

  private openFailed(err: unknown): void {
    const message = err instanceof Error ? err.message : String(err);
    if (this.everOpened) this.setState("lost", `CT_READER_LOST: cannot reopen ${this.config.path}: ${message}`);
    else this.setState("error", `CT_READER_UNAVAILABLE: cannot open ${this.config.path}: ${message}`);
    this.scheduleReopen();
  }

  private onLost(err: Error, gen: number): void {
    if (gen !== this.generation || this.closing) return;
    const active = this.detach();
    if (!active) return;
    // A port that flaps (opens, dies at once) keeps its backoff growing instead of resetting.
    if (this.now() - active.openedAt >= this.backoff.maxMs) this.failures = 0;
    this.counters.losses++;
    this.setState("lost", `CT_READER_LOST: ${this.config.path}: ${err.message}`);
    void active.link.close().catch(() => {});
    this.scheduleReopen();
  }

  private scheduleReopen(): void {
    this.failures++;
    const delay = backoffDelay(this.failures, this.backoff, this.random);
    this.log("debug", "reopening serial reader", { reader: this.id, attempt: this.failures, delayMs: delay });
    this.reopenTimer = this.timers.setTimeout(() => {
      this.reopenTimer = undefined;
      void this.openOnce();
    }, delay);
  }

  private async shutdown(): Promise<void> {
    this.clearTimer("reopenTimer");
    this.clearTimer("silenceTimer");
    await this.opening;
    const active = this.detach();
    if (active) await active.link.close().catch(() => {});
    this.setState("closed", undefined);
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

  /** The same card again within debounceMs of its last read is the card still lying there. */
  private accept(card: CardId): void {
    const at = this.now();
    const last = this.lastCard;
    this.lastCard = { id: card, at };
    this.lastEventAt = at;
    if (this.state === "silent") this.setState("present", undefined);
    this.armSilence();
    const sinceLast = last?.id === card ? at - last.at : Number.POSITIVE_INFINITY;
    if (sinceLast >= 0 && sinceLast < this.config.debounceMs) {
      this.counters.debounced++;
      return;
    }
    this.counters.taps++;
    this.log("debug", "card read", { reader: this.id, card: maskCardId(card) });
    this.safely("tap", () => this.emit("tap", { readerId: this.id, cardId: card, at }));
  }

  private armSilence(): void {
    this.clearTimer("silenceTimer");
    if (!(this.silentAfterMs > 0) || !Number.isFinite(this.silentAfterMs)) return;
    this.silenceTimer = this.timers.setTimeout(() => {
      this.silenceTimer = undefined;
      if (this.state === "present" && this.active) {
        this.setState("silent", `no card read for ${Math.round(this.silentAfterMs / 60_000)} min`);
      }
    }, this.silentAfterMs);
  }

  private clearTimer(name: "reopenTimer" | "silenceTimer"): void {
    const handle = this[name];
    if (handle !== undefined) this.timers.clearTimeout(handle);
    this[name] = undefined;
  }

  private setState(state: ReaderState, detail: string | undefined): void {
    if (state === this.state && detail === this.detail) return;
    const changed = state !== this.state;
    this.state = state;
    this.detail = detail;
    if (changed) {
      const level = state === "lost" || state === "error" ? "warn" : "info";
      this.log(level, `serial reader ${state}`, { reader: this.id, detail });
    }
    const status = this.status();
    this.safely("status", () => this.emit("status", status));
  }

  /** A throwing listener must not break the read loop or reach the serial port's stream. */
  private safely(what: string, fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.log("error", `a ${what} listener threw`, { reader: this.id, err: String(err) });
    }
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

function compilePattern(config: SerialIdReaderConfig): RegExp {
  if (!config.pattern) invalidConfig(config, "format regex needs a pattern");
  if (!config.pattern.includes("(?<id>")) invalidConfig(config, "pattern has no named group (?<id>…)");
  try {
    return new RegExp(config.pattern);
  } catch (err) {
    return invalidConfig(config, `pattern does not compile: ${err instanceof Error ? err.message : String(err)}`);
  }
}

function invalidConfig(config: SerialIdReaderConfig, why: string): never {
  throw new CardtermError("CT_CONFIG_INVALID", `reader ${config.id}: ${why}`, { details: { reader: config.id } });
}
