/**
 * The operators document (docs/operators.md): the people head office lets work one till, sent to
 * that till alone as a retained, versioned MQTT message (topics.operators), cached on the
 * box so log-in works offline after a restart (agent/sync/operators-cache.ts).
 *
 * A PIN travels only as the scrypt hash head office stored (rules/pin.ts format, its
 * parameters inside it), never in clear; the till verifies it with the same verifyPin.
 * An operator disabled at head office is still listed, with no name and no hash: the
 * till must not let a config entry with that id log in either (docs/operators.md).
 *
 * `version` is head office's operators version when the document was built: it rises on
 * every change of any operator. A till keeps a document only if its version is higher
 * than the one it holds, or equal with other contents (the till was moved to another
 * store, which changes its list but not the version).
 */

import { Ajv, type ValidateFunction } from "ajv";
import { ROLES, type Role } from "../rules/roles.js";
import { canonicalJson } from "./journal-entry.js";
import { decodeValidated } from "./validated-payload.js";

export interface ActiveHqOperator {
  id: string;
  name: string;
  role: Role;
  /** scrypt$N$r$p$salt$hash (rules/pin.ts). */
  pinHash: string;
  /** The operator card's uid (upper-case hex, without the ic:/id: prefix). */
  cardUid?: string;
  active: true;
}

export interface DisabledHqOperator {
  id: string;
  active: false;
}

export type HqOperatorEntry = ActiveHqOperator | DisabledHqOperator;

export interface OperatorsDocument {
  v: 1;
  terminalId: string;
  version: number;
  operators: HqOperatorEntry[];
}

const id = { type: "string", minLength: 1, maxLength: 64 };
/** Only the shape: whether the parameters are ones the till computes is verifyPin's to say. */
const PIN_HASH = "^scrypt\\$[0-9]{1,8}\\$[0-9]{1,3}\\$[0-9]{1,3}\\$[0-9a-f]{16,128}\\$[0-9a-f]{32,128}$";

export const operatorsDocSchema = {
  type: "object",
  required: ["v", "terminalId", "version", "operators"],
  properties: {
    v: { const: 1 },
    terminalId: id,
    version: { type: "integer", minimum: 0 },
    operators: {
      type: "array",
      maxItems: 10_000,
      items: {
        type: "object",
        required: ["id", "active"],
        properties: { id, active: { type: "boolean" } },
        if: { properties: { active: { const: true } } },
        // biome-ignore lint/suspicious/noThenProperty: JSON Schema if/then/else, not a thenable
        then: {
          required: ["name", "role", "pinHash"],
          properties: {
            name: { type: "string", minLength: 1, maxLength: 200 },
            role: { enum: [...ROLES] },
            pinHash: { type: "string", pattern: PIN_HASH },
            cardUid: { type: "string", minLength: 1, maxLength: 80 },
          },
        },
      },
    },
  },
} as const;

let validate: ValidateFunction | undefined;

export type DecodedOperators = { ok: true; value: OperatorsDocument } | { ok: false; reason: string };

/** Parse and validate an operators document (an MQTT payload or the cached file); never throws. */
export function decodeOperatorsDoc(payload: Buffer | string): DecodedOperators {
  validate ??= new Ajv({ allErrors: false, strict: false }).compile(operatorsDocSchema);
  const decoded = decodeValidated<OperatorsDocument>("operators", validate, payload);
  if (!decoded.ok) return decoded;
  const doc = decoded.value;
  const ids = new Set<string>();
  for (const op of doc.operators) {
    if (ids.has(op.id)) return { ok: false, reason: `operators: operator ${op.id} is listed twice` };
    ids.add(op.id);
  }
  return { ok: true, value: doc };
}

/** The same document, however its operators were ordered: what "equal contents" compares. */
export function operatorsDocKey(doc: OperatorsDocument): string {
  const sorted = [...doc.operators].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return canonicalJson({ terminalId: doc.terminalId, operators: sorted });
}
