/**
 * The central server's MQTT link: one persistent-session client (clean: false, fixed
 * clientId, protocol 3.1.1 so aedes works), subscribed to the terminals' uplinks.
 *
 * Every payload is decoded and validated; a malformed one is logged with its reason and
 * dropped (CT_MESSAGE_INVALID) — nothing a terminal sends can crash the server.
 * Journal batches run one at a time per terminal and their JournalAck is published
 * only after the ledger committed (DESIGN §5: the terminal trims on that ack). The
 * policy, hotlist and each till's operators are published retained on every connect and
 * on every change.
 */

import mqtt, { type MqttClient } from "mqtt";
import type { Logger } from "pino";
import { realTimers, settlesWithin, type Timers } from "../../lib/timers.js";
import {
  type AuthRequest,
  decodeMessage,
  encodeMessage,
  type Heartbeat,
  type JournalBatch,
  type Presence,
} from "../../protocol/messages.js";
import type { TillOpAnyReply, TillOpRequest } from "../../protocol/till-ops.js";
import { isTerminalId, serverSubscriptions, terminalIdOf, topics } from "../../protocol/topics.js";
import { maskCardId } from "../../rules/card.js";
import type { AlertInput } from "../ledger/alerts.js";
import type { AuthOutcome } from "../ledger/authorise.js";
import type { IngestOutcome } from "../ledger/ingest.js";
import { InFlight } from "./in-flight.js";
import { MessageGuard } from "./message-guard.js";
import { answerPing } from "./ping-handler.js";
import { reconnectBackoff, superviseReconnects } from "./reconnect-supervisor.js";
import { type DocumentSource, RetainedDocs } from "./retained-docs.js";
import { waitForConnect } from "./wait-connect.js";

/** What the link needs from the ledger; hq-server.ts wires it to the database. */
export interface HqLedger extends DocumentSource {
  ingest(topicTerminalId: string, batch: JournalBatch): Promise<IngestOutcome>;
  authorise(req: AuthRequest): Promise<AuthOutcome>;
  /** A till operation (top-up, refund, void, balance); undefined = not answered (unknown terminal). */
  tillOp(req: TillOpRequest): Promise<TillOpAnyReply | undefined>;
  presence(terminalId: string, presence: Presence): Promise<void>;
  heartbeat(terminalId: string, heartbeat: Heartbeat): Promise<void>;
  /** The terminal's key, which its messages' seals are checked against (message-guard.ts); undefined = not registered. */
  terminalKey(terminalId: string): Promise<Buffer | undefined>;
  /** Records an alert for head office (a refused message). */
  alert(alert: AlertInput): Promise<void>;
}

export interface HqLinkOptions {
  url: string;
  clientId: string;
  username?: string | undefined;
  password?: string | undefined;
  /** Subscribe as `$share/<group>/…` so several server instances split the ingest (not on aedes). */
  sharedGroup?: string | undefined;
  /** For mqtts:// — the CA that signed the broker's certificate, and a client certificate if the broker wants one. */
  tls?: MqttTls | undefined;
  /** The longest wait between reconnect attempts (the backoff's cap, reconnect-supervisor.ts); default 5 s. */
  reconnectPeriodMs?: number;
  connectTimeoutMs?: number;
  ledger: HqLedger;
  log: Logger;
  /** The clock a ping is answered with (`cardterm doctor`'s clock-skew row) and requests are judged fresh by; default Date.now. */
  now?: () => number;
  /** The reconnect backoff's, the connect wait's and close's flush wait's timers; default Node's. */
  timers?: Timers | undefined;
  /** Take unsealed messages from older tills during an upgrade (docs/security.md); default false. */
  acceptUnsignedTills?: boolean | undefined;
}

export interface MqttTls {
  ca?: Buffer | undefined;
  cert?: Buffer | undefined;
  key?: Buffer | undefined;
}

