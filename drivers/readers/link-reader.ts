/**
 * The life of a reader that holds one device link at a time (a serial port, an evdev
 * keyboard): open it, attach to its data, lose it, reopen it with backoff, close it once.
 * Shared by ./serial-id-reader.ts and ./keyboard-wedge-reader.ts; each says only how to
 * open its device, read it, let go of it and word an open failure.
 *
 * Events of a superseded link are dropped by generation number: it is bumped whenever a
 * link is attached or dropped, and a callback carrying an older number is late.
 */

import type { CardId } from "../../rules/card.js";
import { CardReader, type ReaderStatus } from "./card-reader.js";
import type { ReaderLog, SupervisedReaderDeps } from "./reader-deps.js";
import type { ReaderHealth } from "./reader-health.js";
import { type SupervisionOptions, supervise } from "./reader-supervision.js";
import type { ReopenTimer } from "./reopen-backoff.js";
import type { TapDebouncer } from "./tap-debouncer.js";

export interface HeldLink {
  link: { close(): Promise<void> };
  openedAt: number;
}

export abstract class LinkReader<Link extends { close(): Promise<void> }, Active extends HeldLink> extends CardReader {
  protected now!: () => number;
  protected log!: ReaderLog;
  protected health!: ReaderHealth;
  protected reopen!: ReopenTimer;
  protected debouncer!: TapDebouncer;

  protected generation = 0;
  protected active: Active | undefined;
  private everOpened = false;
  private opening: Promise<void> | undefined;
  private started = false;
  protected closing: Promise<void> | undefined;

  /** Where the device is, for status texts. */
  protected abstract readonly devicePath: string;
  protected abstract readonly linkCounters: { opens: number; losses: number };

  /** Open the device (throws when it cannot be opened). */
  protected abstract openLink(): Promise<Link>;
  /** Start reading a freshly opened link; `gen` is its generation. Returns what is held. */
  protected abstract attachLink(link: Link, gen: number): { active: Active; detail: string | undefined };
  /** Stop reading a link being dropped (its close follows). */
  protected released(_active: Active): void {}
  /**
   * Put an open failure into the status. Return false when it is final for now and no
   * reopen is to be scheduled; the default words it as lost (once opened) or unavailable.
   */
  protected openFailed(message: string, _err: unknown): boolean {
    this.failedToOpen(message, "");
    return true;
  }

  /** Call from the subclass constructor once `id` is set. */
  protected supervise(deps: SupervisedReaderDeps, options: SupervisionOptions): void {
    ({
      now: this.now,
      log: this.log,
      health: this.health,
      reopen: this.reopen,
      debouncer: this.debouncer,
    } = supervise(this, deps, options));
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

  protected failedToOpen(message: string, hint: string): void {
    if (this.everOpened) this.health.setState("lost", `CT_READER_LOST: cannot reopen ${this.devicePath}: ${message}`);
    else this.health.setState("error", `CT_READER_UNAVAILABLE: cannot open ${this.devicePath}: ${message}${hint}`);
  }

  protected onLost(err: Error, gen: number): void {
    if (gen !== this.generation || this.closing) return;
    const active = this.detach();
    if (!active) return;
    this.reopen.lostAfter(this.now() - active.openedAt);
    this.linkCounters.losses++;
    this.health.setState("lost", `CT_READER_LOST: ${this.devicePath}: ${err.message}`);
    void active.link.close().catch(() => {});
    this.scheduleReopen();
  }

  protected accept(card: CardId): void {
    const at = this.now();
    this.health.alive(at);
    this.debouncer.accept(card, at);
  }

  private openOnce(): Promise<void> {
    this.opening = this.tryOpen();
    return this.opening;
  }

  private async tryOpen(): Promise<void> {
    let link: Link;
    try {
      link = await this.openLink();
    } catch (err) {
      if (!this.closing && this.openFailed(err instanceof Error ? err.message : String(err), err)) {
        this.scheduleReopen();
      }
      return;
    }
    if (this.closing) {
      await link.close();
      return;
    }
    const { active, detail } = this.attachLink(link, ++this.generation);
    this.active = active;
    this.everOpened = true;
    this.linkCounters.opens++;
    this.health.opened(active.openedAt, detail);
  }

  /** Drops the current link: its later data and close events no longer match the generation. */
  private detach(): Active | undefined {
    const active = this.active;
    this.active = undefined;
    this.generation++;
    this.health.stopSilence();
    if (active) this.released(active);
    return active;
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
    const active = this.detach();
    if (active) await active.link.close().catch(() => {});
    this.health.setState("closed", undefined);
  }
}
