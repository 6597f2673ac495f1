/**
 * Whether head office takes this till's messages (docs/security.md): `registered` once a
 * sealed reply verified, TERMINAL_NOT_REGISTERED or CLOCK_SKEW once the server refused a
 * request of this till's with a notice (protocol/refusal-notice.ts). Shown in the status
 * (`server.standing`), so a till head office does not know says so instead of looking like
 * a network fault; the doctor asks the server itself (doctor/server-check.ts).
 *
 * A notice counts only when it answers a request this till is waiting for (its corr): one
 * for a request it never sent is someone else's doing and is only logged. It never moves
 * money or state — the sale it answers is declined without a journal entry.
 *
 * The probe pings the server on every connect (and again each minute while not
 * registered), so the standing is known before the first sale.
 */
import { randomUUID } from "node:crypto";
import type { Timer, Timers } from "../../lib/timers.js";
import { CardtermError } from "../../protocol/errors.js";
import { MESSAGE_WINDOW_MS } from "../../protocol/message-mac.js";
import { clockSkewMs, decodePing, type PingRequest } from "../../protocol/ping.js";
import type { RefusalCode, RefusalNotice } from "../../protocol/refusal-notice.js";
import { topics } from "../../protocol/topics.js";
import type { Logger } from "../logger.js";

export type Standing = "unknown" | "registered" | RefusalCode;

export interface StandingView {
  standing: Standing;
  /** What head office said (or what the probe measured); null while registered or unknown. */
  standingDetail: string | null;
  standingSince: string | null;
}

export class ServerStanding {
  #state: Standing = "unknown";
  #detail: string | null = null;
  #since: number | null = null;

  constructor(
    private readonly now: () => number,
    private readonly log: Logger,
  ) {}

  /**
   * A sealed reply verified: the key matches. A clock refusal stands until a reply that
   * passed the window (an auth or till-op reply, `fresh`) or the probe's own reading clears it.
   */
  noteVerified(fresh: boolean): void {
    if (this.#state === "registered" || (this.#state === "CLOCK_SKEW" && !fresh)) return;
    if (this.#state !== "unknown") this.log.info({ was: this.#state }, "head office takes this till's messages again");
    this.set("registered", null);
  }

  noteRefused(notice: RefusalNotice): void {
    if (this.#state !== notice.refused)
      this.log.error(
        { code: codeOf(notice.refused), detail: notice.detail },
        "head office refuses this till's requests",
      );
    this.set(notice.refused, notice.detail);
  }

  view(): StandingView {
    return {
      standing: this.#state,
      standingDetail: this.#detail,
      standingSince: this.#since === null ? null : new Date(this.#since).toISOString(),
    };
  }

  private set(state: Standing, detail: string | null): void {
    if (state !== this.#state) this.#since = this.now();
    this.#state = state;
    this.#detail = detail;
  }
}

/** The error a refused till operation throws, in the cashier's and technician's words. */
export function refusalError(notice: RefusalNotice): CardtermError {
  return new CardtermError(codeOf(notice.refused), `head office refused this till's request: ${notice.detail}`, {
    details: { refused: notice.refused },
  });
}

function codeOf(code: RefusalCode): "CT_TERMINAL_NOT_REGISTERED" | "CT_CLOCK_SKEW" {
  return code === "TERMINAL_NOT_REGISTERED" ? "CT_TERMINAL_NOT_REGISTERED" : "CT_CLOCK_SKEW";
}

/** What the probe needs of the link (MqttLink). */
export interface ProbeLink {
  on(event: "connected", fn: () => void): unknown;
  on(event: "message", fn: (topic: string, payload: Buffer) => void): unknown;
  on(event: "refused", fn: (topic: string, notice: RefusalNotice) => void): unknown;
  subscribe(topic: string): void;
  publish(topic: string, payload: string): Promise<void>;
  isConnected(): boolean;
}

export class StandingProbe {
  #pending: { corr: string; sentAt: number } | undefined;
  #timer: Timer | undefined;
  #closed = false;

  constructor(
    private readonly link: ProbeLink,
    private readonly terminalId: string,
    private readonly standing: ServerStanding,
    private readonly opts: { now: () => number; timers: Timers; log: Logger; retryMs?: number },
  ) {
    link.subscribe(topics.pong(terminalId));
    link.on("connected", () => this.ping());
    link.on("message", (topic, payload) => {
      if (topic === topics.pong(terminalId)) this.onPong(payload);
    });
    link.on("refused", (topic, notice) => {
      if (topic !== topics.pong(terminalId) || notice.corr !== this.#pending?.corr) return;
      this.#pending = undefined;
      standing.noteRefused(notice);
      this.again();
    });
  }

  close(): void {
    this.#closed = true;
    this.opts.timers.clearTimeout(this.#timer);
  }

  private ping(): void {
    if (this.#closed || !this.link.isConnected()) return;
    const sentAt = this.opts.now();
    const corr = randomUUID();
    this.#pending = { corr, sentAt };
    const ping: PingRequest = { v: 1, corr, terminalId: this.terminalId, sentAt: new Date(sentAt).toISOString() };
    this.link.publish(topics.ping(this.terminalId), JSON.stringify(ping)).catch(() => {});
    this.again();
  }

  private onPong(payload: Buffer): void {
    const pong = decodePing("pingReply", payload);
    const pending = this.#pending;
    if (!pong.ok || !pending || pong.value.corr !== pending.corr) return;
    this.#pending = undefined;
    const skew = clockSkewMs(pending.sentAt, this.opts.now(), pong.value.serverTimeMs);
    if (Math.abs(skew) <= MESSAGE_WINDOW_MS) {
      this.standing.noteVerified(true);
      return;
    }
    const direction = skew > 0 ? "ahead of" : "behind";
    this.standing.noteRefused({
      v: 1,
      corr: pending.corr,
      refused: "CLOCK_SKEW",
      detail: `this till's clock is ${Math.round(Math.abs(skew) / 1000)} s ${direction} head office's; online requests need it within ${MESSAGE_WINDOW_MS / 1000} s`,
      serverTimeMs: pong.value.serverTimeMs,
    });
    this.again();
  }

  /** Ask again later while head office does not take this till (or has not answered). */
  private again(): void {
    this.opts.timers.clearTimeout(this.#timer);
    if (this.#closed) return;
    this.#timer = this.opts.timers
      .setTimeout(() => {
        if (this.standing.view().standing !== "registered") this.ping();
      }, this.opts.retryMs ?? 60_000)
      .unref();
  }
}
