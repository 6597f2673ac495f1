/**
 * IC cards on PC/SC readers (ACR122U and any CCID contactless reader) through pcscd and
 * nfc-pcsc: each card put on a matching reader becomes one `tap` with the card id of
 * ./card-identity.ts (what is sent to the card: ./pcsc-card-read.ts).
 *
 * One driver instance serves every PC/SC reader whose name contains `readerName` (all
 * readers when unset): taps carry the configured reader id, logs and status name the
 * PC/SC reader. Status is `present` while at least one matching reader is attached.
 *
 * Supervision follows ./serial-id-reader.ts (STYLE.md §5): the library is loaded
 * dynamically (absent → `unavailable`, never retried, the detail says what to install);
 * pcscd is probed before each connection (./pcsc-loader.ts says why); when pcscd stops or
 * restarts nfc-pcsc emits `error` and `end` and never recovers, so the whole connection is
 * dropped and rebuilt with capped exponential backoff plus jitter. Every event carries the
 * generation of its connection, and a card read carries its card sequence number: events
 * of a superseded connection and reads of a card that has left are dropped. Clock,
 * random, timers, log and the library are injected.
 */
import type { PcscReaderConfig } from "../../config/agent-config.js";
import { type CardId, maskCardId } from "../../protocol/card.js";
import { isCardtermError } from "../../protocol/errors.js";
import { CardReader, type ReaderState, type ReaderStatus } from "./card-reader.js";
import { acr122Feedback, readCardIdentity, supportsAcr122Feedback } from "./pcsc-card-read.js";
import {
  type LoadPcscLibrary,
  loadNfcPcsc,
  type PcscDevice,
  type PcscLibrary,
  type PcscService,
  pcscdSocketPath,
  probePcscd,
  unavailableAdvice,
} from "./pcsc-loader.js";
import {
  type BackoffOptions,
  backoffDelay,
  DEFAULT_BACKOFF,
  DEFAULT_SILENT_AFTER_MS,
  type ReaderLog,
  type ReaderTimers,
} from "./serial-id-reader.js";

export interface PcscReaderDeps {
  loadLibrary?: LoadPcscLibrary;
  /** Whether pcscd answers; default: connect to its socket. */
  probeService?: () => Promise<boolean>;
  now?: () => number;
  random?: () => number;
  timers?: ReaderTimers;
  log?: ReaderLog;
  backoff?: Partial<BackoffOptions>;
  silentAfterMs?: number;
  /** After connecting, how long to wait for a matching reader before saying there is none. */
  settleMs?: number;
  /** Which PC/SC readers take the ACR122U LED/buzzer commands; default: names containing ACR122. */
  feedbackFor?: (readerName: string) => boolean;
}

export interface PcscReaderStats {
  connects: number;
  serviceLosses: number;
  readersAttached: number;
  readersRemoved: number;
  cards: number;
  cardsOff: number;
  taps: number;
  debounced: number;
  refused: number;
  interrupted: number;
}

interface Slot {
  device: PcscDevice;
  name: string;
  /** Bumped on every card on and off: a read finishing under an older number is late. */
  cardSeq: number;
}

interface CardEvent {
  atr?: Buffer;
}

const DEFAULT_SETTLE_MS = 1_000;
const PCSCD_ADVICE = "install and start it: `apt-get install pcscd` and `systemctl enable --now pcscd.socket`";

