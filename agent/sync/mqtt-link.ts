/**
 * The terminal's MQTT connection: presence, subscriptions, reconnects.
 *
 * - Retained last will `offline`; `online` retained on every connect (DESIGN §5).
 * - MQTT 3.1.1 by default so the embedded broker (aedes) works; correlation ids travel
 *   in payloads.
 * - Reconnects are ours, with capped backoff and jitter: MQTT.js only has a fixed
 *   interval (TESTBED). The cap is 5 s (lib/backoff.ts BROKER_RECONNECT: 30 s kept
 *   tills away 8–22 s after a LAN broker returned), and the outage is logged a few
 *   times, not per attempt (lib/outage-log.ts).
 * - TCP_NODELAY after every connect: request/response costs ~88 ms per round trip with
 *   Nagle on (TESTBED).
 * - MQTT.js's outgoing queue is in memory and lost on exit: the journal is the outbox,
 *   never this client.
 * - mqtts://: the broker's certificate is checked against `tls.ca` (the chain's own CA)
 *   or, without one, the system's trust store; a client certificate is sent when given.
 * - With the terminal's key, requests leave sealed and the server's replies are taken only
 *   when their seal verifies (link-seal.ts, docs/security.md): every message type, old and
 *   new, passes here, so none needs signing code of its own.
 */
import { EventEmitter } from "node:events";
import { readFileSync } from "node:fs";
import mqtt, { type MqttClient } from "mqtt";
import { Backoff, BROKER_RECONNECT } from "../../lib/backoff.js";
import { OutageLog } from "../../lib/outage-log.js";
import { realTimers, type Timer, type Timers } from "../../lib/timers.js";
import type { Presence } from "../../protocol/messages.js";
import type { RefusalNotice } from "../../protocol/refusal-notice.js";
import { topics } from "../../protocol/topics.js";
import type { Logger } from "../logger.js";
import { LinkSeal } from "./link-seal.js";
import { ServerStanding, StandingProbe, type StandingView } from "./server-standing.js";

export interface MqttLinkOptions {
  url: string;
  terminalId: string;
  username?: string;
  password?: string;
  /** Topics to subscribe at QoS 1 on every connect. */
  subscriptions: string[];
  /** PEM files for mqtts://; read once at start (a new certificate needs a restart). */
  tls?: MqttTlsFiles | undefined;
  log: Logger;
  now?: () => number;
  /** The reconnect backoff's and the standing probe's timers (default Node's). */
  timers?: Timers;
  backoff?: { baseMs: number; capMs: number };
  protocolVersion?: 4 | 5;
  /** The terminal's 32-byte key: requests are sealed with it and replies checked (docs/security.md). */
  key?: Buffer | undefined;
}

export interface MqttTlsFiles {
  /** The CA that signed the broker's certificate. Absent = the system's trust store. */
  caFile?: string | undefined;
  /** This terminal's client certificate and key, for brokers that require one. */
  certFile?: string | undefined;
  keyFile?: string | undefined;
}

export interface MqttLinkEvents {
  connected: [];
  disconnected: [];
  message: [topic: string, payload: Buffer];
  /** Head office refused a request (protocol/refusal-notice.ts): for the client waiting on its corr. */
  refused: [topic: string, notice: RefusalNotice];
}

export class MqttLink extends EventEmitter<MqttLinkEvents> {
  private client: MqttClient | undefined;
  private readonly backoff: Backoff;
  private readonly outage: OutageLog;
  private reconnectTimer: Timer | undefined;
  private closing = false;
  private lastError: string | null = null;
  private connectedSince: number | null = null;
  /** Subscribed on every connect: the configured ones plus those added by subscribe(). */
  private readonly subscribed: Set<string>;
  /**
   * Dropped while offline: the broker's persistent session still holds them (clean: false
   * keeps subscriptions), so they are unsubscribed at the next connect.
   */
  private readonly unsubscribeOnConnect = new Set<string>();
  private readonly seal: LinkSeal | undefined;
  private readonly probe: StandingProbe | undefined;
  /** Whether head office takes this till's messages (server-standing.ts). */
  readonly standing: ServerStanding;
  private readonly now: () => number;
  private readonly timers: Timers;

  constructor(private readonly opts: MqttLinkOptions) {
    super();
    const now = opts.now ?? Date.now;
    this.now = now;
    this.timers = opts.timers ?? realTimers;
    this.backoff = new Backoff(opts.backoff ?? BROKER_RECONNECT);
    this.outage = new OutageLog({ what: "broker", log: opts.log, now });
    this.subscribed = new Set(opts.subscriptions);
    this.standing = new ServerStanding(now, opts.log);
    if (opts.key) {
      this.seal = new LinkSeal(opts.key, now, opts.log);
      this.probe = new StandingProbe(this, opts.terminalId, this.standing, { now, timers: this.timers, log: opts.log });
    }
  }

