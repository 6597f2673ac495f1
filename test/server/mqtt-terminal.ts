/**
 * An MQTT client playing a terminal against the server: publishes journal batches and
 * auth requests on its own topics, sealed with the terminal's key as a till seals them
 * (protocol/message-mac.ts), collects acks and replies whose seal verifies (their seal
 * taken off), and waits for them. `unverified` counts replies that came without a valid seal.
 */
import mqtt, { type MqttClient } from "mqtt";
import type { JournalEntry } from "../../protocol/journal-entry.js";
import { deriveMessageKeys, openPayload, sealMatches, sealPayload } from "../../protocol/message-mac.js";
import { type AuthReply, type AuthRequest, decodeMessage, type JournalAck } from "../../protocol/messages.js";
import { topics } from "../../protocol/topics.js";
import type { TestTerminal } from "./test-terminal.js";

export class MqttTerminal {
  readonly acks: JournalAck[] = [];
  readonly replies: AuthReply[] = [];
  unverified = 0;
  readonly #waiters = new Set<() => void>();
  readonly #keys;

  private constructor(
    readonly client: MqttClient,
    readonly terminal: TestTerminal,
  ) {
    this.#keys = deriveMessageKeys(terminal.key);
    client.on("message", (topic, sealed) => {
      const opened = openPayload(sealed);
      const verified =
        opened.ok && opened.seal && sealMatches(this.#keys.down, "down", topic, opened.body, opened.seal);
      if (!opened.ok || !verified) {
        this.unverified += 1;
        for (const w of this.#waiters) w();
        return;
      }
      const payload = JSON.stringify(opened.body);
      if (topic === topics.ack(terminal.id)) {
        const d = decodeMessage("journalAck", payload);
        if (d.ok) this.acks.push(d.value);
      } else if (topic === topics.authReply(terminal.id)) {
        const d = decodeMessage("authReply", payload);
        if (d.ok) this.replies.push(d.value);
      }
      for (const w of this.#waiters) w();
    });
  }

  static async connect(url: string, terminal: TestTerminal): Promise<MqttTerminal> {
    const client = await mqtt.connectAsync(url, {
      protocolVersion: 4,
      clientId: `test-${terminal.id}`,
      reconnectPeriod: 0,
    });
    await client.subscribeAsync([topics.ack(terminal.id), topics.authReply(terminal.id)], { qos: 1 });
    return new MqttTerminal(client, terminal);
  }

  /** `body` as this terminal seals it for `topic`, now (a new id each time: a resend, not a replay). */
  sealed(topic: string, body: object, at = Date.now()): string {
    return sealPayload(this.#keys.up, "up", topic, body as Record<string, unknown>, at);
  }

  async sendBatch(entries: JournalEntry[]): Promise<void> {
    const topic = topics.journal(this.terminal.id);
    await this.client.publishAsync(topic, this.sealed(topic, this.terminal.batch(entries)), { qos: 1 });
  }

  async auth(req: AuthRequest): Promise<AuthReply> {
    const topic = topics.authRequest(this.terminal.id);
    await this.client.publishAsync(topic, this.sealed(topic, req), { qos: 1 });
    return this.waitFor(() => this.replies.find((r) => r.corr === req.corr), `auth reply ${req.corr}`);
  }

  waitAck(pred: (ack: JournalAck) => boolean): Promise<JournalAck> {
    return this.waitFor(() => this.acks.find(pred), "journal ack");
  }

  /** Resolves with the first non-undefined value of `probe`, re-evaluated on every message and every 20 ms. */
  waitFor<T>(probe: () => T | undefined, what: string, timeoutMs = 5000): Promise<T> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const v = probe();
        if (v === undefined) return;
        done();
        resolve(v);
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`timed out waiting for ${what}`));
      }, timeoutMs);
      const poll = setInterval(check, 20);
      const done = () => {
        clearTimeout(timer);
        clearInterval(poll);
        this.#waiters.delete(check);
      };
      this.#waiters.add(check);
      check();
    });
  }

  close(): Promise<void> {
    return this.client.endAsync(true);
  }
}

/** Connects a fresh client and returns the first retained (or live) message on `topic` matching `pred`. */
export async function firstMessage(
  url: string,
  topic: string,
  pred: (payload: string) => boolean = () => true,
  timeoutMs = 5000,
): Promise<string> {
  const client = await mqtt.connectAsync(url, { protocolVersion: 4, reconnectPeriod: 0 });
  try {
    return await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no message on ${topic}`)), timeoutMs);
      client.on("message", (_t, payload) => {
        const text = payload.toString("utf8");
        if (!pred(text)) return;
        clearTimeout(timer);
        resolve(text);
      });
      client.subscribeAsync(topic, { qos: 1 }).catch(reject);
    });
  } finally {
    await client.endAsync(true);
  }
}
