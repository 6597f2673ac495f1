/**
 * The terminal's MQTT connection: presence, subscriptions, reconnects.
 *
 * - Retained last will `offline`; `online` retained on every connect (DESIGN §5).
 * - MQTT 3.1.1 by default so the embedded broker (aedes) works; correlation ids travel
 *   in payloads.
 * - Reconnects are ours, with capped backoff and jitter: MQTT.js only has a fixed
 *   interval (TESTBED).
 * - TCP_NODELAY after every connect: request/response costs ~88 ms per round trip with
 *   Nagle on (TESTBED).
 * - MQTT.js's outgoing queue is in memory and lost on exit: the journal is the outbox,
 *   never this client.
 */
import { EventEmitter } from "node:events";
import mqtt, { type MqttClient } from "mqtt";
import type { Presence } from "../../protocol/messages.js";
import { topics } from "../../protocol/topics.js";
import type { Logger } from "../logger.js";
import { Backoff } from "./backoff.js";

export interface MqttLinkOptions {
  url: string;
  terminalId: string;
  username?: string;
  password?: string;
  /** Topics to subscribe at QoS 1 on every connect. */
  subscriptions: string[];
  log: Logger;
  now?: () => number;
  backoff?: { baseMs: number; capMs: number };
  protocolVersion?: 4 | 5;
}

export interface MqttLinkEvents {
  connected: [];
  disconnected: [];
  message: [topic: string, payload: Buffer];
}

export class MqttLink extends EventEmitter<MqttLinkEvents> {
  private client: MqttClient | undefined;
  private readonly backoff: Backoff;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private closing = false;
  private lastError: string | null = null;
  private connectedSince: number | null = null;

  constructor(private readonly opts: MqttLinkOptions) {
    super();
    this.backoff = new Backoff(opts.backoff ?? { baseMs: 1000, capMs: 30_000 });
  }

  start(): void {
    const { opts } = this;
    const presence = (state: Presence["state"]): string =>
      JSON.stringify({ v: 1, state, at: new Date((opts.now ?? Date.now)()).toISOString() } satisfies Presence);
    const client = mqtt.connect(opts.url, {
      clientId: `cardterm-${opts.terminalId}`,
      username: opts.username,
      password: opts.password,
      protocolVersion: opts.protocolVersion ?? 4,
      clean: false,
      reconnectPeriod: 0,
      connectTimeout: 5000,
      keepalive: 30,
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
      this.lastError = null;
      this.connectedSince = (opts.now ?? Date.now)();
      (client.stream as { setNoDelay?: (on: boolean) => void }).setNoDelay?.(true);
      client.publish(topics.presence(opts.terminalId), presence("online"), { qos: 1, retain: true });
      client.subscribe(opts.subscriptions, { qos: 1 }, (err) => {
        if (err) opts.log.warn({ err: err.message }, "subscribe failed");
      });
      opts.log.info({ url: redactUrl(opts.url) }, "connected to broker");
      this.emit("connected");
    });
    client.on("message", (topic, payload) => this.emit("message", topic, payload));
    client.on("error", (err) => {
      this.lastError = err.message;
      opts.log.warn({ err: err.message }, "broker connection error");
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

  private scheduleReconnect(): void {
    if (this.closing || this.reconnectTimer) return;
    const delay = this.backoff.next();
    this.reconnectTimer = setTimeout(() => {
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

  /** Publish (QoS 1 unless told); resolves on the broker's PUBACK, which is never taken as the server's ack. */
  publish(topic: string, payload: string, opts: { retain?: boolean; qos?: 0 | 1 } = {}): Promise<void> {
    const client = this.client;
    if (!client?.connected) return Promise.reject(new Error("not connected"));
    return new Promise((resolve, reject) => {
      client.publish(topic, payload, { qos: 1, retain: opts.retain ?? false }, (err) =>
        err ? reject(err) : resolve(),
      );
    });
  }

  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    const client = this.client;
    if (!client) return;
    if (client.connected) {
      const offline = JSON.stringify({ v: 1, state: "offline", at: new Date().toISOString() } satisfies Presence);
      await new Promise<void>((resolve) =>
        client.publish(topics.presence(this.opts.terminalId), offline, { qos: 1, retain: true }, () => resolve()),
      );
    }
    await client.endAsync(true);
  }
}

function redactUrl(url: string): string {
  return url.replace(/\/\/[^@/]*@/, "//***@");
}
