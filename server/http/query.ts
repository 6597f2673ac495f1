/** Query-string values arrive as text; these read them without guessing. */
import { CardtermError } from "../../protocol/errors.js";

export type Query = Record<string, string | undefined>;

export function intParam(q: Query, name: string, fallback: number): number {
  const v = q[name];
  if (v === undefined || v === "") return fallback;
  if (!/^[0-9]{1,6}$/.test(v))
    throw new CardtermError("CT_BAD_REQUEST", `${name} must be a whole number, got ${JSON.stringify(v)}`);
  return Number(v);
}

export function boolParam(q: Query, name: string): boolean {
  const v = q[name];
  if (v === undefined || v === "" || v === "false") return false;
  if (v === "true") return true;
  throw new CardtermError("CT_BAD_REQUEST", `${name} must be true or false, got ${JSON.stringify(v)}`);
}
