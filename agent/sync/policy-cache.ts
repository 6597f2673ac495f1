/**
 * The policy and hotlist documents as received from the server (retained MQTT
 * messages), validated, kept only when newer than what the box holds, and stored
 * durably so an offline restart still prices and still refuses hotlisted cards.
 *
 * The hotlist follows deltas (docs/architecture.md#reconciliation-with-head-office): a delta is
 * applied only onto the exact version it starts from. One that does not follow (a delta was
 * missed while offline, or the broker lost its queue) makes the terminal subscribe to the
 * retained full document, and unsubscribe again once it holds that version — so a change
 * reaches a fleet as a few bytes, and only a terminal that is behind fetches the whole list.
 * The latest delta is retained too, so a terminal that reconnects learns at once whether it is
 * current.
 */

import { decodeMessage, type HotlistDelta, type HotlistDocument } from "../../protocol/messages.js";
import { topics } from "../../protocol/topics.js";
import type { HotlistReason, HotlistReasons } from "../../rules/hotlist-reason.js";
import type { PolicyDocument } from "../../rules/policy.js";
import type { Logger } from "../logger.js";
import { type DurableFs, nodeDurableFs, writeDurably } from "../store/durable-file.js";
import type { MqttLink } from "./mqtt-link.js";

/** What the cache needs from the link (MqttLink; tests may pass a stand-in). */
type Link = Pick<MqttLink, "on" | "subscribe" | "unsubscribe">;

export class PolicyCache {
  private policyDoc: PolicyDocument | undefined;
  private hotlistDoc: HotlistDocument = { version: 0, cards: [] };
  private hotlistSet: ReadonlySet<string> = new Set();
  private link: Link | undefined;
  /** While set, subscribed to the full hotlist until this version is held. */
  private wantFull: number | undefined;
  /** Messages are handled one at a time: a delta must see the version the previous one left. */
  private queue: Promise<void> = Promise.resolve();

  private constructor(
    private readonly dataDir: string,
    private readonly log: Logger,
    private readonly fs: DurableFs,
  ) {}

  static async open(dataDir: string, log: Logger, fs: DurableFs = nodeDurableFs): Promise<PolicyCache> {
    const cache = new PolicyCache(dataDir, log, fs);
    const policy = await fs.readFile(`${dataDir}/policy.json`);
    if (policy !== null) {
      const d = decodeMessage("policy", policy);
      if (d.ok) cache.policyDoc = d.value;
      else log.error({ reason: d.reason }, "stored policy is invalid; waiting for the server's");
    }
    const hotlist = await fs.readFile(`${dataDir}/hotlist.json`);
    if (hotlist !== null) {
      const d = decodeMessage("hotlist", hotlist);
      if (d.ok) cache.setHotlist(d.value);
      else log.error({ reason: d.reason }, "stored hotlist is invalid; waiting for the server's");
    }
    return cache;
  }

  /** Subscribes to the policy and hotlist deltas (the full hotlist only when behind) and follows them. */
  attach(link: Link): void {
    this.link = link;
    link.on("message", (topic, payload) => {
      if (topic === topics.policy()) this.enqueue(() => this.onPolicy(payload));
      else if (topic === topics.hotlist()) this.enqueue(() => this.onHotlist(payload));
      else if (topic === topics.hotlistDelta()) this.enqueue(() => this.onDelta(payload));
    });
    link.subscribe(topics.policy());
    link.subscribe(topics.hotlistDelta());
    // The full list only while behind; a session kept from an earlier run may still hold it.
    link.unsubscribe(topics.hotlist());
  }

  policy(): PolicyDocument | undefined {
    return this.policyDoc;
  }

  hotlist(): ReadonlySet<string> {
    return this.hotlistSet;
  }

  /** Why head office listed this card, when it said (older servers do not). */
  hotlistReason(cardId: string): HotlistReason | undefined {
    return this.hotlistSet.has(cardId) ? this.hotlistDoc.reasons?.[cardId] : undefined;
  }

  versions(): { policy: number | null; hotlist: number | null } {
    return { policy: this.policyDoc?.version ?? null, hotlist: this.hotlistDoc.version };
  }

