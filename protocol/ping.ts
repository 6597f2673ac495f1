/**
 * Ping / pong between a terminal and the central server (`cardterm doctor`, docs/doctor.md):
 * is the server there, how long a request/response takes through the broker, and how far
 * this box's clock is from the server's. Timestamps on receipts and journal entries, the
 * business day and the offline age (docs/architecture.md#the-offline-rules, rule 7) all trust
 * the box's clock, so a technician must see a wrong one.
 *
 * Like every message (messages.ts), validated at both ends and versioned; the correlation
 * id travels in the payload so MQTT 3.1.1 brokers work
 * (docs/architecture.md#reconciliation-with-head-office).
 */
import { Ajv } from "ajv";
import { type DecodedPayload, decodeValidated } from "./validated-payload.js";

export interface PingRequest {
  v: 1;
  corr: string;
  terminalId: string;
  /** The terminal's clock when it sent the ping (ISO-8601), for the server's log. */
  sentAt: string;
}

export interface PingReply {
  v: 1;
  corr: string;
  /** The server's clock when it answered, epoch milliseconds. */
  serverTimeMs: number;
}

const str = { type: "string", minLength: 1, maxLength: 200 };

const schemas = {
  pingRequest: {
    type: "object",
    required: ["v", "corr", "terminalId", "sentAt"],
    additionalProperties: false,
    properties: { v: { const: 1 }, corr: str, terminalId: str, sentAt: str },
  },
  pingReply: {
    type: "object",
    required: ["v", "corr", "serverTimeMs"],
    additionalProperties: false,
    properties: { v: { const: 1 }, corr: str, serverTimeMs: { type: "integer", minimum: 0 } },
  },
} as const;

const ajv = new Ajv({ allErrors: false, strict: false });
const validators = {
  pingRequest: ajv.compile(schemas.pingRequest),
  pingReply: ajv.compile(schemas.pingReply),
};

/** Parse and validate a ping or pong payload; never throws. */
export function decodePing(name: "pingRequest", payload: Buffer | string): DecodedPayload<PingRequest>;
export function decodePing(name: "pingReply", payload: Buffer | string): DecodedPayload<PingReply>;
export function decodePing(name: keyof typeof validators, payload: Buffer | string): DecodedPayload<unknown> {
  return decodeValidated(name, validators[name], payload);
}

/**
 * How far the box's clock is behind (negative) or ahead (positive) of the server's,
 * taking the server's reading as made halfway through the round trip (as NTP does).
 */
export function clockSkewMs(sentAtMs: number, receivedAtMs: number, serverTimeMs: number): number {
  return Math.round((sentAtMs + receivedAtMs) / 2 - serverTimeMs);
}
