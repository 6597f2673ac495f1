/**
 * Validation against config/schema.ts, with each ajv error turned into a problem a
 * technician can act on: located at the YAML key or value, worded as "expected an
 * integer, got the string "9600x"", with the nearest valid key or value offered.
 */
import { Ajv, type ErrorObject } from "ajv";
import { type ConfigPath, type ConfigProblem, describe, nearest } from "./problems.js";
import { configJsonSchema, PATTERN_HINTS } from "./schema.js";
import type { YamlSource } from "./yaml-source.js";

type Schema = Record<string, unknown> & {
  properties?: Record<string, Schema>;
  oneOf?: Schema[];
  $ref?: string;
  const?: unknown;
  discriminator?: { propertyName: string };
};

/** Words technicians reach for, mapped to the key that means it (for "did you mean"). */
const KEY_ALIASES: Readonly<Record<string, string>> = {
  broker: "mqttUrl",
  brokerUrl: "mqttUrl",
  mqtt: "mqttUrl",
  url: "mqttUrl",
  user: "username",
  pass: "password",
  passwd: "password",
  baud: "baudRate",
  speed: "baudRate",
  device: "path",
  port: "path",
  tz: "timeZone",
  timezone: "timeZone",
  lang: "language",
  width: "paperWidth",
  timeoutMs: "timeout",
  dir: "dataDir",
  terminalId: "id",
  store: "storeName",
  reader: "readers",
  maxOfflineAge: "maxAge",
};

const ajv = new Ajv({
  allErrors: true,
  verbose: true,
  discriminator: true,
  allowUnionTypes: true,
  strictRequired: false,
});
const validate = ajv.compile(configJsonSchema);

/** Every schema violation in `data`, one per path, located in `src`. */
export function schemaProblems(data: unknown, src: YamlSource): ConfigProblem[] {
  if (validate(data)) return [];
  const problems: ConfigProblem[] = [];
  const errors = [...(validate.errors ?? [])].sort((a, b) => rank(a) - rank(b));
  for (const err of errors) {
    const p = toProblem(err, data, src);
    if (p) problems.push(p);
  }
  return problems;
}

/** Type errors first: when the type is wrong, "not in the enum" is noise. */
function rank(err: ErrorObject): number {
  return err.keyword === "type" ? 0 : 1;
}

function toProblem(err: ErrorObject, data: unknown, src: YamlSource): ConfigProblem | undefined {
  const path = instancePath(err.instancePath, data);
  const parent = (err.parentSchema ?? {}) as Schema;
  const value = err.data;
  const show = describe(value, src.sourceText(path));
  const at = (p: ConfigPath, message: string, how: "value" | "key" | "parent" = "value", extra = {}) => ({
    ...src.problem(p, message, how),
    ...extra,
  });
  switch (err.keyword) {
    case "type": {
      const expected = typeWords(err.params.type as string | string[]);
      const suggestion = retype(value, expected, src.sourceText(path));
      return at(path, `expected ${expected}, got ${show}`, "value", withSuggestion({ expected }, suggestion));
    }
    case "enum":
    case "const": {
      const allowed = (err.keyword === "enum" ? err.params.allowedValues : [err.params.allowedValue]) as unknown[];
      return at(path, `${show} is not allowed here; use ${listValues(allowed)}`, "value", offer(value, allowed));
    }
    case "additionalProperties": {
      const key = String(err.params.additionalProperty);
      const keys = Object.keys(parent.properties ?? {});
      const suggestion = nearest(key, keys, KEY_ALIASES);
      const message = suggestion ? "unknown key" : `unknown key; the keys allowed here are ${keys.join(", ")}`;
      return at([...path, key], message, "key", withSuggestion({}, suggestion && JSON.stringify(suggestion)));
    }
    case "required": {
      const key = String(err.params.missingProperty);
      const tags = parent.discriminator?.propertyName === key ? `: one of ${listValues(tagValues(parent))}` : "";
      return at([...path, key], `missing required key "${key}"${tags}`, "parent");
    }
    case "discriminator": {
      if (err.params.tagValue === undefined) return undefined; // reported as a missing key
      const allowed = tagValues(parent);
      const tagPath = [...path, String(err.params.tag)];
      const tagShow = describe(err.params.tagValue, src.sourceText(tagPath));
      return at(tagPath, `${tagShow} is not a known type; use ${listValues(allowed)}`, "value", {
        ...offer(err.params.tagValue, allowed),
      });
    }
    case "pattern": {
      const hint = PATTERN_HINTS[String(err.params.pattern)] ?? `in the form ${err.params.pattern}`;
      return at(path, `${show} is not ${hint}`, "value", { expected: hint });
    }
    case "minimum":
    case "maximum":
      return at(
        path,
        `${show} is ${err.keyword === "minimum" ? "below the minimum" : "above the maximum"} ${err.params.limit}`,
      );
    case "minLength":
      return at(path, "must not be empty");
    case "minProperties":
      return at(path, `give one of ${Object.keys(parent.properties ?? {}).join(", ")}`);
    case "maxProperties":
      return at(path, `give only one of ${Object.keys(parent.properties ?? {}).join(", ")}, not several`);
    case "if":
    case "oneOf":
      return undefined; // the branch's own errors say what is wrong
    default:
      return at(path, err.message ?? `fails ${err.keyword}`);
  }
}

