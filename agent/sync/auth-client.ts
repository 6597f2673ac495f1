/**
 * Online authorisation as request/response over MQTT with a deadline. The correlation
 * id travels in the payload (MQTT 3.1.1 has no response-topic property). A reply that
 * comes after the deadline is dropped: the decider has moved on to the offline rules
 * with the same transaction id, which the server recognises.
 *
 * Head office's refusal of the request (protocol/refusal-notice.ts: a till it does not
 * know, a clock outside the window) ends the wait at once and is returned as it is: the
 * sale is declined with its code, never approved offline on a server's say-so it cannot
 * check, and the till's standing shows it (server-standing.ts).
 */
import { randomUUID } from "node:crypto";
import { realTimers, type Timers } from "../../lib/timers.js";
import { type AuthReply, type AuthRequest, decodeMessage } from "../../protocol/messages.js";
import type { RefusalNotice } from "../../protocol/refusal-notice.js";
import { topics } from "../../protocol/topics.js";
import type { Logger } from "../logger.js";
import type { OnlineAuthoriser } from "../sale/decider.js";
import type { MqttLink } from "./mqtt-link.js";
import { ReplyWaiters } from "./reply-waiters.js";

export class AuthClient implements OnlineAuthoriser {
  private readonly replies: ReplyWaiters<AuthReply | RefusalNotice>;

  /** `timers`: the reply deadlines' (default Node's). */
  constructor(
    private readonly link: MqttLink,
    private readonly terminalId: string,
    private readonly log: Logger,
    private readonly onContact: () => void,
    timers: Timers = realTimers,
  ) {
    this.replies = new ReplyWaiters(timers);
    link.on("message", (topic, payload) => {
      if (topic === topics.authReply(terminalId)) this.onReply(payload);
    });
    link.on("refused", (topic, notice) => {
      if (topic !== topics.authReply(terminalId)) return;
      if (this.replies.settle(notice.corr, notice)) link.standing.noteRefused(notice);
      else log.warn({ refused: notice.refused }, "refusal notice for a request this till is not waiting for: ignored");
    });
  }

  isConnected(): boolean {
    return this.link.isConnected();
  }

  async authorise(
    req: Omit<AuthRequest, "corr" | "v">,
    timeoutMs: number,
  ): Promise<AuthReply | "timeout" | RefusalNotice> {
    const corr = randomUUID();
    const request: AuthRequest = { v: 1, corr, ...req };
    return this.replies.wait(corr, timeoutMs, () => {
      this.link.publish(topics.authRequest(this.terminalId), JSON.stringify(request)).catch((err: Error) => {
        this.log.warn({ err: err.message, txnId: req.txnId }, "authorisation request not sent");
      });
    });
  }

  private onReply(payload: Buffer): void {
    const decoded = decodeMessage("authReply", payload);
    if (!decoded.ok) {
      this.log.warn({ reason: decoded.reason }, "CT_MESSAGE_INVALID: authorisation reply dropped");
      return;
    }
    this.onContact();
    if (!this.replies.settle(decoded.value.corr, decoded.value))
      this.log.info({ txnId: decoded.value.txnId }, "late authorisation reply ignored");
  }
}
