/**
 * IC cards on PC/SC readers (ACR122U and any CCID contactless reader) through pcscd and
 * nfc-pcsc: each card put on a matching reader becomes one `tap` with the card id of
 * ./card-identity.ts (what is sent to the card: ./pcsc-card-read.ts).
 *
 * One driver instance serves every PC/SC reader whose name contains `readerName` (all
 * readers when unset): taps carry the configured reader id, logs and status name the
 * PC/SC reader. Status is `present` while at least one matching reader is attached.
 *
 * Supervision follows ./serial-id-reader.ts (docs/architecture.md#rules-of-the-house): the
 * library is loaded dynamically (absent → `unavailable`, never retried, the detail says what to
 * install); pcscd is probed before each connection (./pcsc-loader.ts says why); when pcscd
 * stops or restarts nfc-pcsc emits `error` and `end` and never recovers, so the whole
 * connection is dropped and rebuilt with capped exponential backoff plus jitter. Every event
 * carries the generation of its connection, and a card read carries its card sequence number:
 * events of a superseded connection and reads of a card that has left are dropped. Clock,
 * random, timers, log and the library are injected.
 */
import { isCardtermError } from "../../protocol/errors.js";
import { CardReader, type ReaderStatus } from "./card-reader.js";
import {
  acr122Feedback,
  type CardIdentityOptions,
  readCardIdentity,
  supportsAcr122Feedback,
  transmitOrGone,
} from "./pcsc-card-read.js";
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
import { PcscSlots, type Slot } from "./pcsc-slots.js";
import type { ReaderLog, ReaderTimers, SupervisedReaderDeps } from "./reader-deps.js";
import type { ReaderHealth } from "./reader-health.js";
import { supervise } from "./reader-supervision.js";
import type { ReopenTimer } from "./reopen-backoff.js";
import type { TapDebouncer } from "./tap-debouncer.js";

/** What the PC/SC reader is told: which readers, how a card becomes an id, feedback. */
export interface PcscReaderOptions extends CardIdentityOptions {
  id: string;
  /** Substring of the PC/SC reader names this reader takes; all readers when absent. */
  readerName?: string;
  /** Blink and beep on an ACR122U after each read. */
  feedback: boolean;
  /** The same card read again within this window is one tap. */
  debounceMs: number;
}

export interface PcscReaderDeps extends SupervisedReaderDeps {
  loadLibrary?: LoadPcscLibrary;
  /** Whether pcscd answers; default: connect to its socket. */
  probeService?: () => Promise<boolean>;
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

interface CardEvent {
  atr?: Buffer;
}

const DEFAULT_SETTLE_MS = 1_000;
const PCSCD_ADVICE = "install and start it: `apt-get install pcscd` and `systemctl enable --now pcscd.socket`";

export class PcscReader extends CardReader {
  readonly type = "pcsc";
  readonly id: string;
  private readonly loadLibrary: LoadPcscLibrary;
  private readonly probeService: () => Promise<boolean>;
  private readonly settleMs: number;
  private readonly feedbackFor: (readerName: string) => boolean;
  private readonly now: () => number;
  private readonly timers: ReaderTimers;
  private readonly log: ReaderLog;
  private readonly health: ReaderHealth;
  private readonly retry: ReopenTimer;
  private readonly debouncer: TapDebouncer;

  private library: PcscLibrary | undefined;
  private service: PcscService | undefined;
  private readonly slots: PcscSlots;
  private generation = 0;
  private connectedAt = 0;
  private everConnected = false;
  private settleTimer: unknown;
  private started = false;
  private opening: Promise<void> | undefined;
  private connecting: Promise<void> | undefined;
  private closing: Promise<void> | undefined;
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
    private readonly config: PcscReaderOptions,
    deps: PcscReaderDeps = {},
  ) {
    super();
    this.id = config.id;
    this.slots = new PcscSlots(config.readerName);
    this.loadLibrary = deps.loadLibrary ?? loadNfcPcsc;
    this.probeService = deps.probeService ?? (() => probePcscd());
    this.settleMs = deps.settleMs ?? DEFAULT_SETTLE_MS;
    this.feedbackFor = deps.feedbackFor ?? supportsAcr122Feedback;
    ({
      now: this.now,
      timers: this.timers,
      log: this.log,
      health: this.health,
      reopen: this.retry,
      debouncer: this.debouncer,
    } = supervise(this, deps, {
      label: "PC/SC reader",
      reopenMessage: "reconnecting to pcscd",
      debounceMs: config.debounceMs,
      counters: this.counters,
      isOpen: () => this.slots.size > 0,
      presentDetail: () => this.slots.presentDetail(),
    }));
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
    return this.health.status();
  }

