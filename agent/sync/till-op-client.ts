/**
 * Till operations as request/response over MQTT with a deadline (protocol/till-ops.ts),
 * the same pattern as the online authorisation (auth-client.ts). A reply after the
 * deadline is dropped; the till reports CT_SERVER_TIMEOUT and the cashier may retry with
 * the same txnId, which the server answers from its ledger without moving money twice.
 */
import { randomUUID } from "node:crypto";
import { realTimers, type Timers } from "../../lib/timers.js";
import { CardtermError } from "../../protocol/errors.js";
import { decodeMessage, encodeMessage } from "../../protocol/messages.js";
import type {
  HoldReply,
  MemberFindReply,
  TillOpAnyReply,
  TillOpReply,
  TillOpRequest,
} from "../../protocol/till-ops.js";
import { topics } from "../../protocol/topics.js";
import type { Logger } from "../logger.js";
import type { MqttLink } from "./mqtt-link.js";
import { ReplyWaiters } from "./reply-waiters.js";
import { refusalError } from "./server-standing.js";

/** The operations answered with a card (TillOpReply): all but `find` and `hold`. */
type CardReplyRequest = Exclude<TillOpRequest, { op: "find" | "hold" }>;

/** A request without its envelope: the client adds v, corr and the terminal id. */
export type TillOpCall = CardReplyRequest extends infer R
  ? R extends CardReplyRequest
    ? Omit<R, "v" | "corr" | "terminalId">
    : never
  : never;

/** The operation alone, before the till adds who, when and which business day. */
export type TillOpBody = CardReplyRequest extends infer R
  ? R extends CardReplyRequest
    ? Omit<R, "v" | "corr" | "terminalId" | "operatorId" | "businessDay" | "at">
    : never
  : never;

/** `find` alone: it answers with members, not a card (protocol/till-member-find.ts). */
export type MemberFindCall = Omit<Extract<TillOpRequest, { op: "find" }>, "v" | "corr" | "terminalId">;

/** `hold` alone: the till resolving an online approval's hold (protocol/holds.ts). */
export type HoldCall = Omit<Extract<TillOpRequest, { op: "hold" }>, "v" | "corr" | "terminalId">;

export interface TillOpServer {
  isConnected(): boolean;
  /** Throws CT_SERVER_TIMEOUT when offline or when no answer comes in time. */
  call(req: TillOpCall, timeoutMs: number): Promise<TillOpReply>;
  /** Finding a member; throws CT_SERVER_TIMEOUT likewise. */
  find(req: MemberFindCall, timeoutMs: number): Promise<MemberFindReply>;
  /** Confirming or releasing a hold; throws CT_SERVER_TIMEOUT likewise. */
  hold(req: HoldCall, timeoutMs: number): Promise<HoldReply>;
}

export class TillOpClient implements TillOpServer {
  private readonly replies: ReplyWaiters<TillOpAnyReply>;

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
      if (topic === topics.tillOpReply(terminalId)) this.onReply(payload);
    });
    // Head office refused the request (docs/security.md): the call throws its code at once.
    link.on("refused", (topic, notice) => {
      if (topic !== topics.tillOpReply(terminalId)) return;
      if (this.replies.fail(notice.corr, refusalError(notice))) link.standing.noteRefused(notice);
      else log.warn({ refused: notice.refused }, "refusal notice for a request this till is not waiting for: ignored");
    });
  }

  isConnected(): boolean {
    return this.link.isConnected();
  }

  async call(req: TillOpCall, timeoutMs: number): Promise<TillOpReply> {
    const reply = await this.ask(req, timeoutMs);
    // Correlation ids are per request, so only a server answering the wrong request sends this.
    if ("found" in reply || "hold" in reply) throw new Error(`the server answered ${req.op} with another op's reply`);
    return reply;
  }

  async find(req: MemberFindCall, timeoutMs: number): Promise<MemberFindReply> {
    const reply = await this.ask(req, timeoutMs);
    if (reply.ok && !("found" in reply)) throw new Error("the server answered find without members");
    return reply as MemberFindReply;
  }

  async hold(req: HoldCall, timeoutMs: number): Promise<HoldReply> {
    const reply = await this.ask(req, timeoutMs);
    if (reply.ok && !("hold" in reply)) throw new Error("the server answered hold without its state");
    return reply as HoldReply;
  }

  private async ask(req: TillOpCall | MemberFindCall | HoldCall, timeoutMs: number): Promise<TillOpAnyReply> {
    if (!this.link.isConnected()) throw offline();
    const corr = randomUUID();
    const request = { v: 1, corr, terminalId: this.terminalId, ...req } as TillOpRequest;
    const reply = await this.replies.wait(corr, timeoutMs, () => {
      this.link.publish(topics.tillOp(this.terminalId), encodeMessage("tillOpRequest", request)).catch((err: Error) => {
        this.log.warn({ err: err.message, op: req.op }, "till operation not sent");
      });
    });
    if (reply === "timeout") throw offline();
    return reply;
  }

  private onReply(payload: Buffer): void {
    const decoded = decodeMessage("tillOpReply", payload);
    if (!decoded.ok) {
      this.log.warn({ reason: decoded.reason }, "CT_MESSAGE_INVALID: till operation reply dropped");
      return;
    }
    this.onContact();
    if (!this.replies.settle(decoded.value.corr, decoded.value)) this.log.info("late till operation reply ignored");
  }
}

function offline(): CardtermError {
  return new CardtermError(
    "CT_SERVER_TIMEOUT",
    "the central server did not answer: top-ups, refunds, voids and balance checks need it online; try again",
  );
}