export interface HqLink {
  /** Publishes the current policy / hotlist retained (resolves when handed to the client). */
  publishPolicy(): Promise<void>;
  publishHotlist(): Promise<void>;
  /** Publishes each till's operators document whose contents changed (retained, on the till's own topic). */
  publishOperators(): Promise<void>;
  /** Till messages refused by the seal check (and unsealed ones accepted), by reason, since start. */
  messageRefusals(): Record<string, number>;
  /** Resolves when every message received so far has been handled and its answer PUBACKed (tests). */
  idle(): Promise<void>;
  /**
   * Stops taking messages, lets the ledger work in flight finish, then ends the client
   * (waiting up to `flushMs` for outgoing acks to be PUBACKed). Safe to call twice.
   */
  close(flushMs?: number): Promise<void>;
}

export async function connectHqLink(opts: HqLinkOptions): Promise<HqLink> {
  const log = opts.log.child({ component: "hq-link" });
  const client = mqtt.connect(opts.url, {
    protocolVersion: 4,
    clean: false,
    clientId: opts.clientId,
    username: opts.username,
    password: opts.password,
    reconnectPeriod: 0, // ours, with backoff: reconnect-supervisor.ts
    connectTimeout: opts.connectTimeoutMs ?? 30_000,
    ...tlsOptions(opts.tls),
  });
  const timers = opts.timers ?? realTimers;
  superviseReconnects(client, { backoff: reconnectBackoff(opts.reconnectPeriodMs), log, now: opts.now, timers });
  const link = new Link(client, opts, log);
  try {
    await waitForConnect(client, opts.connectTimeoutMs ?? 30_000, opts.url, timers);
    await link.ready;
  } catch (err) {
    await client.endAsync(true).catch(() => {});
    throw err;
  }
  return link;
}

class Link implements HqLink {
  /** Ledger work (handlers): must finish before the database closes. */
  readonly #work = new InFlight();
  /** Publications awaiting PUBACK: never block close() for long (the broker may be gone). */
  readonly #outgoing = new InFlight();
  /** Journal batches waiting per terminal; present while that terminal's batches are being applied. */
  readonly #mailboxes = new Map<string, JournalBatch[]>();
  readonly #docs: RetainedDocs;
  readonly #guard: MessageGuard;
  #closing: Promise<void> | undefined;
  /** Settles after the first subscribe + publish of retained documents. */
  ready: Promise<void>;

