/**
 * The till's side of signed messages (protocol/message-mac.ts, docs/security.md), at the
 * one place every message passes: MqttLink. What the till publishes on a request topic
 * leaves sealed with its up key; a reply on a sealed downlink (auth, till operation, ack,
 * pong) is handed on only when its seal matches the down key — with the seal taken off, so
 * every client decodes the body it always did. A reply that fails is dropped and counted:
 * a forged rejection never reaches the sale, the journal's rejected list or the status.
 *
 * An unsealed refusal notice (protocol/refusal-notice.ts) is passed on as a notice, for
 * the client that waits on its corr to show; it never stands in for a reply.
 */
import {
  deriveMessageKeys,
  type MessageKeys,
  openPayload,
  SEALED_DOWNLINKS,
  sealMatches,
  sealPayload,
  topicTail,
  UPLINKS,
} from "../../protocol/message-mac.js";
import { decodeNotice, looksLikeNotice, type RefusalNotice } from "../../protocol/refusal-notice.js";
import type { Logger } from "../logger.js";

export type Incoming =
  /** Not a sealed downlink (policy, hotlist, operators, presence): as it came. */
  | { kind: "plain"; payload: Buffer }
  /** A sealed reply whose seal matched: the body without its seal. */
  | { kind: "verified"; payload: Buffer }
  | { kind: "notice"; notice: RefusalNotice }
  | { kind: "dropped" };

export interface SealCounts {
  /** Replies dropped because their seal was missing or did not match. */
  forged: number;
  /** Notices received (any corr). */
  notices: number;
}

export class LinkSeal {
  readonly #keys: MessageKeys;
  readonly #counts: SealCounts = { forged: 0, notices: 0 };

  constructor(
    terminalKey: Buffer,
    private readonly now: () => number,
    private readonly log: Logger,
  ) {
    this.#keys = deriveMessageKeys(terminalKey);
  }

  /** The payload to publish: sealed on a request topic, as given elsewhere. Throws on a payload that is not a JSON object. */
  outgoing(topic: string, payload: string): string {
    const tail = topicTail(topic);
    if (tail === undefined || UPLINKS[tail] === undefined) return payload;
    const opened = openPayload(payload);
    if (!opened.ok) throw new Error(`cannot seal a message that is ${opened.reason}`);
    return sealPayload(this.#keys.up, "up", topic, opened.body, this.now());
  }

  incoming(topic: string, payload: Buffer): Incoming {
    const tail = topicTail(topic);
    if (tail === undefined || !SEALED_DOWNLINKS.has(tail)) return { kind: "plain", payload };
    const opened = openPayload(payload);
    if (!opened.ok) return this.drop(topic, opened.reason);
    if (opened.seal) {
      if (sealMatches(this.#keys.down, "down", topic, opened.body, opened.seal))
        return { kind: "verified", payload: Buffer.from(JSON.stringify(opened.body)) };
      return this.drop(topic, "its seal does not match this till's key");
    }
    if (looksLikeNotice(opened.body)) {
      const notice = decodeNotice(payload);
      if (!notice.ok) return this.drop(topic, notice.reason);
      this.#counts.notices += 1;
      return { kind: "notice", notice: notice.value };
    }
    return this.drop(topic, "it has no seal");
  }

  counts(): SealCounts {
    return { ...this.#counts };
  }

  private drop(topic: string, why: string): Incoming {
    this.#counts.forged += 1;
    this.log.warn(
      { code: "CT_MESSAGE_REFUSED", topic, forged: this.#counts.forged },
      `reply dropped: ${why} (not from head office, or head office holds another key for this till)`,
    );
    return { kind: "dropped" };
  }
}
