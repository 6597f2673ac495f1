/**
 * A keyboard-wedge reader: a cheap USB reader that "types" the card number followed by
 * Enter. The driver reads its evdev device (/dev/input/by-id/…-event-kbd) with an
 * exclusive grab (./evdev-link.ts says how, without a native addon), decodes the key
 * events (./input-event.ts) into lines, parses each like a serial ID reader's line
 * (./id-line-format.ts) and maps it to one card id (./card-identity.ts).
 *
 * Supervision as in ./serial-id-reader.ts: injected opener, clock, random, timers and
 * log; a lost device is reopened with capped backoff and jitter; late events of a
 * superseded link are dropped by generation; close is idempotent. A grab that fails
 * (another program holds the keyboard) is retried like an unplugged device and shows as
 * `error` — the driver never falls back to reading without the grab, which would let the
 * number reach the POS app. Grabbing needs read access to the device: run the agent in
 * the `input` group (or a udev rule giving it the reader).
 */
import type { KeyboardWedgeReaderConfig } from "../../config/agent-config.js";
import { type CardId, maskCardId } from "../../protocol/card.js";
import { CardtermError } from "../../protocol/errors.js";
import { wedgeCardId } from "./card-identity.js";
import { CardReader, type ReaderState, type ReaderStatus } from "./card-reader.js";
import { type EvdevLink, EvdevOpenError, type EvdevOpener, openEvdev } from "./evdev-link.js";
import { MAX_ID_LINE_CHARS, parseIdLine } from "./id-line-format.js";
import { decodeInputEvents, inputEventSize, KeyLineDecoder } from "./input-event.js";
import {
  type BackoffOptions,
  backoffDelay,
  DEFAULT_BACKOFF,
  DEFAULT_SILENT_AFTER_MS,
  maskLine,
  type ReaderLog,
  type ReaderTimers,
} from "./serial-id-reader.js";

export interface KeyboardWedgeReaderDeps {
  openDevice?: EvdevOpener;
  now?: () => number;
  random?: () => number;
  timers?: ReaderTimers;
  log?: ReaderLog;
  backoff?: Partial<BackoffOptions>;
  silentAfterMs?: number;
  /** Bytes per input_event (24 on 64-bit boxes, 16 on 32-bit); default: this arch. */
  eventSize?: 16 | 24;
}

export interface KeyboardWedgeReaderStats {
  opens: number;
  losses: number;
  lines: number;
  taps: number;
  debounced: number;
  invalid: number;
  overflows: number;
  dropped: number;
}

/** A reader types a whole number in well under this; a longer pause splits garbage from a card. */
const MAX_KEY_GAP_US = 500_000;

