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
import { wedgeCardId } from "./card-identity.js";
import { type EvdevLink, EvdevOpenError, type EvdevOpener, openEvdev } from "./evdev-link.js";
import { type IdLineFormat, MAX_ID_LINE_CHARS, parseIdLine } from "./id-line-format.js";
import { compileIdPattern, invalidReaderConfig } from "./id-pattern.js";
import { decodeInputEvents, inputEventSize, KeyLineDecoder } from "./input-event.js";
import { LinkReader } from "./link-reader.js";
import type { SupervisedReaderDeps } from "./reader-deps.js";
import { maskLine } from "./serial-id-reader.js";

/** What the keyboard-wedge reader is told: its device, how the number is typed. */
export interface KeyboardWedgeReaderOptions {
  id: string;
  /** The evdev device, e.g. /dev/input/by-id/usb-…-event-kbd. */
  path: string;
  format: IdLineFormat;
  /** For format regex: a pattern with a named group `id`. */
  pattern?: string;
  /** `id`: an ID-card number; `ic`: a chip UID (format hex or decimal). */
  technology: "id" | "ic";
  /** For technology ic: the order the reader types the UID bytes in. */
  uidByteOrder: "msbFirst" | "lsbFirst";
  /** Take the keyboard exclusively (EVIOCGRAB). */
  grab: boolean;
  debounceMs: number;
}

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

export class KeyboardWedgeReader extends LinkReader<EvdevLink, ActiveLink> {
  readonly type = "keyboard-wedge";
  readonly id: string;
  private readonly pattern: RegExp | undefined;
  private readonly openDevice: EvdevOpener;
  private readonly eventSize: 16 | 24;
  protected readonly devicePath: string;
  protected get linkCounters() {
    return this.counters;
  }
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
    private readonly config: KeyboardWedgeReaderOptions,
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
    this.devicePath = config.path;
    this.supervise(deps, {
      label: "keyboard reader",
      reopenMessage: "reopening keyboard reader",
      debounceMs: config.debounceMs,
      counters: this.counters,
      isOpen: () => this.active !== undefined,
    });
  }

  stats(): KeyboardWedgeReaderStats {
    return { ...this.counters };
  }

  protected openLink(): Promise<EvdevLink> {
    return this.openDevice(this.config.path, this.config.grab);
  }

  protected attachLink(link: EvdevLink, gen: number): { active: ActiveLink; detail: string | undefined } {
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
    const detail = this.config.grab ? undefined : "not grabbed: the number also reaches the focused app";
    return { active: { link, openedAt: this.now() }, detail };
  }

  /** A device that is not there waits in `unavailable` (no reopen); a failed open or grab is retried. */
  protected override openFailed(message: string, err: unknown): boolean {
    if (err instanceof EvdevOpenError && err.kind === "missing") {
      this.health.setState("unavailable", `CT_READER_UNAVAILABLE: ${message}`);
      return false;
    }
    const grab = !message.startsWith("grab:")
      ? ""
      : /busy/i.test(message)
        ? " (another program holds this keyboard)"
        : " (not an evdev keyboard: use /dev/input/by-id/…-event-kbd)";
    this.failedToOpen(message, grab);
    return true;
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
}
