/**
 * Every problem of a policy document head office is about to publish, each at its JSON
 * path (`cardTypes.gold.payRateBp: must be at most 10000`). Publishing used to say
 * only the first problem, so a new chain fixed its policy one line per attempt.
 *
 * The shape is checked against the schema tills read the policy with, closed (an unknown
 * field is refused here, with the nearest known name: server/http/schemas.ts says why),
 * with every error collected, not the first (verbose: the messages name the known fields). The `roles` section is worded by
 * rules/roles.ts (rolesProblems), so its schema errors are not said twice.
 */
import { Ajv, type ErrorObject } from "ajv";
import { nearest } from "../../config/problems.js";
import { rolesProblems } from "../../rules/roles.js";
import { policySchema } from "../http/schemas.js";

let validate: ReturnType<Ajv["compile"]> | undefined;

export function policyShapeProblems(doc: unknown): string[] {
  validate ??= new Ajv({ allErrors: true, strict: false, verbose: true }).compile(policySchema);
  const roles = doc !== null && typeof doc === "object" ? rolesProblems((doc as { roles?: unknown }).roles) : [];
  if (validate(doc)) return roles;
  const errors = (validate.errors ?? []).filter((e) => !e.instancePath.startsWith("/roles"));
  const anyOfAt = new Set(errors.filter((e) => e.keyword === "anyOf").map((e) => e.instancePath));
  const said = errors
    // A value that fits no form of an anyOf is said once, by the anyOf, not once per form.
    .filter((e) => e.keyword === "anyOf" || !(anyOfAt.has(e.instancePath) && e.schemaPath.includes("/anyOf/")))
    .filter((e) => e.keyword !== "if")
    .map(words);
  return [...new Set(said), ...roles];
}

/** `/cardTypes/gold/topUpBonus/0/minMinor` → `cardTypes.gold.topUpBonus[0].minMinor`. */
export function jsonPath(pointer: string): string {
  let out = "";
  for (const raw of pointer.split("/").slice(1)) {
    const seg = raw.replace(/~1/g, "/").replace(/~0/g, "~");
    out += /^[0-9]+$/.test(seg) ? `[${seg}]` : out === "" ? seg : `.${seg}`;
  }
  return out;
}

function words(e: ErrorObject): string {
  const at = jsonPath(e.instancePath);
  const p = e.params as Record<string, unknown>;
  const here = at === "" ? "the document" : at;
  switch (e.keyword) {
    case "required":
      return `${here}: missing field ${String(p.missingProperty)}`;
    case "additionalProperties": {
      const name = String(p.additionalProperty);
      const known = Object.keys((e.parentSchema?.properties as object | undefined) ?? {});
      const near = nearest(name, known);
      return `${at === "" ? name : `${at}.${name}`}: unknown field${near ? `; did you mean ${near}?` : ""}`;
    }
    case "minimum":
      return `${here}: must be at least ${String(p.limit)}`;
    case "maximum":
      return `${here}: must be at most ${String(p.limit)}`;
    case "const":
      return `${here}: must be ${JSON.stringify(p.allowedValue)}`;
    case "enum":
      return `${here}: must be one of ${(p.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(", ")}`;
    case "type":
      return `${here}: must be ${TYPE_WORDS[String(p.type)] ?? String(p.type)}`;
    case "anyOf":
      return `${here}: must be ${anyOfWords(e.schema)}`;
    default:
      return `${here}: ${e.message ?? "is not valid"}`;
  }
}

const TYPE_WORDS: Record<string, string> = {
  boolean: "true or false",
  integer: "a whole number (amounts in fen, rates in basis points)",
  number: "a number",
  string: "text",
  object: "a mapping of fields",
  array: "a list",
  null: "null",
};

/** The forms an anyOf allows, in words: `an amount in fen (an integer) or null`. */
function anyOfWords(schema: unknown): string {
  const forms = Array.isArray(schema) ? (schema as { type?: string }[]) : [];
  const names = forms.map((f) =>
    f.type === "integer" ? "an amount in fen (an integer)" : (TYPE_WORDS[f.type ?? ""] ?? "another form"),
  );
  return names.length > 0 ? names.join(" or ") : "one of the allowed forms";
}