const realTimers: ReaderTimers = {
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

const defaultLog: ReaderLog = (level, msg, fields) => {
  if (level === "warn" || level === "error") console.error(JSON.stringify({ level, msg, ...fields }));
};

interface ActiveLink {
  link: EvdevLink;
  openedAt: number;
}

export class KeyboardWedgeReader extends CardReader {
  readonly type = "keyboard-wedge";
  readonly id: string;
  private readonly pattern: RegExp | undefined;
  private readonly openDevice: EvdevOpener;
  private readonly now: () => number;
  private readonly random: () => number;
  private readonly timers: ReaderTimers;
  private readonly log: ReaderLog;
  private readonly backoff: BackoffOptions;
  private readonly silentAfterMs: number;
  private readonly eventSize: 16 | 24;

  private state: ReaderState = "starting";
  private detail: string | undefined;
  private lastEventAt: number | null = null;
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
  private readonly counters: KeyboardWedgeReaderStats = {
    opens: 0,
    losses: 0,
    lines: 0,
    taps: 0,
    debounced: 0,
    invalid: 0,
    overflows: 0,
    dropped: 0,
  };

  /** Throws CT_CONFIG_INVALID for a config that can never work (permanent, not retried). */
  constructor(
    private readonly config: KeyboardWedgeReaderConfig,
    deps: KeyboardWedgeReaderDeps = {},
  ) {
    super();
    this.id = config.id;
    this.pattern = config.format === "regex" ? compilePattern(config) : undefined;
    if (config.technology === "ic" && config.format !== "hex" && config.format !== "decimal") {
      invalidConfig(config, "technology ic needs format hex or decimal");
    }
    this.openDevice = deps.openDevice ?? openEvdev;
    this.now = deps.now ?? Date.now;
    this.random = deps.random ?? Math.random;
    this.timers = deps.timers ?? realTimers;
    this.log = deps.log ?? defaultLog;
    this.backoff = { ...DEFAULT_BACKOFF, ...deps.backoff };
    this.silentAfterMs = deps.silentAfterMs ?? DEFAULT_SILENT_AFTER_MS;
    this.eventSize = deps.eventSize ?? inputEventSize();
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

  stats(): KeyboardWedgeReaderStats {
    return { ...this.counters };
  }

  private openOnce(): Promise<void> {
    this.opening = this.tryOpen();
    return this.opening;
  }

  private async tryOpen(): Promise<void> {
    let link: EvdevLink;
    try {
      link = await this.openDevice(this.config.path, this.config.grab);
    } catch (err) {
      if (!this.closing) this.openFailed(err);
      return;
    }
    if (this.closing) await link.close();
    else this.attach(link);
  }

  private attach(link: EvdevLink): void {
    const gen = ++this.generation;
    const decoder = new KeyLineDecoder({ maxChars: MAX_ID_LINE_CHARS, maxGapUs: MAX_KEY_GAP_US });
    let carry: Buffer = Buffer.alloc(0);
    link.readable.on("data", (chunk: Buffer) => {
      if (gen !== this.generation || this.closing) return;
      const { events, rest } = decodeInputEvents(Buffer.concat([carry, chunk]), this.eventSize);
      carry = rest;
      for (const result of decoder.push(events)) {
        if ("line" in result) this.onLine(result.line);
        else if ("overflow" in result) this.onGarbage("overflows", "keyboard reader typed a line too long; dropped");
        else this.onGarbage("dropped", "keyboard reader paused mid-number; the partial number was dropped");
      }
    });
    link.onLost((err) => this.onLost(err, gen));
    const at = this.now();
    this.active = { link, openedAt: at };
    this.everOpened = true;
    this.counters.opens++;
    this.lastEventAt = at;
    this.setState("present", this.config.grab ? undefined : "not grabbed: the number also reaches the focused app");
    this.armSilence();
  }

  private openFailed(err: unknown): void {
    const message = err instanceof Error ? err.message : String(err);
    if (err instanceof EvdevOpenError && err.kind === "missing") {
      this.setState("unavailable", `CT_READER_UNAVAILABLE: ${message}`);
      return;
    }
    const grab = !message.startsWith("grab:")
      ? ""
      : /busy/i.test(message)
        ? " (another program holds this keyboard)"
        : " (not an evdev keyboard: use /dev/input/by-id/…-event-kbd)";
    if (this.everOpened) this.setState("lost", `CT_READER_LOST: cannot reopen ${this.config.path}: ${message}`);
    else this.setState("error", `CT_READER_UNAVAILABLE: cannot open ${this.config.path}: ${message}${grab}`);
    this.scheduleReopen();
  }

  private onLost(err: Error, gen: number): void {
    if (gen !== this.generation || this.closing) return;
    const active = this.active;
    this.active = undefined;
    this.generation++;
    this.clearTimer("silenceTimer");
    if (!active) return;
    if (this.now() - active.openedAt >= this.backoff.maxMs) this.failures = 0;
    this.counters.losses++;
    this.setState("lost", `CT_READER_LOST: ${this.config.path}: ${err.message}`);
    void active.link.close();
    this.scheduleReopen();
  }

  private scheduleReopen(): void {
    this.failures++;
    const delay = backoffDelay(this.failures, this.backoff, this.random);
    this.log("debug", "reopening keyboard reader", { reader: this.id, attempt: this.failures, delayMs: delay });
    this.reopenTimer = this.timers.setTimeout(() => {
      this.reopenTimer = undefined;
      if (!this.closing) void this.openOnce();
    }, delay);
  }

  private async shutdown(): Promise<void> {
    this.clearTimer("reopenTimer");
    this.clearTimer("silenceTimer");
    await this.opening;
    const active = this.active;
    this.active = undefined;
    this.generation++;
    if (active) await active.link.close();
    this.setState("closed", undefined);
  }

  private onLine(line: string): void {
    this.counters.lines++;
    const parsed = parseIdLine(line, this.config.format, this.pattern);
    const mapped = parsed.ok
      ? wedgeCardId(parsed.id, this.config.technology, this.config.format, this.config.uidByteOrder)
      : parsed;
    if (!mapped.ok) {
      this.counters.invalid++;
      this.log("warn", "keyboard reader typed a line that is not a card id", {
        reader: this.id,
        reason: mapped.reason,
        ...maskLine(line),
      });
      return;
    }
    this.accept(mapped.id);
  }

  private onGarbage(counter: "overflows" | "dropped", msg: string): void {
    this.counters[counter]++;
    this.log("warn", msg, { reader: this.id });
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
      const level = state === "lost" || state === "error" || state === "unavailable" ? "warn" : "info";
      this.log(level, `keyboard reader ${state}`, { reader: this.id, detail });
    }
    const status = this.status();
    this.safely("status", () => this.emit("status", status));
  }

  private safely(what: string, fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.log("error", `a ${what} listener threw`, { reader: this.id, err: String(err) });
    }
  }
}

function compilePattern(config: KeyboardWedgeReaderConfig): RegExp {
  if (!config.pattern) invalidConfig(config, "format regex needs a pattern");
  if (!config.pattern.includes("(?<id>")) invalidConfig(config, "pattern has no named group (?<id>…)");
  try {
    return new RegExp(config.pattern);
  } catch (err) {
    return invalidConfig(config, `pattern does not compile: ${err instanceof Error ? err.message : String(err)}`);
  }
}

function invalidConfig(config: KeyboardWedgeReaderConfig, why: string): never {
  throw new CardtermError("CT_CONFIG_INVALID", `reader ${config.id}: ${why}`, { details: { reader: config.id } });
}
