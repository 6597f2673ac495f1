/**
 * The policy and hotlist documents as received from the server (retained MQTT
 * messages), validated, kept only when newer than what the box holds, and stored
 * durably so an offline restart still prices and still refuses hotlisted cards.
 */
import { decodeMessage, type HotlistDocument } from "../../protocol/messages.js";
import type { PolicyDocument } from "../../protocol/policy.js";
import { topics } from "../../protocol/topics.js";
import type { Logger } from "../logger.js";
import { type DurableFs, nodeDurableFs, writeDurably } from "../store/durable-file.js";
import type { MqttLink } from "./mqtt-link.js";

export class PolicyCache {
  private policyDoc: PolicyDocument | undefined;
  private hotlistDoc: HotlistDocument = { version: 0, cards: [] };
  private hotlistSet: ReadonlySet<string> = new Set();

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

  attach(link: MqttLink): void {
    link.on("message", (topic, payload) => {
      if (topic === topics.policy()) void this.onPolicy(payload);
      else if (topic === topics.hotlist()) void this.onHotlist(payload);
    });
  }

  policy(): PolicyDocument | undefined {
    return this.policyDoc;
  }

  hotlist(): ReadonlySet<string> {
    return this.hotlistSet;
  }

  versions(): { policy: number | null; hotlist: number | null } {
    return { policy: this.policyDoc?.version ?? null, hotlist: this.hotlistDoc.version };
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
    if (d.value.version <= this.hotlistDoc.version && this.hotlistDoc.version > 0) return;
    await writeDurably(this.fs, `${this.dataDir}/hotlist.json`, JSON.stringify(d.value));
    this.setHotlist(d.value);
    this.log.info({ version: d.value.version, cards: d.value.cards.length }, "hotlist updated");
  }

  private setHotlist(doc: HotlistDocument): void {
    this.hotlistDoc = doc;
    this.hotlistSet = new Set(doc.cards);
  }
}