const realTimers: ReaderTimers = {
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

const defaultLog: ReaderLog = (level, msg, fields) => {
  if (level === "warn" || level === "error") console.error(JSON.stringify({ level, msg, ...fields }));
};

export class PcscReader extends CardReader {
  readonly type = "pcsc";
  readonly id: string;
  private readonly loadLibrary: LoadPcscLibrary;
  private readonly probeService: () => Promise<boolean>;
  private readonly now: () => number;
  private readonly random: () => number;
  private readonly timers: ReaderTimers;
  private readonly log: ReaderLog;
  private readonly backoff: BackoffOptions;
  private readonly silentAfterMs: number;
  private readonly settleMs: number;
  private readonly feedbackFor: (readerName: string) => boolean;

  private state: ReaderState = "starting";
  private detail: string | undefined;
  private lastEventAt: number | null = null;
  private library: PcscLibrary | undefined;
  private service: PcscService | undefined;
  private readonly attached = new Map<string, Slot>();
  private readonly namesSeen = new Set<string>();
  private lastMatchingName: string | undefined;
  private generation = 0;
  private connectedAt = 0;
  private everConnected = false;
  private failures = 0;
  private retryTimer: unknown;
  private settleTimer: unknown;
  private silenceTimer: unknown;
  private started = false;
  private opening: Promise<void> | undefined;
  private connecting: Promise<void> | undefined;
  private closing: Promise<void> | undefined;
  private lastCard: { id: CardId; at: number } | undefined;
  private readonly counters: PcscReaderStats = {
    connects: 0,
    serviceLosses: 0,
    readersAttached: 0,
    readersRemoved: 0,
    cards: 0,
    cardsOff: 0,
    taps: 0,
    debounced: 0,
    refused: 0,
    interrupted: 0,
  };

  constructor(
    private readonly config: PcscReaderConfig,
    deps: PcscReaderDeps = {},
  ) {
    super();
    this.id = config.id;
    this.loadLibrary = deps.loadLibrary ?? loadNfcPcsc;
    this.probeService = deps.probeService ?? (() => probePcscd());
    this.now = deps.now ?? Date.now;
    this.random = deps.random ?? Math.random;
    this.timers = deps.timers ?? realTimers;
    this.log = deps.log ?? defaultLog;
    this.backoff = { ...DEFAULT_BACKOFF, ...deps.backoff };
    this.silentAfterMs = deps.silentAfterMs ?? DEFAULT_SILENT_AFTER_MS;
    this.settleMs = deps.settleMs ?? DEFAULT_SETTLE_MS;
    this.feedbackFor = deps.feedbackFor ?? supportsAcr122Feedback;
  }

  async start(): Promise<void> {
    if (this.started || this.closing) return this.opening;
    this.started = true;
    this.opening = this.boot();
    return this.opening;
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

  stats(): PcscReaderStats {
    return { ...this.counters };
  }

  /** Names of the matching PC/SC readers attached now. */
  readerNames(): string[] {
    return [...this.attached.keys()];
  }

  private async boot(): Promise<void> {
    try {
      this.library = await this.loadLibrary();
    } catch (err) {
      const why = isCardtermError(err) ? err.message : `CT_READER_UNAVAILABLE: ${unavailableAdvice(err)}`;
      this.setState("unavailable", why);
      return;
    }
    if (!this.closing) await this.connectOnce();
  }

  private connectOnce(): Promise<void> {
    this.connecting = this.connect();
    return this.connecting;
  }

  private async connect(): Promise<void> {
    const up = await this.probeService().catch(() => false);
    if (this.closing) return;
    if (!up) return this.connectFailed(`pcscd is not running (no answer on ${pcscdSocketPath()})`);
    const gen = ++this.generation;
    let service: PcscService;
    try {
      service = this.library!.open();
    } catch (err) {
      return this.connectFailed(`pcscd refused a connection: ${errorText(err)}`);
    }
    this.service = service;
    service.on("reader", (device: PcscDevice) => this.onDevice(device, gen));
    service.on("error", (err: unknown) => this.onServiceLost(err, gen));
    this.counters.connects++;
    this.everConnected = true;
    this.connectedAt = this.now();
    this.armSettle(gen);
  }

  private connectFailed(why: string): void {
    if (this.everConnected) this.setState("lost", `CT_READER_LOST: ${why}; reconnecting`);
    else this.setState("error", `CT_READER_UNAVAILABLE: ${why}; ${PCSCD_ADVICE}`);
    this.scheduleRetry();
  }

  private scheduleRetry(): void {
    this.failures++;
    const delay = backoffDelay(this.failures, this.backoff, this.random);
    this.log("debug", "reconnecting to pcscd", { reader: this.id, attempt: this.failures, delayMs: delay });
    this.retryTimer = this.timers.setTimeout(() => {
      this.retryTimer = undefined;
      if (!this.closing) void this.connectOnce();
    }, delay);
  }

  private onDevice(device: PcscDevice, gen: number): void {
    // Without an `error` listener, a reader's error event would throw out of the emitter.
    device.on("error", (err: unknown) => this.onDeviceError(device.name, err, gen));
    if (gen !== this.generation || this.closing) return; // its connection is being closed with all its readers
    this.namesSeen.add(device.name);
    device.autoProcessing = false;
    if (!this.matches(device.name)) {
      // Not ours: mute it, or nfc-pcsc would connect to every card put on it, and a program
      // that needs that reader exclusively (an ID-card or bank-card reader) would be locked out.
      this.service?.ignore(device);
      this.log("debug", "PC/SC reader not taken (name filter)", { reader: this.id, pcscReader: device.name });
      return;
    }
    const slot: Slot = { device, name: device.name, cardSeq: 0 };
    this.attached.set(device.name, slot);
    device.on("card", (card: CardEvent) => void this.onCard(slot, card, gen));
    device.on("card.off", () => this.onCardOff(slot, gen));
    device.on("end", () => this.onDeviceEnd(slot, gen));
    this.counters.readersAttached++;
    this.lastMatchingName = device.name;
    this.lastEventAt = this.now();
    this.clearTimer("settleTimer");
    this.setState("present", this.presentDetail());
    this.armSilence();
  }

  private matches(name: string): boolean {
    const filter = this.config.readerName;
    return filter === undefined || name.toLowerCase().includes(filter.toLowerCase());
  }

  private presentDetail(): string {
    return `PC/SC: ${[...this.attached.keys()].join(", ")}`;
  }

  private onDeviceError(name: string, err: unknown, gen: number): void {
    if (gen !== this.generation || this.closing) return;
    this.log("debug", "PC/SC reader error", { reader: this.id, pcscReader: name, err: errorText(err) });
  }

  private onDeviceEnd(slot: Slot, gen: number): void {
    if (gen !== this.generation || this.closing || this.attached.get(slot.name) !== slot) return;
    this.attached.delete(slot.name);
    slot.cardSeq++;
    void this.service?.release(slot.device); // joins its finished status thread, on a clean stack
    this.counters.readersRemoved++;
    this.lastEventAt = this.now();
    if (this.attached.size > 0) this.setState("present", this.presentDetail());
    else this.noReaderState();
  }

  private noReaderState(): void {
    this.clearTimer("silenceTimer");
    const filter = this.config.readerName === undefined ? "" : ` matching "${this.config.readerName}"`;
    if (this.lastMatchingName !== undefined) {
      this.setState(
        "lost",
        `CT_READER_LOST: PC/SC reader "${this.lastMatchingName}" is gone; waiting for a reader${filter}`,
      );
      return;
    }
    const seen = this.namesSeen.size === 0 ? "none" : [...this.namesSeen].join(", ");
    this.setState(
      "error",
      `CT_READER_UNAVAILABLE: no PC/SC reader${filter} is attached (readers seen: ${seen}); plug it in`,
    );
  }

  private onServiceLost(err: unknown, gen: number): void {
    if (gen !== this.generation || this.closing) return;
    if (this.now() - this.connectedAt >= this.backoff.maxMs) this.failures = 0;
    void this.dropService();
    this.counters.serviceLosses++;
    this.setState("lost", `CT_READER_LOST: lost pcscd (${errorText(err)}); reconnecting`);
    this.scheduleRetry();
  }

  /** Forget the connection at once (later events are stale), then close it with its readers. */
  private async dropService(): Promise<void> {
    const service = this.service;
    this.service = undefined;
    this.attached.clear();
    this.generation++;
    this.clearTimer("settleTimer");
    this.clearTimer("silenceTimer");
    await service?.close();
  }

  private armSettle(gen: number): void {
    this.clearTimer("settleTimer");
    this.settleTimer = this.timers.setTimeout(() => {
      this.settleTimer = undefined;
      if (gen === this.generation && !this.closing && this.attached.size === 0) this.noReaderState();
    }, this.settleMs);
  }

  private async onCard(slot: Slot, card: CardEvent, gen: number): Promise<void> {
    if (gen !== this.generation || this.closing) return;
    const seq = ++slot.cardSeq;
    this.counters.cards++;
    this.noteEvent();
    const current = () => gen === this.generation && seq === slot.cardSeq && !this.closing;
    let result: Awaited<ReturnType<typeof readCardIdentity>>;
    try {
      result = await readCardIdentity((apdu, max) => transmitOrGone(slot.device, apdu, max), card.atr, this.config);
    } catch (err) {
      this.counters.interrupted++;
      this.log("info", "card left the reader before it was read; tap again", {
        reader: this.id,
        pcscReader: slot.name,
        err: errorText(err),
      });
      return;
    }
    if (!current()) {
      this.counters.interrupted++;
      return;
    }
    if (!result.ok) {
      this.counters.refused++;
      this.log("warn", "card not accepted", { reader: this.id, pcscReader: slot.name, reason: result.reason });
      void this.feedback(slot, "refused");
      return;
    }
    this.accept(result.id, slot);
    void this.feedback(slot, "ok");
  }

  private onCardOff(slot: Slot, gen: number): void {
    if (gen !== this.generation) return;
    slot.cardSeq++;
    this.counters.cardsOff++;
    this.noteEvent();
  }

  private noteEvent(): void {
    this.lastEventAt = this.now();
    if (this.state === "silent") this.setState("present", this.presentDetail());
    this.armSilence();
  }

  /** The same card again within debounceMs (on any of this driver's readers) is one tap. */
  private accept(card: CardId, slot: Slot): void {
    const at = this.now();
    const last = this.lastCard;
    this.lastCard = { id: card, at };
    const sinceLast = last?.id === card ? at - last.at : Number.POSITIVE_INFINITY;
    if (sinceLast >= 0 && sinceLast < this.config.debounceMs) {
      this.counters.debounced++;
      return;
    }
    this.counters.taps++;
    this.log("debug", "card read", { reader: this.id, pcscReader: slot.name, card: maskCardId(card) });
    this.safely("tap", () => this.emit("tap", { readerId: this.id, cardId: card, at }));
  }

  /** LED and buzzer where the reader has them; anything else is left alone, and failures stay quiet. */
  private async feedback(slot: Slot, outcome: "ok" | "refused"): Promise<void> {
    if (!this.config.feedback || !this.feedbackFor(slot.name)) return;
    try {
      await slot.device.transmit(acr122Feedback(outcome), 2);
    } catch (err) {
      this.log("debug", "reader feedback failed", { reader: this.id, pcscReader: slot.name, err: errorText(err) });
    }
  }

  private async shutdown(): Promise<void> {
    this.clearTimer("retryTimer");
    await this.opening;
    await this.connecting;
    await this.dropService();
    this.setState("closed", undefined);
  }

  private armSilence(): void {
    this.clearTimer("silenceTimer");
    if (!(this.silentAfterMs > 0) || !Number.isFinite(this.silentAfterMs)) return;
    this.silenceTimer = this.timers.setTimeout(() => {
      this.silenceTimer = undefined;
      if (this.state === "present" && this.attached.size > 0) {
        this.setState("silent", `no card read for ${Math.round(this.silentAfterMs / 60_000)} min`);
      }
    }, this.silentAfterMs);
  }

  private clearTimer(name: "retryTimer" | "settleTimer" | "silenceTimer"): void {
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
      this.log(level, `PC/SC reader ${state}`, { reader: this.id, detail });
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

/**
 * A card that leaves the field mid-command shows either as a rejected transmit or, with
 * pcscd and vpcd, as a "successful" empty response: both mean the card is gone.
 */
async function transmitOrGone(device: PcscDevice, apdu: Buffer, max: number): Promise<Buffer> {
  const response = await device.transmit(apdu, max);
  if (response.length < 2) throw new Error("no status word: the card left the field");
  return response;
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
