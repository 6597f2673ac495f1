/**
 * Structured logs (pino), a child logger per component.
 *
 * Two lines of defence keep secrets and card numbers out of log files, which are copied
 * to laptops and attached to support tickets (docs/architecture.md#rules-of-the-house):
 *  - keys, PINs, passwords and tokens are censored by pino's redaction, by key name, at
 *    the top level and two levels down (deeper objects are not logged by the agent);
 *  - card ids are masked like receipts mask them (maskCardId): under card-ish keys at any
 *    depth, any string that is a whole card id, and card ids inside the message text and
 *    error messages. Callers should still log maskCardId(id); this catches the slip.
 */
import { pino } from "pino";
import { maskCardId } from "../rules/card.js";

export type Logger = pino.Logger;

/** Key names whose values are never written, wherever they appear. */
export const SECRET_KEYS = [
  "key",
  "keyHex",
  "pin",
  "pinHash",
  "newPin",
  "oldPin",
  "password",
  "passwd",
  "token",
  "apiToken",
  "accessToken",
  "secret",
  "authorization",
  "Authorization",
  "cookie",
] as const;

/** Each secret key at depth 0, 1 and 2, plus HTTP headers as Fastify logs them. */
export const REDACT_PATHS: readonly string[] = [
  ...SECRET_KEYS.flatMap((k) => [k, `*.${k}`, `*.*.${k}`]),
  'req.headers["x-api-key"]',
  'headers["x-api-key"]',
];

export const CENSOR = "[redacted]";

export function createLogger(
  opts: { level?: string; name?: string; destination?: pino.DestinationStream } = {},
): Logger {
  return pino(
    {
      name: opts.name ?? "cardterm",
      level: opts.level ?? process.env.CARDTERM_LOG_LEVEL ?? "info",
      redact: { paths: [...REDACT_PATHS], censor: CENSOR },
      formatters: { log: (o) => maskCards(o, 0) as Record<string, unknown> },
      // Child bindings (log.child({ cardId })) skip formatters.log but not serializers.
      serializers: {
        ...Object.fromEntries(CARD_BINDING_KEYS.map((k) => [k, (v: unknown) => maskCards(v, 1, true)])),
        err: (err: unknown) => maskError(err instanceof Error ? pino.stdSerializers.err(err) : err),
      },
      hooks: {
        logMethod(args, method) {
          // Only the message text and its printf arguments: objects go through formatters.log.
          const masked = args.map((a) => (typeof a === "string" ? maskCardText(a) : a));
          return method.apply(this, masked as Parameters<typeof method>);
        },
      },
    },
    opts.destination,
  );
}

/** A logger that writes nothing, for tests that do not look at logs. */
export function silentLogger(): Logger {
  return pino({ level: "silent" });
}

/** Keys that hold a card id or a raw UID: card, cardId, newCardId, card_uid, uid, cardNo… */
const CARD_KEY = /^(card|uid|cardNo|cardNumber)$|card_?(id|uid)$/i;
const CARD_BINDING_KEYS = ["card", "cardId", "uid", "cardUid", "newCardId", "oldCardId"];
const WHOLE_CARD_ID = /^(ic|id|qr|sim):[0-9A-Za-z_-]{1,64}$/;
/** A card id inside text; not one already masked (no id character or `*` may follow). */
const CARD_ID_IN_TEXT = /\b(?:ic|id|qr|sim):[0-9A-Za-z_-]+(?![*0-9A-Za-z_-])/g;
const MAX_DEPTH = 4;

export function maskCardText(text: string): string {
  return text.replace(CARD_ID_IN_TEXT, (id) => maskCardId(id));
}

/** A copy with card ids masked; plain objects and arrays only (Buffers, Errors, Maps kept). */
function maskCards(value: unknown, depth: number, cardKey = false): unknown {
  if (typeof value === "string") {
    if (WHOLE_CARD_ID.test(value)) return maskCardId(value);
    return cardKey ? maskRaw(value) : value;
  }
  if (depth >= MAX_DEPTH || value === null || typeof value !== "object") return value;
  if (Array.isArray(value)) return value.map((v) => maskCards(v, depth + 1, cardKey));
  if (Object.getPrototypeOf(value) !== Object.prototype && Object.getPrototypeOf(value) !== null) return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = maskCards(v, depth + 1, CARD_KEY.test(k));
  return out;
}

/** A raw UID or number under a card key: its ends kept when long, like maskCardId does. */
function maskRaw(text: string): string {
  if (text.includes("*")) return text;
  return maskCardId(`x:${text}`).slice(2);
}

/** `err` is an Error (serialized by pino first) or, in much of the agent, its message string. */
function maskError(err: unknown): unknown {
  if (typeof err === "string") return maskCardText(err);
  if (err === null || typeof err !== "object") return err;
  const out = { ...(err as Record<string, unknown>) };
  if (typeof out.message === "string") out.message = maskCardText(out.message);
  if (typeof out.stack === "string") out.stack = maskCardText(out.stack);
  return out;
}
