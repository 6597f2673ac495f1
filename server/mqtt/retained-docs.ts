/**
 * Publishing the retained policy and hotlist documents (DESIGN §5). Reads and
 * publications run one at a time, so when two ingests change the hotlist at once the
 * retained message can never go back to an older version; an equal version is
 * published again (after a reconnect the broker may have lost it).
 */
import { encodeMessage, type HotlistDocument } from "../../protocol/messages.js";
import type { PolicyDocument } from "../../protocol/policy.js";
import { topics } from "../../protocol/topics.js";

export interface DocumentSource {
  policy(): Promise<PolicyDocument | undefined>;
  hotlist(): Promise<HotlistDocument>;
}

/** Hands a retained message to the MQTT client; the returned promise is not awaited here. */
export type RetainedPublish = (topic: string, payload: string) => void;

export class RetainedDocs {
  #chain: Promise<void> = Promise.resolve();
  #policyVersion = 0;
  #hotlistVersion = -1;

  constructor(
    private readonly source: DocumentSource,
    private readonly publish: RetainedPublish,
  ) {}

  /** Resolves once the current policy has been handed to the client (not on PUBACK). */
  policy(): Promise<void> {
    return this.#serial(async () => {
      const doc = await this.source.policy();
      if (!doc || doc.version < this.#policyVersion) return;
      this.#policyVersion = doc.version;
      this.publish(topics.policy(), encodeMessage("policy", doc));
    });
  }

  hotlist(): Promise<void> {
    return this.#serial(async () => {
      const doc = await this.source.hotlist();
      if (doc.version < this.#hotlistVersion) return;
      this.#hotlistVersion = doc.version;
      this.publish(topics.hotlist(), encodeMessage("hotlist", doc));
    });
  }

  #serial(task: () => Promise<void>): Promise<void> {
    const run = this.#chain.then(task);
    this.#chain = run.catch(() => {});
    return run;
  }
}
