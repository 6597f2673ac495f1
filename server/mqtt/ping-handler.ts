/**
 * The server's answer to a terminal's ping (protocol/ping.ts): its own clock, at once,
 * without touching the database — a ping asks "is the server there and what time is it",
 * so it must not wait behind ledger work, and it needs no registered terminal (a
 * technician installing a box not yet registered still learns the server is reachable).
 */
import { decodePing, type PingReply } from "../../protocol/ping.js";
import { topics } from "../../protocol/topics.js";

export type PingAnswer = { ok: true; topic: string; payload: string } | { ok: false; reason: string };

/** The pong to publish for a ping received on `terminalId`'s topic, or why it is dropped. */
export function answerPing(terminalId: string, payload: Buffer, now: () => number): PingAnswer {
  const decoded = decodePing("pingRequest", payload);
  if (!decoded.ok) return { ok: false, reason: decoded.reason };
  if (decoded.value.terminalId !== terminalId)
    return { ok: false, reason: `ping names terminal ${decoded.value.terminalId}` };
  const reply: PingReply = { v: 1, corr: decoded.value.corr, serverTimeMs: now() };
  return { ok: true, topic: topics.pong(terminalId), payload: JSON.stringify(reply) };
}
