/**
 * BIGINT columns come back as a JS number (PGlite, when safe), a bigint (PGlite, when
 * not) or a decimal string (node-postgres, and NUMERIC sums everywhere). Money must
 * never pass through a float, so every such value is converted here, checked, once.
 */

const INTEGER_TEXT = /^-?\d{1,16}$/;

/** A database integer as a safe JS integer; throws rather than round. */
export function toSafeInt(value: unknown, what = "integer column"): number {
  if (typeof value === "number" && Number.isSafeInteger(value)) return value;
  if (typeof value === "bigint") return checked(Number(value), BigInt(Number(value)) === value, what, value);
  if (typeof value === "string" && INTEGER_TEXT.test(value)) {
    const n = Number(value);
    return checked(n, Number.isSafeInteger(n), what, value);
  }
  throw new RangeError(`${what}: expected an integer, got ${describe(value)}`);
}

/** Like toSafeInt, but null/undefined stay null. */
export function toSafeIntOrNull(value: unknown, what?: string): number | null {
  return value === null || value === undefined ? null : toSafeInt(value, what);
}

function checked(n: number, ok: boolean, what: string, raw: unknown): number {
  if (!ok || !Number.isSafeInteger(n)) throw new RangeError(`${what}: ${describe(raw)} is not a safe integer`);
  return n;
}

function describe(value: unknown): string {
  return typeof value === "bigint" ? `${value}n` : `${typeof value} ${JSON.stringify(value)}`;
}
