/**
 * Signed messages between a till and the central server (docs/security.md).
 *
 * Journal entries carry the terminal's MAC, but a broker password alone used to be enough
 * to ask for an online debit as a till. Now every till→server request and every
 * server→till reply that moves money or state carries a seal: an HMAC-SHA256 over a
 * canonical encoding of the direction, the topic (which names the terminal and the
 * message type), the terminal id, the sender's clock, a message id and the whole body
 * (its txnId, corr and every field, in sorted-key JSON). The seal travels in the payload
 * as one extra field, `sig`, so MQTT 3.1.1 brokers carry it and the body's own schema is
 * unchanged; receivers take it out before they validate the body.
 *
 * Keys are derived from the terminal's 32-byte key with HKDF, one per direction: a reply
 * can never be replayed as a request, nor the other way, and neither can be taken for a
 * journal entry's MAC (which uses the key as it is).
 *
 * Which topics are sealed, and what the server checks on each, is one table here
 * (UPLINKS, SEALED_DOWNLINKS), keyed by the topic's tail, so a new message type on an
 * existing topic (a new till operation) is covered without code of its own.
 */
import { createHmac, hkdfSync, randomBytes, timingSafeEqual } from "node:crypto";
import { canonicalJson } from "./journal-entry.js";
import { TOPIC_ROOT, terminalIdOf } from "./topics.js";

export const SEAL_FIELD = "sig";
export type Direction = "up" | "down";

/**
 * How far a request's clock may be from the server's: ±120 s. Tills keep network time
 * (doctor fails a box further off than this), a request is answered in well under a
 * second and a till stops waiting after its auth timeout (seconds), so a request older
 * than this is either a box whose clock is wrong or someone replaying it. Short enough
 * that the replay cache only ever holds two minutes of one chain's requests.
 */
export const MESSAGE_WINDOW_MS = 120_000;

export interface Seal {
  v: 1;
  /** The sender's clock, epoch milliseconds. */
  at: number;
  /** Unique per message (16 random bytes, hex): what the server's replay cache remembers. */
  id: string;
  /** HMAC-SHA256, hex. */
  mac: string;
}

export interface MessageKeys {
  /** Till → server. */
  up: Buffer;
  /** Server → till. */
  down: Buffer;
}

const KDF_SALT = Buffer.from("cardterm/v1 message seal");

/** The two message keys of a terminal, from its 32-byte key. */
export function deriveMessageKeys(terminalKey: Buffer): MessageKeys {
  const derive = (info: string) => Buffer.from(hkdfSync("sha256", terminalKey, KDF_SALT, info, 32));
  return { up: derive("till to server"), down: derive("server to till") };
}

/**
 * What each uplink topic's seal must satisfy at the server. `fresh`: the clock within
 * MESSAGE_WINDOW_MS and the id never seen before — for requests that ask the server to
 * act now (a debit, a till operation). Journal batches are exempt: each entry is MAC'd
 * and chained and applied exactly once by sequence, and a batch may legitimately wait in
 * the broker's queue through a server outage. Heartbeats are status, not money; a ping asks
 * for the server's clock, so it must work on a box whose clock is wrong.
 */
export const UPLINKS: Readonly<Record<string, { fresh: boolean }>> = {
  "up/auth": { fresh: true },
  "up/op": { fresh: true },
  "up/journal": { fresh: false },
  "up/heartbeat": { fresh: false },
  "up/ping": { fresh: false },
};

/**
 * The server's replies a till accepts only sealed: authorisation replies, till-operation
 * replies (rejections included), journal acks (with their rejected entries) and pongs.
 * Presence (the broker publishes the last will), the policy and hotlist (one document for
 * every till) and the operators document (retained) are not sealed (docs/security.md).
 */
export const SEALED_DOWNLINKS: ReadonlySet<string> = new Set(["down/auth", "down/op", "down/ack", "down/pong"]);

/** `up/auth` for `cardterm/v1/t/T001/up/auth`; undefined outside a terminal's topics. */
export function topicTail(topic: string): string | undefined {
  const prefix = `${TOPIC_ROOT}/t/${terminalIdOf(topic)}/`;
  return topic.startsWith(prefix) ? topic.slice(prefix.length) : undefined;
}

function macInput(direction: Direction, topic: string, terminalId: string, seal: Omit<Seal, "mac">, body: unknown) {
  return `cardterm-msg/${seal.v}\n${direction}\n${topic}\n${terminalId}\n${seal.at}\n${seal.id}\n${canonicalJson(body)}`;
}

function macOver(
  key: Buffer,
  direction: Direction,
  topic: string,
  terminalId: string,
  seal: Omit<Seal, "mac">,
  body: unknown,
) {
  return createHmac("sha256", key)
    .update(macInput(direction, topic, terminalId, seal, body))
    .digest("hex");
}

/** The payload with its seal: the body's JSON plus `sig`. */
export function sealPayload(
  key: Buffer,
  direction: Direction,
  topic: string,
  body: object,
  at: number,
  id: string = randomBytes(16).toString("hex"),
): string {
  const terminalId = terminalIdOf(topic) ?? "";
  const bare = { v: 1 as const, at, id };
  const sig: Seal = { ...bare, mac: macOver(key, direction, topic, terminalId, bare, body) };
  return JSON.stringify({ ...body, [SEAL_FIELD]: sig });
}

export type Opened =
  | { ok: true; body: Record<string, unknown>; seal: Seal | undefined }
  | { ok: false; reason: string };

const HEX_ID = /^[0-9a-f]{16,64}$/;
const HEX_MAC = /^[0-9a-f]{64}$/;

/** The body and its seal (undefined when there is none); a payload that is not a JSON object, or a malformed seal, is refused. */
export function openPayload(payload: Buffer | string): Opened {
  let value: unknown;
  try {
    value = JSON.parse(typeof payload === "string" ? payload : payload.toString("utf8"));
  } catch (err) {
    return { ok: false, reason: `not JSON: ${(err as Error).message}` };
  }
  if (value === null || typeof value !== "object" || Array.isArray(value))
    return { ok: false, reason: "not an object" };
  const { [SEAL_FIELD]: sig, ...body } = value as Record<string, unknown>;
  if (sig === undefined) return { ok: true, body, seal: undefined };
  if (!isSeal(sig)) return { ok: false, reason: "malformed seal" };
  return { ok: true, body, seal: sig };
}

function isSeal(v: unknown): v is Seal {
  if (v === null || typeof v !== "object") return false;
  const s = v as Record<string, unknown>;
  return (
    s.v === 1 &&
    Number.isSafeInteger(s.at) &&
    typeof s.id === "string" &&
    HEX_ID.test(s.id) &&
    typeof s.mac === "string" &&
    HEX_MAC.test(s.mac)
  );
}

/** Whether `seal` was made with `key` over exactly this topic and body (constant-time compare). */
export function sealMatches(key: Buffer, direction: Direction, topic: string, body: unknown, seal: Seal): boolean {
  const terminalId = terminalIdOf(topic) ?? "";
  const expected = Buffer.from(macOver(key, direction, topic, terminalId, seal, body), "hex");
  const given = Buffer.from(seal.mac, "hex");
  return expected.length === given.length && timingSafeEqual(expected, given);
}