  constructor(
    private readonly client: MqttClient,
    private readonly opts: HqLinkOptions,
    private readonly log: Logger,
  ) {
    this.#docs = new RetainedDocs(opts.ledger, (topic, payload, retain) => this.publish(topic, payload, retain), log);
    this.#guard = new MessageGuard({
      keyOf: (id) => opts.ledger.terminalKey(id),
      alert: (a) => opts.ledger.alert(a),
      now: opts.now ?? Date.now,
      acceptUnsigned: opts.acceptUnsignedTills === true,
      log,
    });
    let markReady: (err?: Error) => void = () => {};
    this.ready = new Promise((resolve, reject) => {
      markReady = (err) => (err ? reject(err) : resolve());
    });
    this.ready.catch(() => {}); // awaited by connectHqLink; a late failure is only logged
    client.on("connect", () => {
      // Request/response costs ~88 ms per round trip under Nagle (TESTBED "MQTT").
      (client.stream as { setNoDelay?: (on: boolean) => void } | undefined)?.setNoDelay?.(true);
      // Not tracked as ledger work: a SUBSCRIBE cut off by a dropped connection must not hold up close().
      this.onConnect().then(
        () => markReady(),
        (err: Error) => {
          log.error({ err: err.message }, "MQTT session setup failed");
          markReady(err);
        },
      );
    });
    client.on("message", (topic, payload) => this.onMessage(topic, payload));
  }

  private async onConnect(): Promise<void> {
    const prefix = this.opts.sharedGroup ? `$share/${this.opts.sharedGroup}/` : "";
    const subs = Object.fromEntries(
      Object.values(serverSubscriptions).map((t) => [`${prefix}${t}`, { qos: 1 as const }]),
    );
    const granted = await this.client.subscribeAsync(subs);
    const refused = granted.filter((g) => g.qos === 128).map((g) => g.topic);
    if (refused.length > 0) throw new Error(`broker refused subscriptions: ${refused.join(", ")}`);
    this.log.info({ url: redactUrl(this.opts.url), clientId: this.opts.clientId }, "connected to MQTT broker");
    await Promise.all([this.publishPolicy(), this.publishHotlist(), this.#docs.operators(true)]);
  }

  private onMessage(topic: string, payload: Buffer): void {
    if (this.#closing) return;
    const terminalId = terminalIdOf(topic);
    if (!isTerminalId(terminalId)) {
      this.drop(topic, "no valid terminal id in topic");
      return;
    }
    // Nothing a till sends reaches a handler before its seal is checked (message-guard.ts).
    const admitted = this.#guard.admit(topic, terminalId, payload).then((a) => {
      if (a.ok) this.dispatch(topic, terminalId, typeof a.payload === "string" ? Buffer.from(a.payload) : a.payload);
      else if (a.notice) this.publish(a.notice.topic, a.notice.payload, false);
    });
    this.#work.track(
      admitted.catch((err: Error) => this.log.error({ terminalId, err: err.message }, "message not admitted")),
    );
  }

  private dispatch(topic: string, terminalId: string, payload: Buffer): void {
    if (topic === topics.journal(terminalId)) this.onJournal(topic, terminalId, payload);
    else if (topic === topics.authRequest(terminalId)) this.onAuth(topic, terminalId, payload);
    else if (topic === topics.tillOp(terminalId)) this.onTillOp(topic, terminalId, payload);
    else if (topic === topics.presence(terminalId)) this.onStatus(topic, terminalId, "presence", payload);
    else if (topic === topics.heartbeat(terminalId)) this.onStatus(topic, terminalId, "heartbeat", payload);
    else if (topic === topics.ping(terminalId)) this.onPing(topic, terminalId, payload);
    else this.drop(topic, "unexpected topic");
  }

  private onStatus(topic: string, terminalId: string, kind: "presence" | "heartbeat", payload: Buffer): void {
    // A retained presence may be empty (someone cleared it): nothing to record.
    if (payload.length === 0) return;
    const decoded = decodeMessage(kind, payload);
    if (!decoded.ok) {
      this.drop(topic, decoded.reason);
      return;
    }
    const record =
      kind === "presence"
        ? this.opts.ledger.presence(terminalId, decoded.value as Presence)
        : this.opts.ledger.heartbeat(terminalId, decoded.value as Heartbeat);
    this.#work.track(
      record.catch((err: Error) => this.log.error({ terminalId, err: err.message }, "terminal status not recorded")),
    );
  }

  private onPing(topic: string, terminalId: string, payload: Buffer): void {
    const answer = answerPing(terminalId, payload, this.opts.now ?? Date.now);
    if (answer.ok) this.publish(answer.topic, answer.payload, false);
    else this.drop(topic, answer.reason);
  }

  private onJournal(topic: string, terminalId: string, payload: Buffer): void {
    const decoded = decodeMessage("journalBatch", payload);
    if (!decoded.ok) {
      this.drop(topic, decoded.reason);
      return;
    }
    const waiting = this.#mailboxes.get(terminalId);
    if (waiting) {
      waiting.push(decoded.value);
      return;
    }
    this.#mailboxes.set(terminalId, [decoded.value]);
    this.#work.track(this.drainMailbox(terminalId));
  }

  /**
   * One terminal's batches, one ingest at a time. Batches that arrived while the previous
   * ingest ran are applied together in one transaction (up to MERGE_ENTRIES entries) and
   * answered with one ack: a terminal sending ahead of its acks costs the ledger one
   * commit per round, not one per batch.
   */
  private async drainMailbox(terminalId: string): Promise<void> {
    const box = this.#mailboxes.get(terminalId)!;
    try {
      while (box.length > 0) await this.handleBatch(terminalId, takeMergeable(box, terminalId));
    } finally {
      // Synchronously after the last check: a batch arriving now starts a new drain.
      this.#mailboxes.delete(terminalId);
    }
  }

  private async handleBatch(terminalId: string, batches: JournalBatch[]): Promise<void> {
    const batch = batches.length === 1 ? batches[0]! : { ...batches[0]!, entries: batches.flatMap((b) => b.entries) };
    let outcome: IngestOutcome;
    try {
      outcome = await this.opts.ledger.ingest(terminalId, batch);
    } catch (err) {
      // Not acked: the terminal resends from its last ack.
      this.log.error({ terminalId, err: (err as Error).message }, "journal batch not applied");
      return;
    }
    if (!outcome.ok) {
      this.log.warn({ terminalId, reason: outcome.reason }, "journal batch ignored");
      return;
    }
    const { ack } = outcome;
    const summary = { applied: outcome.applied, duplicates: outcome.duplicates, held: outcome.held };
    this.log.info(
      { terminalId, batches: batches.length, ackedSeq: ack.ackedSeq, rejected: ack.rejected.length, ...summary },
      "journal batch",
    );
    for (const r of ack.rejected) this.log.warn({ terminalId, seq: r.seq, reason: r.reason }, "journal entry rejected");
    if (outcome.shortfalls > 0) {
      // Money the chain will not see unless the member tops up: the alerts name each card (report shortfalls).
      this.log.warn(
        { terminalId, shortfalls: outcome.shortfalls },
        "shortfall: offline debits beyond the balance; cards hotlisted",
      );
    }
    this.publish(topics.ack(terminalId), encodeMessage("journalAck", ack), false);
    if (outcome.hotlistChanged) {
      await this.publishHotlist().catch((err: Error) => this.log.error({ err: err.message }, "hotlist not published"));
    }
  }

  private onAuth(topic: string, terminalId: string, payload: Buffer): void {
    const decoded = decodeMessage("authRequest", payload);
    if (!decoded.ok) {
      this.drop(topic, decoded.reason);
      return;
    }
    const req = decoded.value;
    if (req.terminalId !== terminalId) {
      this.drop(topic, `request names terminal ${req.terminalId}`);
      return;
    }
    this.#work.track(this.handleAuth(terminalId, req));
  }

  private async handleAuth(terminalId: string, req: AuthRequest): Promise<void> {
    let outcome: AuthOutcome;
    try {
      outcome = await this.opts.ledger.authorise(req);
    } catch (err) {
      // No reply: the terminal times out and falls back to its offline rules with the same txnId.
      this.log.error({ terminalId, txnId: req.txnId, err: (err as Error).message }, "authorisation failed");
      return;
    }
    if (!outcome.ok) {
      this.log.warn({ terminalId, reason: outcome.reason }, "authorisation ignored");
      return;
    }
    const r = outcome.reply;
    const fields = { terminalId, txnId: r.txnId, card: maskCardId(req.cardId), approved: r.approved };
    this.log.info(r.approved ? { ...fields, net: r.net } : { ...fields, code: r.code }, "authorisation");
    this.publish(topics.authReply(terminalId), encodeMessage("authReply", r), false);
  }

  private onTillOp(topic: string, terminalId: string, payload: Buffer): void {
    const decoded = decodeMessage("tillOpRequest", payload);
    if (!decoded.ok) {
      this.drop(topic, decoded.reason);
      return;
    }
    const req = decoded.value;
    if (req.terminalId !== terminalId) {
      this.drop(topic, `request names terminal ${req.terminalId}`);
      return;
    }
    this.#work.track(this.handleTillOp(terminalId, req));
  }

  private async handleTillOp(terminalId: string, req: TillOpRequest): Promise<void> {
    let reply: TillOpAnyReply | undefined;
    try {
      reply = await this.opts.ledger.tillOp(req);
    } catch (err) {
      // No reply: the till times out and tells the cashier the server did not answer.
      this.log.error({ terminalId, op: req.op, err: (err as Error).message }, "till operation failed");
      return;
    }
    if (!reply) {
      this.log.warn({ terminalId, op: req.op }, "till operation from an unregistered terminal ignored");
      return;
    }
    this.log.info(
      { terminalId, op: req.op, ok: reply.ok, ...(reply.ok ? { txnId: reply.txn?.txnId } : { code: reply.code }) },
      "till operation",
    );
    this.publish(topics.tillOpReply(terminalId), encodeMessage("tillOpReply", reply), false);
    // A card lost or unblocked at one till reaches the others now, not at the next poll (doc-watch.ts).
    if (reply.ok && reply.cardOp && reply.cardOp.hotlistVersion !== null && !reply.cardOp.replayed) {
      await this.publishHotlist().catch((err: Error) => this.log.error({ err: err.message }, "hotlist not published"));
    }
  }

  publishPolicy(): Promise<void> {
    return this.#docs.policy();
  }

  publishHotlist(): Promise<void> {
    return this.#docs.hotlist();
  }

  publishOperators(): Promise<void> {
    return this.#docs.operators();
  }

  /**
   * QoS 1, handed to the client in call order and not awaited by handlers: a lost
   * JournalAck is harmless (the terminal resends and is acked again).
   */
  private publish(topic: string, payload: string, retain: boolean): void {
    // Replies a till checks are sealed with its down key (message-guard.ts); others go as they are.
    const sent = this.client.publishAsync(topic, this.#guard.seal(topic, payload), { qos: 1, retain }).then(
      () => {},
      (err: Error) => this.log.warn({ topic, err: err.message }, "publish failed"),
    );
    this.#outgoing.track(sent);
  }

  private drop(topic: string, reason: string): void {
    this.log.warn({ code: "CT_MESSAGE_INVALID", topic, reason }, "malformed MQTT message dropped");
  }

  messageRefusals(): Record<string, number> {
    return this.#guard.counts();
  }

  async idle(): Promise<void> {
    await this.#work.idle();
    await this.#outgoing.idle();
  }

  close(flushMs = 5000): Promise<void> {
    this.#closing ??= (async () => {
      await this.#work.idle();
      // A graceful end waits for every outgoing PUBACK, forever if the broker is gone.
      const flushed =
        this.client.connected && (await settlesWithin(this.opts.timers ?? realTimers, this.#outgoing.idle(), flushMs));
      await this.client.endAsync(!flushed);
    })();
    return this.#closing;
  }
}

