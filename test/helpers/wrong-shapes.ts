/**
 * Wrong request bodies derived from a published JSON Schema (an OpenAPI request body),
 * for the tests that nothing is coerced: every field of a valid base body replaced in turn by
 * each shape its schema does not admit — numeric strings ("25.00", "1e2", "100"), booleans,
 * floats, numbers below the minimum, null, arrays, objects — plus an unknown field, a
 * misspelt optional field (redeemPoints → redeemPoint) and each required field left out.
 * Each case names the field the API must name in its 400 (`countUse.uses`, `doctor[0].name`).
 *
 * Which shapes are wrong is the published schema's call, not this file's: a candidate the
 * schema admits (null where null is allowed) is dropped, checked with a validator that
 * neither coerces nor strips. So the cases say "the API refuses what its document refuses".
 */
import { Ajv, type ValidateFunction } from "ajv";

export type Schema = {
  type?: string | string[];
  properties?: Record<string, Schema>;
  required?: string[];
  additionalProperties?: boolean | Schema;
  anyOf?: Schema[];
  oneOf?: Schema[];
  allOf?: Schema[];
  enum?: unknown[];
  const?: unknown;
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  items?: Schema;
  [k: string]: unknown;
};

export interface WrongShape {
  /** What was done, for the assertion's name: `amount = "25.00"`. */
  what: string;
  body: unknown;
  /** The field the refusal must name. */
  field: string;
}

/** The document's own view: no coercion, nothing removed, formats and keywords it does not know ignored. */
const ajv = new Ajv({ strict: false, allErrors: false, coerceTypes: false, removeAdditional: false });
const compiled = new WeakMap<object, ValidateFunction>();

export function documentAccepts(schema: Schema, value: unknown): boolean {
  let v = compiled.get(schema);
  if (!v) {
    v = ajv.compile(schema);
    compiled.set(schema, v);
  }
  return v(value);
}

const NUMERIC_TEXT = ["25.00", "1e2", "100", "", " 100", "0x10"];
const NOT_SCALAR = [null, [], [100], {}, { amount: 100 }];

/**
 * Values the schema of one field might not admit; the caller keeps those it does not. An
 * object or a list is offered only where the field is not one: inside one, the wrong shapes
 * are its own fields' (walked on their own), and the refusal would name those.
 */
function candidates(s: Schema): unknown[] {
  const kinds = typesOf(s);
  const shapes = NOT_SCALAR.filter(
    (v) => !(kinds.has("object") && isPlainObject(v)) && !(kinds.has("array") && Array.isArray(v)),
  );
  return [...shapes, ...scalarCandidates(s)];
}

function typesOf(s: Schema): Set<string> {
  const branches = [...(s.anyOf ?? []), ...(s.oneOf ?? [])];
  if (branches.length > 0) return new Set(branches.flatMap((b) => [...typesOf(b)]));
  return new Set([s.type ?? (s.properties ? "object" : "any")].flat());
}

const isPlainObject = (v: unknown) => v !== null && typeof v === "object" && !Array.isArray(v);

function scalarCandidates(s: Schema): unknown[] {
  const branches = [...(s.anyOf ?? []), ...(s.oneOf ?? [])];
  if (branches.length > 0) return branches.flatMap(scalarCandidates);
  const types = [s.type ?? (s.properties ? "object" : undefined)].flat();
  const out: unknown[] = [true, false, "x", 1, 25.5];
  for (const type of types) {
    if (type === "integer" || type === "number") {
      out.push(...NUMERIC_TEXT, 25.5, 0.1, Number.MAX_SAFE_INTEGER + 2);
      if (s.minimum !== undefined) out.push(s.minimum - 1, Math.min(-1, s.minimum - 1));
      if (s.maximum !== undefined) out.push(s.maximum + 1);
    }
    if (type === "string") {
      out.push(100, 25.5);
      if (s.minLength) out.push("");
      if (s.maxLength !== undefined) out.push("9".repeat(s.maxLength + 1));
      if (s.pattern) out.push("!!", "\u0000");
    }
    if (type === "boolean") out.push("true", "false", 1, 0);
  }
  if (s.enum) out.push("nope", ...s.enum.map((e) => (typeof e === "string" ? e.toUpperCase() : String(e))));
  return out;
}

function show(v: unknown): string {
  return v === undefined ? "undefined" : JSON.stringify(v).slice(0, 40);
}

const join = (at: string, key: string | number) =>
  typeof key === "number" ? `${at}[${key}]` : at === "" ? key : `${at}.${key}`;

/** A copy of `root` with the value at `path` set (or deleted, for undefined). */
function withValue(root: unknown, path: (string | number)[], value: unknown): unknown {
  // Through JSON, not structuredClone: a base sharing one object in two places (the demo
  // policy's bonus tiers) must be changed in one place only.
  const copy = JSON.parse(JSON.stringify(root)) as Record<string | number, unknown>;
  let node = copy;
  for (const k of path.slice(0, -1)) node = node[k] as Record<string | number, unknown>;
  const last = path[path.length - 1]!;
  if (value === undefined) delete node[last];
  else node[last] = value;
  return copy;
}

/** The misspelling people make of a field: a plural's s dropped, or one added. */
export function misspelt(key: string): string {
  return key.endsWith("s") ? key.slice(0, -1) : `${key}s`;
}

export interface ShapesOf {
  cases: WrongShape[];
  /** Fields of the schema no base body holds: each one's wrong shapes were not tried. */
  untried: string[];
}