  stats(): PcscReaderStats {
    return { ...this.counters };
  }

  /** Names of the matching PC/SC readers attached now. */
  readerNames(): string[] {
    return this.slots.names();
  }

  private async boot(): Promise<void> {
    try {
      this.library = await this.loadLibrary();
    } catch (err) {
      const why = isCardtermError(err) ? err.message : `CT_READER_UNAVAILABLE: ${unavailableAdvice(err)}`;
      this.health.setState("unavailable", why);
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
    if (this.everConnected) this.health.setState("lost", `CT_READER_LOST: ${why}; reconnecting`);
    else this.health.setState("error", `CT_READER_UNAVAILABLE: ${why}; ${PCSCD_ADVICE}`);
    this.scheduleRetry();
  }

  private scheduleRetry(): void {
    this.retry.schedule(() => {
      if (!this.closing) void this.connectOnce();
    });
  }

  private onDevice(device: PcscDevice, gen: number): void {
    // Without an `error` listener, a reader's error event would throw out of the emitter.
    device.on("error", (err: unknown) => this.onDeviceError(device.name, err, gen));
    if (gen !== this.generation || this.closing) return; // its connection is being closed with all its readers
    device.autoProcessing = false;
    if (!this.slots.offered(device.name)) {
      // Not ours: mute it, or nfc-pcsc would connect to every card put on it, and a program
      // that needs that reader exclusively (an ID-card or bank-card reader) would be locked out.
      this.service?.ignore(device);
      this.log("debug", "PC/SC reader not taken (name filter)", { reader: this.id, pcscReader: device.name });
      return;
    }
    const slot = this.slots.attach(device);
    device.on("card", (card: CardEvent) => void this.onCard(slot, card, gen));
    device.on("card.off", () => this.onCardOff(slot, gen));
    device.on("end", () => this.onDeviceEnd(slot, gen));
    this.counters.readersAttached++;
    const at = this.now();
    this.clearSettle();
    this.health.opened(at, this.slots.presentDetail());
  }

  private onDeviceError(name: string, err: unknown, gen: number): void {
    if (gen !== this.generation || this.closing) return;
    this.log("debug", "PC/SC reader error", { reader: this.id, pcscReader: name, err: errorText(err) });
  }

  private onDeviceEnd(slot: Slot, gen: number): void {
    if (gen !== this.generation || this.closing || !this.slots.remove(slot)) return;
    void this.service?.release(slot.device); // joins its finished status thread, on a clean stack
    this.counters.readersRemoved++;
    this.health.eventAt(this.now());
    if (this.slots.size > 0) this.health.setState("present", this.slots.presentDetail());
    else this.noReaderState();
  }

  private noReaderState(): void {
    this.health.stopSilence();
    const { state, detail } = this.slots.noReader();
    this.health.setState(state, detail);
  }

  private onServiceLost(err: unknown, gen: number): void {
    if (gen !== this.generation || this.closing) return;
    this.retry.lostAfter(this.now() - this.connectedAt);
    void this.dropService();
    this.counters.serviceLosses++;
    this.health.setState("lost", `CT_READER_LOST: lost pcscd (${errorText(err)}); reconnecting`);
    this.scheduleRetry();
  }

  /** Forget the connection at once (later events are stale), then close it with its readers. */
  private async dropService(): Promise<void> {
    const service = this.service;
    this.service = undefined;
    this.slots.clear();
    this.generation++;
    this.clearSettle();
    this.health.stopSilence();
    await service?.close();
  }

  private armSettle(gen: number): void {
    this.clearSettle();
    this.settleTimer = this.timers.setTimeout(() => {
      this.settleTimer = undefined;
      if (gen === this.generation && !this.closing && this.slots.size === 0) this.noReaderState();
    }, this.settleMs);
  }

  private async onCard(slot: Slot, card: CardEvent, gen: number): Promise<void> {
    if (gen !== this.generation || this.closing) return;
    const seq = ++slot.cardSeq;
    this.counters.cards++;
    this.health.alive(this.now());
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
    // The same card again within debounceMs (on any of this driver's readers) is one tap.
    this.debouncer.accept(result.id, this.now(), { pcscReader: slot.name });
    void this.feedback(slot, "ok");
  }

  private onCardOff(slot: Slot, gen: number): void {
    if (gen !== this.generation) return;
    slot.cardSeq++;
    this.counters.cardsOff++;
    this.health.alive(this.now());
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
    this.retry.cancel();
    await this.opening;
    await this.connecting;
    await this.dropService();
    this.health.setState("closed", undefined);
  }

  private clearSettle(): void {
    if (this.settleTimer !== undefined) this.timers.clearTimeout(this.settleTimer);
    this.settleTimer = undefined;
  }
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