/** "/readers/1/baudRate" → ["readers", 1, "baudRate"] (numbers where the data is a list). */
function instancePath(pointer: string, data: unknown): ConfigPath {
  if (pointer === "") return [];
  const out: (string | number)[] = [];
  let here: unknown = data;
  for (const raw of pointer.slice(1).split("/")) {
    const seg = raw.replace(/~1/g, "/").replace(/~0/g, "~");
    const step = Array.isArray(here) ? Number(seg) : seg;
    out.push(step);
    here = here !== null && typeof here === "object" ? (here as Record<string, unknown>)[seg] : undefined;
  }
  return out;
}

function typeWords(type: string | string[]): string {
  const words: Record<string, string> = {
    integer: "an integer",
    number: "a number",
    string: "a string",
    boolean: "true or false",
    object: "a mapping (indented key: value lines)",
    array: 'a list (lines starting with "- ")',
    null: "an empty value",
  };
  return (Array.isArray(type) ? type : type.split(",")).map((t) => words[t] ?? t).join(" or ");
}

/** The YAML that was probably meant when only the type is wrong: 9600 for "9600", "001" for 001. */
function retype(value: unknown, expected: string, source: string | undefined): string | undefined {
  if (typeof value === "string" && /^(an integer|a number)/.test(expected) && /^-?\d+(\.\d+)?$/.test(value.trim())) {
    return value.trim();
  }
  if (typeof value === "string" && expected === "true or false") {
    const v = value.toLowerCase();
    if (["yes", "y", "on", "1", "true"].includes(v)) return "true";
    if (["no", "n", "off", "0", "false"].includes(v)) return "false";
  }
  if ((typeof value === "number" || typeof value === "boolean") && expected.startsWith("a string")) {
    return JSON.stringify(source ?? String(value));
  }
  return undefined;
}

/** `"a", "b" or "c"` */
function listValues(values: readonly unknown[]): string {
  const texts = values.map((v) => (typeof v === "string" ? JSON.stringify(v) : String(v)));
  return texts.length < 2 ? (texts[0] ?? "") : `${texts.slice(0, -1).join(", ")} or ${texts.at(-1)}`;
}

/** The allowed value nearest to what was written, as YAML text. */
function offer(value: unknown, allowed: readonly unknown[]): { suggestion?: string; expected: string } {
  const texts = allowed.map((v) => String(v));
  const hit = value === null || value === undefined ? undefined : nearest(String(value), texts);
  const expected = `one of ${listValues(allowed)}`;
  if (hit === undefined) return { expected };
  const chosen = allowed[texts.indexOf(hit)];
  return { expected, suggestion: typeof chosen === "string" ? JSON.stringify(chosen) : String(chosen) };
}

function withSuggestion<T extends object>(base: T, suggestion: string | undefined): T & { suggestion?: string } {
  return suggestion === undefined ? base : { ...base, suggestion };
}

/** The `type` values a discriminated union accepts, read from its branches. */
function tagValues(schema: Schema): unknown[] {
  const tag = schema.discriminator?.propertyName ?? "type";
  const defs = configJsonSchema.definitions as unknown as Record<string, Schema>;
  return (schema.oneOf ?? []).map((branch) => {
    const target = branch.$ref ? defs[branch.$ref.replace("#/definitions/", "")] : branch;
    return target?.properties?.[tag]?.const;
  });
}
