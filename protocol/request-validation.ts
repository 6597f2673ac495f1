/**
 * How both HTTP APIs (the till's, agent/api/; head office's, server/http/) check a request
 * against its JSON Schema, and how a refusal reads: nothing is coerced ("25.00" is not 2500
 * fen) and no unknown field is let through.
 *
 * Fastify's default validator coerces types and strips unknown properties: `"25.00"`
 * became 25 fen, `true` 1 fen, and a misspelt `redeemPoint` vanished, so the sale went
 * through without the points. Here nothing is coerced and nothing removed: what the
 * published schema refuses is refused, whole, before any handler runs. The refusal is
 * CT_BAD_REQUEST with `details.field`, the field as a person writes it (`amount`,
 * `countUse.uses`, `doctor[0].name`), which the APIs send as `field` beside code and message.
 */
import type { ErrorObject } from "ajv";
import { CardtermError } from "./errors.js";

/**
 * Fastify's `ajv.customOptions`. `verbose` keeps each error's schema and value, so a
 * refusal can list the fields allowed and say what was sent (its JSON type, never its value:
 * a PIN sent as a number must not come back in a reply or a log). One error is enough:
 * the first one found is the one named, and `allErrors` costs work an attacker chooses.
 */
export const STRICT_AJV_OPTIONS = {
  coerceTypes: false,
  removeAdditional: false,
  useDefaults: true,
  allErrors: false,
  verbose: true,
} as const;

/** The field of `details.field` of a refusal, if it names one. */
export function refusedField(err: unknown): string | undefined {
  const field = (err as { details?: { field?: unknown } }).details?.field;
  return typeof field === "string" ? field : undefined;
}

/**
 * The CT_BAD_REQUEST for fastify's validation error of `context` (body, querystring,
 * params, headers), or undefined when `err` is not one.
 */
export function validationRefusal(err: unknown): CardtermError | undefined {
  const e = err as { validation?: ErrorObject[]; validationContext?: string };
  const errors = e.validation ?? [];
  if (errors.length === 0) return undefined;
  const where = e.validationContext ?? "body";
  const { field, text } = describeError(chosen(errors));
  const subject = field === "" ? `the ${where}` : field;
  return new CardtermError("CT_BAD_REQUEST", `${subject} ${text}`, field === "" ? undefined : { details: { field } });
}

/**
 * The first error, except under a choice of field sets (`oneOf: [{required: [member]},
 * {required: [memberId]}]`): its branches' errors ("must NOT be valid") say nothing to a
 * person, the choice itself does. A choice of types (an amount or null) keeps the first,
 * "must be an integer".
 */
function chosen(errors: ErrorObject[]): ErrorObject {
  const last = errors[errors.length - 1]!;
  const branches = last.schema as { required?: unknown }[] | undefined;
  const fieldSets = Array.isArray(branches) && branches.length > 0 && branches.every((b) => Array.isArray(b.required));
  return (last.keyword === "oneOf" || last.keyword === "anyOf") && fieldSets ? last : errors[0]!;
}

function describeError(e: ErrorObject): { field: string; text: string } {
  const at = fieldOf(e.instancePath);
  const params = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case "additionalProperties": {
      const allowed = Object.keys((e.parentSchema as { properties?: object } | undefined)?.properties ?? {});
      const field = join(at, String(params.additionalProperty));
      const known =
        allowed.length > 0 ? `the fields allowed here are ${allowed.join(", ")}` : "no field is allowed here";
      return { field, text: `is not a known field; ${known}` };
    }
    case "required": {
      // A missing field with a fixed set of values says them, so the caller need not look them up.
      const missing = String(params.missingProperty);
      const props = (e.parentSchema as { properties?: Record<string, { enum?: unknown[] }> } | undefined)?.properties;
      const values = props?.[missing]?.enum;
      return { field: join(at, missing), text: `is required${values ? `: one of ${values.join(", ")}` : ""}` };
    }
    case "enum":
      return { field: at, text: `must be one of ${(params.allowedValues as unknown[]).join(", ")}` };
    case "type":
      return { field: at, text: `must be ${article(String(params.type))}, not ${jsonType(e.data)}` };
    case "oneOf":
    case "anyOf":
      return { field: at, text: choiceText(e) };
    default:
      return { field: at, text: e.message ?? "is not valid" };
  }
}

/** `/countUse/uses` → `countUse.uses`; `/doctor/0/name` → `doctor[0].name` (JSON Pointer, RFC 6901). */
export function fieldOf(instancePath: string): string {
  if (instancePath === "") return "";
  return instancePath
    .slice(1)
    .split("/")
    .map((p) => p.replace(/~1/g, "/").replace(/~0/g, "~"))
    .reduce((at, part) => (/^[0-9]+$/.test(part) ? `${at}[${part}]` : join(at, part)), "");
}

const join = (at: string, key: string) => (at === "" ? key : `${at}.${key}`);

function article(type: string): string {
  const words: Record<string, string> = {
    integer: "an integer (amounts in minor units: 2500 = ¥25.00)",
    object: "an object",
    array: "a list",
    string: "text",
    boolean: "true or false",
    number: "a number",
    null: "null",
  };
  return type
    .split(",")
    .map((t) => words[t] ?? t)
    .join(" or ");
}

function jsonType(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "number") return Number.isInteger(value) ? "an integer" : "a number with a fraction";
  if (typeof value === "string") return "text";
  if (typeof value === "boolean") return `${value}`;
  return "an object";
}

/** A body that must hold one of several sets of fields (member or memberId): names them. */
function choiceText(e: ErrorObject): string {
  const branches = (e.schema as { required?: string[] }[] | undefined) ?? [];
  const sets = branches.map((b) => b.required?.join(" and ")).filter((s): s is string => Boolean(s));
  const how = e.keyword === "oneOf" ? "exactly one of" : "one of";
  return sets.length > 0 ? `must hold ${how}: ${sets.join("; ")}` : `must match ${how} its allowed forms`;
}
