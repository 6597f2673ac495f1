/**
 * A keyboard-wedge reader: a cheap USB reader that "types" the card number followed by
 * Enter. The driver reads its evdev device (/dev/input/by-id/…-event-kbd) with an
 * exclusive grab (./evdev-link.ts says how, without a native addon), decodes the key
 * events (./input-event.ts) into lines, parses each like a serial ID reader's line
 * (./id-line-format.ts) and maps it to one card id (./card-identity.ts).
 *
 * Supervision as in ./serial-id-reader.ts (shared parts: ./reader-supervision.ts):
 * injected opener, clock, random, timers and log; a lost device is reopened with capped
 * backoff and jitter; late events of a superseded link are dropped by generation; close
 * is idempotent. A grab that fails (another program holds the keyboard) is retried like
 * an unplugged device and shows as `error` — the driver never falls back to reading
 * without the grab, which would let the number reach the POS app. Grabbing needs read
 * access to the device: run the agent in the `input` group (or a udev rule giving it the
 * reader).
 */
import type { KeyboardWedgeReaderConfig } from "../../config/agent-config.js";
import type { CardId } from "../../protocol/card.js";
import { wedgeCardId } from "./card-identity.js";
import { CardReader, type ReaderStatus } from "./card-reader.js";
import { type EvdevLink, EvdevOpenError, type EvdevOpener, openEvdev } from "./evdev-link.js";
import { MAX_ID_LINE_CHARS, parseIdLine } from "./id-line-format.js";
import { compileIdPattern, invalidReaderConfig } from "./id-pattern.js";
import { decodeInputEvents, inputEventSize, KeyLineDecoder } from "./input-event.js";
import type { ReaderLog, SupervisedReaderDeps } from "./reader-deps.js";
import type { ReaderHealth } from "./reader-health.js";
import { supervise } from "./reader-supervision.js";
import type { ReopenTimer } from "./reopen-backoff.js";
import { maskLine } from "./serial-id-reader.js";
import type { TapDebouncer } from "./tap-debouncer.js";

export interface KeyboardWedgeReaderDeps extends SupervisedReaderDeps {
  openDevice?: EvdevOpener;
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

interface ActiveLink {
  link: EvdevLink;
  openedAt: number;
}

export class KeyboardWedgeReader extends CardReader {
  readonly type = "keyboard-wedge";
  readonly id: string;
  private readonly pattern: RegExp | undefined;
  private readonly openDevice: EvdevOpener;
  private readonly eventSize: 16 | 24;
  private readonly now: () => number;
  private readonly log: ReaderLog;
  private readonly health: ReaderHealth;
  private readonly reopen: ReopenTimer;
  private readonly debouncer: TapDebouncer;

  private generation = 0;
  private active: ActiveLink | undefined;
  private everOpened = false;
  private opening: Promise<void> | undefined;
  private started = false;
  private closing: Promise<void> | undefined;
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
    this.pattern = config.format === "regex" ? compileIdPattern(config) : undefined;
    if (config.technology === "ic" && config.format !== "hex" && config.format !== "decimal") {
      invalidReaderConfig(config, "technology ic needs format hex or decimal");
    }
    this.openDevice = deps.openDevice ?? openEvdev;
    this.eventSize = deps.eventSize ?? inputEventSize();
    ({
      now: this.now,
      log: this.log,
      health: this.health,
      reopen: this.reopen,
      debouncer: this.debouncer,
    } = supervise(this, deps, {
      label: "keyboard reader",
      reopenMessage: "reopening keyboard reader",
      debounceMs: config.debounceMs,
      counters: this.counters,
      isOpen: () => this.active !== undefined,
    }));
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
    return this.health.status();
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
    this.health.opened(at, this.config.grab ? undefined : "not grabbed: the number also reaches the focused app");
  }

  private openFailed(err: unknown): void {
    const message = err instanceof Error ? err.message : String(err);
    if (err instanceof EvdevOpenError && err.kind === "missing") {
      this.health.setState("unavailable", `CT_READER_UNAVAILABLE: ${message}`);
      return;
    }
    const grab = !message.startsWith("grab:")
      ? ""
      : /busy/i.test(message)
        ? " (another program holds this keyboard)"
        : " (not an evdev keyboard: use /dev/input/by-id/…-event-kbd)";
    if (this.everOpened) this.health.setState("lost", `CT_READER_LOST: cannot reopen ${this.config.path}: ${message}`);
    else this.health.setState("error", `CT_READER_UNAVAILABLE: cannot open ${this.config.path}: ${message}${grab}`);
    this.scheduleReopen();
  }

  private onLost(err: Error, gen: number): void {
    if (gen !== this.generation || this.closing) return;
    const active = this.active;
    this.active = undefined;
    this.generation++;
    this.health.stopSilence();
    if (!active) return;
    this.reopen.lostAfter(this.now() - active.openedAt);
    this.counters.losses++;
    this.health.setState("lost", `CT_READER_LOST: ${this.config.path}: ${err.message}`);
    void active.link.close();
    this.scheduleReopen();
  }

  private scheduleReopen(): void {
    this.reopen.schedule(() => {
      if (!this.closing) void this.openOnce();
    });
  }

  private async shutdown(): Promise<void> {
    this.reopen.cancel();
    this.health.stopSilence();
    await this.opening;
    const active = this.active;
    this.active = undefined;
    this.generation++;
    if (active) await active.link.close();
    this.health.setState("closed", undefined);
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

  private accept(card: CardId): void {
    const at = this.now();
    this.health.alive(at);
    this.debouncer.accept(card, at);
  }
}
