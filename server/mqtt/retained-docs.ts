/**
 * Publishing the retained policy and hotlist documents
 * (docs/architecture.md#reconciliation-with-head-office). Reads and publications run one at a
 * time, so when two ingests change the hotlist at once the retained message can never go back
 * to an older version; an equal version is published again (after a reconnect the broker may
 * have lost it).
 *
 * A hotlist change goes out twice, both retained: as a delta from the version this
 * instance published last (what terminals apply), then as the full document (what a
 * terminal that is behind subscribes to, and then unsubscribes from). The delta goes
 * first, so a terminal that follows deltas never needs the full document for a change
 * it could apply.
 */

import { encodeMessage, type HotlistDelta, type HotlistDocument } from "../../protocol/messages.js";
import { type OperatorsDocument, operatorsDocKey } from "../../protocol/operators-doc.js";
import { topics } from "../../protocol/topics.js";
import { maskCardId } from "../../rules/card.js";
import type { PolicyDocument } from "../../rules/policy.js";

export interface DocumentSource {
  policy(): Promise<PolicyDocument | undefined>;
  hotlist(): Promise<HotlistDocument>;
  /** The net change between two versions, or undefined when it is not on record. */
  hotlistDelta(fromVersion: number, toVersion: number): Promise<HotlistDelta | undefined>;
  /** Every registered till's operators document (server/backoffice/operator-docs.ts); absent: none sent. */
  operatorDocs?(): Promise<OperatorsDocument[]>;
}

/** Hands a message to the MQTT client; the returned promise is not awaited here. */
export type DocPublish = (topic: string, payload: string, retain: boolean) => void;

export class RetainedDocs {
  #chain: Promise<void> = Promise.resolve();
  #policyVersion = 0;
  #hotlistVersion = -1;
  /** Per till, the contents last published: a change elsewhere in the chain republishes only the tills it touches. */
  readonly #operators = new Map<string, string>();

  constructor(
    private readonly source: DocumentSource,
    private readonly publish: DocPublish,
    /** Each hotlist change published (none used to be); card ids masked. */
    private readonly log?: { info(obj: object, msg: string): void },
  ) {}

  /** Resolves once the current policy has been handed to the client (not on PUBACK). */
  policy(): Promise<void> {
    return this.#serial(async () => {
      const doc = await this.source.policy();
      if (!doc || doc.version < this.#policyVersion) return;
      this.#policyVersion = doc.version;
      this.publish(topics.policy(), encodeMessage("policy", doc), true);
    });
  }

  hotlist(): Promise<void> {
    return this.#serial(async () => {
      const doc = await this.source.hotlist();
      if (doc.version < this.#hotlistVersion) return;
      const delta = await this.#deltaTo(doc.version);
      if (delta) this.publish(topics.hotlistDelta(), encodeMessage("hotlistDelta", delta), true);
      // A change this instance saw happen; not the list as it found it at start-up.
      const changed = this.#hotlistVersion >= 0 && doc.version > this.#hotlistVersion;
      if (delta && changed && delta.toVersion > delta.fromVersion) this.#logChange(delta);
      this.#hotlistVersion = doc.version;
      this.publish(topics.hotlist(), encodeMessage("hotlist", doc), true);
    });
  }

  /**
   * Each till's operators document, retained on its own topic, when its contents differ
   * from what this instance published last — or every one with `all` (after a connect:
   * the broker may have lost its retained messages).
   */
  operators(all = false): Promise<void> {
    return this.#serial(async () => {
      if (all) this.#operators.clear();
      for (const doc of (await this.source.operatorDocs?.()) ?? []) {
        const key = operatorsDocKey(doc);
        if (this.#operators.get(doc.terminalId) === key) continue;
        this.#operators.set(doc.terminalId, key);
        this.publish(topics.operators(doc.terminalId), JSON.stringify(doc), true);
      }
    });
  }

  /**
   * The delta from the version this instance published last (or, the first time, from
   * the version before), retained: a terminal that reconnects gets it at once and either
   * applies it or sees it is behind. With no change on record, an empty delta from the
   * current version to itself still tells every terminal which version is current.
   */
  async #deltaTo(version: number): Promise<HotlistDelta | undefined> {
    if (version === 0) return undefined;
    const last = this.#hotlistVersion;
    const from = last >= 0 && last < version ? last : version - 1;
    const delta = await this.source.hotlistDelta(from, version);
    return delta ?? { v: 1, fromVersion: version, toVersion: version, added: [], removed: [] };
  }

  #logChange(delta: HotlistDelta): void {
    const reasons: Record<string, number> = {};
    for (const reason of Object.values(delta.reasons ?? {})) reasons[reason] = (reasons[reason] ?? 0) + 1;
    this.log?.info(
      {
        version: delta.toVersion,
        fromVersion: delta.fromVersion,
        added: delta.added.map(maskCardId),
        removed: delta.removed.map(maskCardId),
        reasons,
      },
      "hotlist changed",
    );
  }

  #serial(task: () => Promise<void>): Promise<void> {
    const run = this.#chain.then(task);
    this.#chain = run.catch(() => {});
    return run;
  }
}
