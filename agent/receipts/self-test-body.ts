/**
 * The optional body of `POST /api/v1/receipts/self-test`: the rows `cardterm doctor --print`
 * found, printed under the agent's own self-test lines. Checked by hand, to the letter of
 * its schema in the OpenAPI document (openapi.ts selfTestBodySchema) and beyond it (no control
 * characters): a page that reaches paper must be exactly what was asked — so anything else
 * is refused, whole, naming the field.
 * Bounded (a page of a thermal roll, not a log) and free of control characters, which
 * would reach the printer as ESC/POS commands.
 */
import { CardtermError } from "../../protocol/errors.js";
import type { SelfTestDoctorRow } from "./receipt-data.js";

export const SELF_TEST_BODY_LIMITS = { rows: 20, name: 40, detail: 240 } as const;

/** What the doctor sends, one row per check. SKIP too: a row the doctor could not check is said, not hidden. */
export interface SelfTestDoctorWireRow {
  name: string;
  result: "PASS" | "WARN" | "FAIL" | "SKIP";
  detail: string;
  code?: string;
}

const RESULTS = new Set(["PASS", "WARN", "FAIL", "SKIP"]);
const ROW_KEYS = new Set(["name", "result", "detail", "code"]);
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are exactly what is refused.
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

/** The rows to print, or undefined for no body (the agent's plain page). Throws CT_BAD_REQUEST. */
export function parseSelfTestBody(body: unknown): SelfTestDoctorRow[] | undefined {
  if (body === undefined || body === null) return undefined;
  if (typeof body !== "object" || Array.isArray(body)) bad("the body must be an object { doctor: [...] }");
  const keys = Object.keys(body);
  const extra = keys.find((k) => k !== "doctor");
  if (extra) bad(`unknown key ${JSON.stringify(extra.slice(0, 40))}; only "doctor" is accepted`, extra.slice(0, 40));
  const rows = (body as { doctor?: unknown }).doctor;
  if (rows === undefined) return undefined;
  if (!Array.isArray(rows)) bad("doctor must be an array of rows", "doctor");
  if (rows.length > SELF_TEST_BODY_LIMITS.rows)
    bad(`doctor has ${rows.length} rows; at most ${SELF_TEST_BODY_LIMITS.rows}`, "doctor");
  return rows.map((row, i) => parseRow(row, i));
}

function parseRow(row: unknown, i: number): SelfTestDoctorRow {
  const at = `doctor[${i}]`;
  if (typeof row !== "object" || row === null || Array.isArray(row)) bad(`${at} must be an object`, at);
  const extra = Object.keys(row).find((k) => !ROW_KEYS.has(k));
  const field = extra && `${at}.${extra.slice(0, 40)}`;
  if (field) bad(`${field} is an unknown key; a row holds name, result, detail and code`, field);
  const r = row as Record<string, unknown>;
  const name = text(r.name, `${at}.name`, SELF_TEST_BODY_LIMITS.name, false);
  const detail = text(r.detail, `${at}.detail`, SELF_TEST_BODY_LIMITS.detail, true);
  if (typeof r.result !== "string" || !RESULTS.has(r.result))
    bad(`${at}.result must be PASS, WARN, FAIL or SKIP`, `${at}.result`);
  if (r.code !== undefined && (typeof r.code !== "string" || !/^CT_[A-Z_]{1,40}$/.test(r.code))) {
    bad(`${at}.code must be an error code like CT_PRINTER_OFFLINE`, `${at}.code`);
  }
  return {
    label: name,
    verdict: r.result as SelfTestDoctorRow["verdict"],
    detail,
    ...(typeof r.code === "string" ? { code: r.code } : {}),
  };
}

function text(value: unknown, at: string, max: number, emptyOk: boolean): string {
  if (typeof value !== "string") bad(`${at} must be a string`, at);
  if (!emptyOk && value.trim() === "") bad(`${at} must not be empty`, at);
  if (value.length > max) bad(`${at} is ${value.length} characters; at most ${max}`, at);
  if (CONTROL.test(value)) bad(`${at} must not hold control characters`, at);
  return value;
}

/** `field` as the API names it (`doctor[0].name`): sent beside the message (protocol/request-validation.ts). */
function bad(message: string, field?: string): never {
  throw new CardtermError("CT_BAD_REQUEST", `self-test body: ${message}`, field ? { details: { field } } : undefined);
}