  private enqueue(task: () => Promise<void>): void {
    this.queue = this.queue.then(task).catch((err: Error) => {
      // The document in memory is unchanged; the next publication or delta tries again.
      this.log.error({ err: err.message }, "policy or hotlist not stored");
    });
  }

  private async onPolicy(payload: Buffer): Promise<void> {
    const d = decodeMessage("policy", payload);
    if (!d.ok) return void this.log.warn({ reason: d.reason }, "CT_MESSAGE_INVALID: policy dropped");
    if (this.policyDoc && d.value.version <= this.policyDoc.version) return;
    await writeDurably(this.fs, `${this.dataDir}/policy.json`, JSON.stringify(d.value));
    this.policyDoc = d.value;
    this.log.info({ version: d.value.version }, "policy updated");
  }

  private async onHotlist(payload: Buffer): Promise<void> {
    const d = decodeMessage("hotlist", payload);
    if (!d.ok) return void this.log.warn({ reason: d.reason }, "CT_MESSAGE_INVALID: hotlist dropped");
    if (d.value.version > this.hotlistDoc.version || (d.value.version === 0 && this.hotlistDoc.version === 0)) {
      await this.storeHotlist(d.value);
      this.log.info({ version: d.value.version, cards: d.value.cards.length }, "hotlist updated (full)");
    }
    this.stopFullIfCurrent();
  }

  private async onDelta(payload: Buffer): Promise<void> {
    const d = decodeMessage("hotlistDelta", payload);
    if (!d.ok) return void this.log.warn({ reason: d.reason }, "CT_MESSAGE_INVALID: hotlist delta dropped");
    const delta = d.value;
    const held = this.hotlistDoc.version;
    if (delta.toVersion <= held) return;
    if (delta.fromVersion !== held) return this.fetchFull(delta);
    await this.storeHotlist(applyDelta(this.hotlistDoc, delta));
    this.log.info(
      { version: delta.toVersion, added: delta.added.length, removed: delta.removed.length },
      "hotlist updated",
    );
    this.stopFullIfCurrent();
  }

  private fetchFull(delta: HotlistDelta): void {
    const already = this.wantFull !== undefined;
    this.wantFull = Math.max(this.wantFull ?? 0, delta.toVersion);
    if (already) return;
    this.log.info(
      { held: this.hotlistDoc.version, from: delta.fromVersion, to: delta.toVersion },
      "hotlist delta does not follow the version held; fetching the full hotlist",
    );
    this.link?.subscribe(topics.hotlist());
  }

  private stopFullIfCurrent(): void {
    if (this.wantFull === undefined || this.hotlistDoc.version < this.wantFull) return;
    this.wantFull = undefined;
    this.link?.unsubscribe(topics.hotlist());
  }

  private async storeHotlist(doc: HotlistDocument): Promise<void> {
    await writeDurably(this.fs, `${this.dataDir}/hotlist.json`, JSON.stringify(doc));
    this.setHotlist(doc);
  }

  private setHotlist(doc: HotlistDocument): void {
    this.hotlistDoc = doc;
    this.hotlistSet = new Set(doc.cards);
  }
}

/**
 * The list at `delta.toVersion`, from the list at `delta.fromVersion`; a card's reason
 * comes with its addition and goes with its removal (none from an older server).
 */
export function applyDelta(doc: HotlistDocument, delta: HotlistDelta): HotlistDocument {
  const cards = new Set(doc.cards);
  for (const c of delta.added) cards.add(c);
  for (const c of delta.removed) cards.delete(c);
  const next: HotlistDocument = { version: delta.toVersion, cards: [...cards].sort() };
  if (doc.reasons === undefined && delta.reasons === undefined) return next;
  const reasons: HotlistReasons = {};
  const added = new Set(delta.added);
  for (const c of next.cards) {
    // An added card is listed as the delta says: added again without a reason, it lost its old one.
    const reason = added.has(c) ? delta.reasons?.[c] : doc.reasons?.[c];
    if (reason !== undefined) reasons[c] = reason;
  }
  return Object.keys(reasons).length === 0 ? next : { ...next, reasons };
}