/**
 * The wrong shapes of `schema` around each base body (more than one where a field excludes
 * another, e.g. member / memberId). Every base must be one the document accepts.
 */
export function wrongShapes(schema: Schema, bases: unknown[]): ShapesOf {
  const cases: WrongShape[] = [];
  const tried = new Set<string>();
  const all = new Set<string>();
  const keep = (c: WrongShape) => {
    if (!documentAccepts(schema, c.body) && !cases.some((x) => x.what === c.what)) cases.push(c);
  };
  /** One field (declared, or an entry of a map such as cardTypes) and what is inside it. */
  const visit = (base: unknown, path: (string | number)[], field: string, sub: Schema) => {
    const inner = path.reduce<unknown>((v, k) => (v as Record<string | number, unknown>)[k], base);
    for (const wrong of candidates(sub)) {
      keep({ what: `${field} = ${show(wrong)}`, body: withValue(base, path, wrong), field });
    }
    const objectSchema = [sub, ...(sub.anyOf ?? []), ...(sub.oneOf ?? [])].find((b) => b.properties || isMap(b));
    if (objectSchema && inner !== null && typeof inner === "object" && !Array.isArray(inner)) {
      walk(base, objectSchema, path, field);
    }
    if (sub.items && Array.isArray(inner) && inner.length > 0) visit(base, [...path, 0], join(field, 0), sub.items);
  };
  const walk = (base: unknown, whole: Schema, path: (string | number)[], at: string) => {
    const s = merged(whole);
    const props = s.properties ?? {};
    const value = path.reduce<unknown>((v, k) => (v as Record<string | number, unknown>)[k], base) as Record<
      string,
      unknown
    >;
    for (const [key, sub] of Object.entries(props)) {
      const field = join(at, key);
      all.add(field);
      if (!(key in value)) continue;
      tried.add(field);
      visit(base, [...path, key], field, sub);
      if (s.required?.includes(key)) {
        keep({ what: `${field} left out`, body: withValue(base, [...path, key], undefined), field });
      } else {
        const typo = misspelt(key);
        if (!(typo in props)) {
          const moved = withValue(withValue(base, [...path, key], undefined), [...path, typo], value[key]);
          keep({ what: `${join(at, typo)} for ${key}`, body: moved, field: join(at, typo) });
        }
      }
    }
    // A map (cardTypes, roles): each entry the base holds is a field of the map's value schema.
    if (isMap(s)) {
      for (const key of Object.keys(value).filter((k) => !(k in props))) {
        visit(base, [...path, key], join(at, key), s.additionalProperties as Schema);
      }
    }
    const unknown = join(at, "zzUnknown");
    keep({ what: `unknown ${unknown}`, body: withValue(base, [...path, "zzUnknown"], 1), field: unknown });
  };
  for (const base of bases) walk(base, schema, [], "");
  return { cases, untried: [...all].filter((f) => !tried.has(f)) };
}

const isMap = (s: Schema) => typeof s.additionalProperties === "object";

/** An allOf's fields as one object schema (the fields part of `allOf: [fields, choice]`). */
function merged(s: Schema): Schema {
  if (!s.allOf) return s;
  const parts = [s, ...s.allOf.map(merged)];
  return {
    ...s,
    properties: Object.assign({}, ...parts.map((p) => p.properties ?? {})),
    required: parts.flatMap((p) => p.required ?? []),
  };
}

/**
 * Where the document itself is loose: an object schema that lets unknown fields through,
 * or a money or count field that is not an integer. Paths as `amount`, `countUse.uses`.
 */
export function looseSpots(schema: Schema, at = "", inBranch = false): string[] {
  const out: string[] = [];
  const branches = [...(schema.anyOf ?? []), ...(schema.oneOf ?? []), ...(schema.allOf ?? [])];
  for (const b of branches) out.push(...looseSpots(b, at, true));
  // A branch of a choice that only says which fields must (not) be present selects between
  // shapes the other branch declares; it shapes nothing itself.
  const selector =
    inBranch && Object.keys(schema).every((k) => k === "type" || k === "required" || k === "not" || k === "oneOf");
  const anObject = (schema.type === "object" && !selector) || schema.properties !== undefined;
  if (anObject && !isMap(schema) && schema.additionalProperties !== false && !schema.allOf) {
    out.push(`${at || "(body)"}: additionalProperties is not false`);
  }
  if (schema.properties) {
    for (const [key, sub] of Object.entries(schema.properties)) {
      const field = join(at, key);
      const scalar = !sub.properties && !isMap(sub) && !sub.items;
      if (MONEY_OR_COUNT.test(key) && scalar && !isInteger(sub)) out.push(`${field}: not an integer`);
      out.push(...looseSpots(sub, field));
    }
  }
  if (schema.items) out.push(...looseSpots(schema.items, join(at, 0)));
  if (isMap(schema)) out.push(...looseSpots(schema.additionalProperties as Schema, join(at, "*")));
  return out;
}

/** Field names that carry money (fen) or a count: each must be typed integer. */
const MONEY_OR_COUNT = /amount|minor|limit|price|points|uses|balance|bonus/i;

function isInteger(s: Schema): boolean {
  const branches = [...(s.anyOf ?? []), ...(s.oneOf ?? [])];
  if (branches.length > 0) return branches.every((b) => b.type === "null" || isInteger(b));
  return s.type === "integer";
}