  start(): void {
    const { opts } = this;
    const presence = (state: Presence["state"]): string =>
      JSON.stringify({ v: 1, state, at: new Date(this.now()).toISOString() } satisfies Presence);
    const client = mqtt.connect(opts.url, {
      clientId: `cardterm-${opts.terminalId}`,
      username: opts.username,
      password: opts.password,
      protocolVersion: opts.protocolVersion ?? 4,
      clean: false,
      reconnectPeriod: 0,
      connectTimeout: 5000,
      keepalive: 30,
      // Ours, on every connect, from `subscribed`: MQTT.js's own list would bring back what we dropped.
      resubscribe: false,
      ...tlsOptions(opts.tls),
      will: {
        topic: topics.presence(opts.terminalId),
        payload: Buffer.from(presence("offline")),
        qos: 1,
        retain: true,
      },
    });
    this.client = client;
    client.on("connect", () => {
      this.backoff.reset();
      this.outage.recovered();
      this.lastError = null;
      this.connectedSince = this.now();
      (client.stream as { setNoDelay?: (on: boolean) => void }).setNoDelay?.(true);
      client.publish(topics.presence(opts.terminalId), presence("online"), { qos: 1, retain: true });
      client.subscribe([...this.subscribed], { qos: 1 }, (err) => {
        if (err) opts.log.warn({ err: err.message }, "subscribe failed");
      });
      if (this.unsubscribeOnConnect.size > 0) {
        client.unsubscribe([...this.unsubscribeOnConnect]);
        this.unsubscribeOnConnect.clear();
      }
      opts.log.info({ url: redactUrl(opts.url) }, "connected to broker");
      this.emit("connected");
    });
    client.on("message", (topic, payload) => this.receive(topic, payload));
    // Each failed attempt errors; the outage log says it a few times (scheduleReconnect).
    client.on("error", (err) => {
      this.lastError = err.message;
    });
    client.on("close", () => {
      if (this.connectedSince !== null) {
        this.connectedSince = null;
        opts.log.warn("disconnected from broker");
        this.emit("disconnected");
      }
      this.scheduleReconnect();
    });
  }

  private receive(topic: string, payload: Buffer): void {
    const got = this.seal ? this.seal.incoming(topic, payload) : { kind: "plain" as const, payload };
    if (got.kind === "dropped") return;
    if (got.kind === "notice") {
      this.emit("refused", topic, got.notice);
      return;
    }
    if (got.kind === "verified") this.standing.noteVerified(/\/down\/(auth|op)$/.test(topic));
    this.emit("message", topic, got.payload);
  }

  private scheduleReconnect(): void {
    if (this.closing || this.reconnectTimer) return;
    const delay = this.backoff.next();
    this.outage.failed(this.lastError, delay);
    this.reconnectTimer = this.timers.setTimeout(() => {
      this.reconnectTimer = undefined;
      if (!this.closing) this.client?.reconnect();
    }, delay);
  }

  isConnected(): boolean {
    return this.client?.connected === true;
  }

  status(): { connected: boolean; since: string | null; lastError: string | null } {
    return {
      connected: this.isConnected(),
      since: this.connectedSince === null ? null : new Date(this.connectedSince).toISOString(),
      lastError: this.lastError,
    };
  }

  /** What the status says of head office (server-standing.ts) and of replies dropped for a bad seal. */
  serverView(): StandingView & { repliesDropped: number } {
    return { ...this.standing.view(), repliesDropped: this.seal?.counts().forged ?? 0 };
  }

  /** Publish (QoS 1 unless told); resolves on the broker's PUBACK, which is never taken as the server's ack. */
  publish(topic: string, payload: string, opts: { retain?: boolean; qos?: 0 | 1 } = {}): Promise<void> {
    const client = this.client;
    if (!client?.connected) return Promise.reject(new Error("not connected"));
    let sealed: string;
    try {
      sealed = this.seal ? this.seal.outgoing(topic, payload) : payload;
    } catch (err) {
      return Promise.reject(err);
    }
    return new Promise((resolve, reject) => {
      client.publish(topic, sealed, { qos: opts.qos ?? 1, retain: opts.retain ?? false }, (err) =>
        err ? reject(err) : resolve(),
      );
    });
  }

  /**
   * Subscribe now (if connected) and on every later connect. Subscribing again to a topic
   * already held makes the broker send its retained message again (MQTT 3.1.1 §3.8.4),
   * which is how a terminal that is behind fetches a retained document.
   */
  subscribe(topic: string): void {
    this.subscribed.add(topic);
    this.unsubscribeOnConnect.delete(topic);
    // Not connected: the next connect subscribes to every topic in the set.
    if (this.client?.connected)
      this.client.subscribe(topic, { qos: 1 }, (err) => {
        if (err) this.opts.log.warn({ err: err.message, topic }, "subscribe failed");
      });
  }

  /**
   * Stop receiving `topic`, now and after reconnects — also one this process never
   * subscribed to, but the broker's persistent session may still hold from before.
   */
  unsubscribe(topic: string): void {
    this.subscribed.delete(topic);
    if (!this.client?.connected) {
      this.unsubscribeOnConnect.add(topic);
      return;
    }
    this.client.unsubscribe(topic, (err) => {
      if (err) this.opts.log.warn({ err: err.message, topic }, "unsubscribe failed");
    });
  }

  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    this.probe?.close();
    this.timers.clearTimeout(this.reconnectTimer);
    const client = this.client;
    if (!client) return;
    if (client.connected) {
      const offline = JSON.stringify({
        v: 1,
        state: "offline",
        at: new Date(this.now()).toISOString(),
      } satisfies Presence);
      await new Promise<void>((resolve) =>
        client.publish(topics.presence(this.opts.terminalId), offline, { qos: 1, retain: true }, () => resolve()),
      );
    }
    await client.endAsync(true);
  }
}

/** Only the fields given: an undefined `ca` would replace Node's default trust store with nothing. */
export function tlsOptions(tls: MqttTlsFiles | undefined): Record<string, Buffer | boolean> {
  if (!tls) return {};
  const out: Record<string, Buffer | boolean> = { rejectUnauthorized: true };
  if (tls.caFile) out.ca = readFileSync(tls.caFile);
  if (tls.certFile) out.cert = readFileSync(tls.certFile);
  if (tls.keyFile) out.key = readFileSync(tls.keyFile);
  return out;
}

function redactUrl(url: string): string {
  return url.replace(/\/\/[^@/]*@/, "//***@");
}