/** Only the fields given: an undefined `ca` would replace Node's default trust store with nothing. */
function tlsOptions(tls: MqttTls | undefined): Record<string, Buffer | boolean> {
  if (!tls) return {};
  const out: Record<string, Buffer | boolean> = { rejectUnauthorized: true };
  if (tls.ca) out.ca = tls.ca;
  if (tls.cert) out.cert = tls.cert;
  if (tls.key) out.key = tls.key;
  return out;
}

/** Most entries applied in one transaction when batches are merged (the schema allows 1000 per batch). */
const MERGE_ENTRIES = 2000;

/**
 * Takes the first batch and those after it that can share its transaction: same claimed
 * terminal as the topic (a mismatching one is refused whole, on its own), within
 * MERGE_ENTRIES entries in all.
 */
function takeMergeable(box: JournalBatch[], terminalId: string): JournalBatch[] {
  const first = box.shift()!;
  if (first.terminalId !== terminalId) return [first];
  const taken = [first];
  let entries = first.entries.length;
  while (box.length > 0) {
    const next = box[0]!;
    if (next.terminalId !== terminalId || entries + next.entries.length > MERGE_ENTRIES) break;
    taken.push(box.shift()!);
    entries += next.entries.length;
  }
  return taken;
}

/** The broker URL without any password, for logs. */
function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = "***";
    return u.toString();
  } catch {
    return "(unparsable url)";
  }
}
