/**
 * Parsing an MQTT payload against a compiled JSON Schema, never throwing: what each end
 * does with every message before trusting it (a malformed one is dropped with its
 * reason, CT_MESSAGE_INVALID). messages.ts (its map of schemas) and ping.ts use it.
 */
import type { ValidateFunction } from "ajv";

export type DecodedPayload<T> = { ok: true; value: T } | { ok: false; reason: string };

export function decodeValidated<T>(
  name: string,
  validate: ValidateFunction,
  payload: Buffer | string,
): DecodedPayload<T> {
  let value: unknown;
  try {
    value = JSON.parse(typeof payload === "string" ? payload : payload.toString("utf8"));
  } catch (err) {
    return { ok: false, reason: `not JSON: ${(err as Error).message}` };
  }
  if (validate(value)) return { ok: true, value: value as T };
  const e = validate.errors?.[0];
  return { ok: false, reason: `${name}: ${e?.instancePath || "/"} ${e?.message ?? "invalid"}` };
}
