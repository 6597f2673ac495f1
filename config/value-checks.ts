/**
 * The checks a JSON Schema cannot make: amounts read from the YAML source text (never
 * through a float), durations, the time zone, the broker URL, secrets (env variables and
 * key files), reader regexes and duplicate reader ids. Each check both reports problems
 * and hands back the resolved value, so the loader never parses a value twice.
 */
import { isAbsolute, resolve } from "node:path";
import { MAX_MINOR, type Minor, nearestAmountText, parseMoney } from "../rules/money.js";
import { tryParseDuration } from "./duration.js";
import { checkPrinter, type PrinterLogo } from "./printer-checks.js";
import { type ConfigPath, type ConfigProblem, describe, formatPath, nearest } from "./problems.js";
import { checkReaders } from "./reader-checks.js";
import type { YamlSource } from "./yaml-source.js";

export interface SecretIo {
  env: NodeJS.ProcessEnv;
  /** Reads a file whole; throws like fs.readFileSync. */
  readFile: (path: string) => Buffer | string;
  /** Relative paths in the config resolve against this directory. */
  baseDir: string;
  /**
   * false: do not read secrets, key files, PEM files or the logo (checking a copy of the
   * file on a computer that is not the till); their form is still checked. Default true.
   */
  lookups?: boolean;
}

export interface CheckedValues {
  /** Amounts in minor units, by path ("offline.perCard"); absent paths take defaults. */
  amounts: Map<string, Minor>;
  /** Durations in ms, by path ("readers[1].debounce"). */
  durations: Map<string, number>;
  key?: Buffer;
  password?: string;
  apiToken?: string;
  /** Canonical IANA name of terminal.timeZone, when given. */
  timeZone?: string;
  /** printer.logo, read and checked. */
  printerLogo?: PrinterLogo;
  /** MIFARE sector keys of PC/SC readers, by reader path ("readers[2]"). */
  readerKeys: Map<string, Buffer>;
}

export interface ValueCheckResult {
  problems: ConfigProblem[];
  values: CheckedValues;
  /** Paths these checks own: the schema's complaints there are replaced by the precise ones here. */
  owned: Set<string>;
}

const AMOUNTS: ConfigPath[] = [
  ["offline", "perTransaction"],
  ["offline", "perCard"],
  ["offline", "terminalTotal"],
];
const POSITIVE_DURATIONS: ConfigPath[] = [
  ["server", "authTimeout"],
  ["tapTimeout"],
  ["offline", "maxAge"],
  ["api", "idleTimeout"],
];
const AMOUNT_TEXT = /^[0-9]{1,11}(\.[0-9]{1,2})?$/;
const HEX64 = /^[0-9A-Fa-f]{64}$/;

export function checkValues(data: unknown, src: YamlSource, io: SecretIo): ValueCheckResult {
  const out: ValueCheckResult = {
    problems: [],
    values: { amounts: new Map(), durations: new Map(), readerKeys: new Map() },
    owned: new Set([formatPath(["terminal", "key", "hex"])]),
  };
  const ctx = { data, src, io, out };
  for (const path of AMOUNTS) checkAmount(ctx, path);
  for (const path of POSITIVE_DURATIONS) checkDuration(ctx, path, 1);
  const logo = checkPrinter({
    get: (path) => get(data, path),
    report: (path, message, extra, at) => report(ctx, path, message, extra, at),
    duration: (path, minMs) => checkDuration(ctx, path, minMs),
    readFile: io.readFile,
    baseDir: io.baseDir,
    lookups: io.lookups !== false,
  });
  if (logo) out.values.printerLogo = logo;
  checkTimeZone(ctx);
  checkMqttUrl(ctx);
  checkKey(ctx);
  checkPassword(ctx);
  checkApiToken(ctx);
  checkTls(ctx);
  checkReaders({
    readers: get(data, ["readers"]),
    lineOf: (path) => src.valueAt(path).line,
    report: (path, message, extra, at) => report(ctx, path, message, extra, at),
    duration: (path, minMs) => checkDuration(ctx, path, minMs),
    own: (path) => out.owned.add(formatPath(path)),
    secretText: (path, kind, ref, what) => secretText(ctx, path, kind, ref, what),
    readerKey: (path, key) => out.values.readerKeys.set(formatPath(path), key),
  });
  return out;
}

interface Ctx {
  data: unknown;
  src: YamlSource;
  io: SecretIo;
  out: ValueCheckResult;
}

function get(data: unknown, path: ConfigPath): unknown {
  let here = data;
  for (const seg of path) {
    if (here === null || typeof here !== "object") return undefined;
    here = (here as Record<string | number, unknown>)[seg];
  }
  return here;
}

function report(ctx: Ctx, path: ConfigPath, message: string, extra: Partial<ConfigProblem> = {}, at?: "key"): void {
  ctx.out.problems.push({ ...ctx.src.problem(path, message, at), ...extra });
}

const AMOUNT_EXPECTED = 'a decimal with at most two places, like "300.00"';
const DURATION_EXPECTED = 'a duration like "500ms", "30s", "15m", "24h", "7d" or "1h30m"';

function checkAmount(ctx: Ctx, path: ConfigPath): void {
  ctx.out.owned.add(formatPath(path));
  const value = get(ctx.data, path);
  if (value === undefined) return;
  const source = ctx.src.sourceText(path);
  const r = judgeAmount(value, source);
  if (typeof r === "number") return void ctx.out.values.amounts.set(formatPath(path), r);
  // Three decimals are a slip with one likely meaning: say the value to write, as for a typo'd key.
  const text = typeof value === "string" ? value : source;
  const near = text === undefined ? undefined : nearestAmountText(text.trim());
  report(ctx, path, r, { expected: AMOUNT_EXPECTED, ...(near === undefined ? {} : { suggestion: `"${near}"` }) });
}

/** An amount as a string, or a YAML number judged by its source text: `0.10` is fine, `1e3` is not. */
function judgeAmount(value: unknown, source: string | undefined): Minor | string {
  if (typeof value !== "string" && typeof value !== "number") {
    return `expected an amount (${AMOUNT_EXPECTED}), got ${describe(value)}`;
  }
  const text = typeof value === "string" ? value : (source ?? String(value));
  const shown = typeof value === "string" ? JSON.stringify(value) : text;
  if (text.trim().startsWith("-")) return `${shown} is negative; amounts must be 0 or more`;
  if (/^[0-9]+\.[0-9]{3,}$/.test(text)) return `${shown} has more than two decimal places; amounts are in yuan and fen`;
  if (!AMOUNT_TEXT.test(text)) return `${shown} is not an amount; expected ${AMOUNT_EXPECTED}`;
  try {
    return parseMoney(text);
  } catch {
    return `${shown} is above the largest amount ${MAX_MINOR / 100}`;
  }
}

function checkDuration(ctx: Ctx, path: ConfigPath, minMs: number): void {
  ctx.out.owned.add(formatPath(path));
  const value = get(ctx.data, path);
  if (value === undefined) return;
  const r = judgeDuration(value, ctx.src.sourceText(path), minMs);
  if (typeof r === "number") ctx.out.values.durations.set(formatPath(path), r);
  else report(ctx, path, r.message, { expected: DURATION_EXPECTED, ...r.extra });
}

function judgeDuration(value: unknown, source: string | undefined, minMs: number) {
  if (typeof value !== "string") {
    const unit = typeof value === "number" ? "; add a unit (ms, s, m, h or d), a bare number is ambiguous" : "";
    return { message: `expected ${DURATION_EXPECTED}, got ${describe(value, source)}${unit}`, extra: {} };
  }
  const r = tryParseDuration(value);
  if (!r.ok) {
    return {
      message: r.message,
      extra: r.suggestion === undefined ? {} : { suggestion: JSON.stringify(r.suggestion) },
    };
  }
  if (r.ms < minMs) return { message: `"${value}" is too short; it must be more than 0`, extra: {} };
  return r.ms;
}

function checkTimeZone(ctx: Ctx): void {
  const path = ["terminal", "timeZone"];
  const value = get(ctx.data, path);
  if (typeof value !== "string" || value === "") return;
  try {
    ctx.out.values.timeZone = new Intl.DateTimeFormat("en", { timeZone: value }).resolvedOptions().timeZone;
  } catch {
    const hit = nearest(value, Intl.supportedValuesOf("timeZone"));
    const like = hit === undefined ? '; use an IANA name like "Asia/Shanghai"' : "";
    report(ctx, path, `"${value}" is not a time zone this system knows${like}`, {
      expected: "an IANA time zone name",
      ...(hit === undefined ? {} : { suggestion: JSON.stringify(hit) }),
    });
  }
}

function checkMqttUrl(ctx: Ctx): void {
  const path = ["server", "mqttUrl"];
  const value = get(ctx.data, path);
  if (typeof value !== "string" || !/^(mqtt|mqtts|ws|wss):\/\//.test(value)) return; // the schema says why
  try {
    if (new URL(value).hostname === "") report(ctx, path, `"${value}" names no broker host`);
  } catch {
    report(ctx, path, `"${value}" is not a valid URL (check the host and port)`);
  }
}

/** The terminal key: 32 bytes as 64 hex characters. Never echoed into a message. */
function checkKey(ctx: Ctx): void {
  const base = ["terminal", "key"];
  const source = get(ctx.data, base);
  if (source === null || typeof source !== "object" || Object.keys(source).length !== 1) return;
  const [kind, ref] = Object.entries(source)[0]!;
  if (typeof ref !== "string" || ref === "") return;
  const path = [...base, kind];
  const hex = secretText(ctx, path, kind, ref, "key");
  if (hex === undefined) return;
  const where = kind === "hex" ? "the key" : kind === "env" ? `environment variable ${ref}` : `key file ${ref}`;
  const text = hex.trim();
  if (HEX64.test(text)) {
    ctx.out.values.key = Buffer.from(text, "hex");
    return;
  }
  const why = /^[0-9A-Fa-f]*$/.test(text) ? `it has ${text.length}` : "it has characters other than 0-9 and a-f";
  report(ctx, path, `${where} must hold 64 hexadecimal characters (a 32-byte key); ${why}`, {
    expected: "64 hexadecimal characters",
  });
}

function checkPassword(ctx: Ctx): void {
  const text = secretAt(ctx, ["server", "password"], "password");
  if (text !== undefined) ctx.out.values.password = text;
}

function checkApiToken(ctx: Ctx): void {
  const text = secretAt(ctx, ["api", "token"], "API token");
  if (text !== undefined) ctx.out.values.apiToken = text;
}

/** A secret given as a string, { env: NAME } or { file: PATH }; undefined when absent or already reported. */
function secretAt(ctx: Ctx, path: string[], what: string): string | undefined {
  const value = get(ctx.data, path);
  if (typeof value === "string") return value;
  if (value === null || typeof value !== "object" || Object.keys(value).length !== 1) return undefined;
  const [kind, ref] = Object.entries(value)[0]!;
  if ((kind !== "env" && kind !== "file") || typeof ref !== "string" || ref === "") return undefined;
  return secretText(ctx, [...path, kind], kind, ref, what)?.replace(/\r?\n$/, "");
}

/**
 * server.tls: each PEM file must be readable and hold what its key says; cert and key go
 * together; and TLS settings on a plain mqtt:// or ws:// URL would silently do nothing.
 */
function checkTls(ctx: Ctx): void {
  const base = ["server", "tls"];
  const tls = get(ctx.data, base);
  if (tls === null || typeof tls !== "object") return;
  const url = get(ctx.data, ["server", "mqttUrl"]);
  if (typeof url === "string" && /^(mqtt|ws):\/\//.test(url)) {
    report(ctx, base, `TLS settings need a TLS URL, but server.mqttUrl is "${url}"; use mqtts:// or wss://`, {
      suggestion: JSON.stringify(url.replace(/^mqtt:/, "mqtts:").replace(/^ws:/, "wss:")),
    });
  }
  const t = tls as Record<string, unknown>;
  if ("cert" in t !== "key" in t) {
    report(ctx, [...base, "cert" in t ? "cert" : "key"], "a client certificate needs both cert and key");
  }
  const marks: Record<string, RegExp> = {
    ca: /-----BEGIN CERTIFICATE-----/,
    cert: /-----BEGIN CERTIFICATE-----/,
    key: /PRIVATE KEY-----/,
  };
  for (const [name, mark] of Object.entries(marks)) {
    const file = get(ctx.data, [...base, name, "file"]);
    if (typeof file !== "string" || file === "") continue;
    const path = [...base, name, "file"];
    const text = secretText(ctx, path, "file", file, `TLS ${name}`);
    if (text !== undefined && !mark.test(text))
      report(ctx, path, `${file} is not a PEM ${name === "key" ? "private key" : "certificate"}`);
  }
}

/** The text behind { hex | env | file }, or undefined after reporting why it cannot be had. */
function secretText(ctx: Ctx, path: ConfigPath, kind: string, ref: string, what: string): string | undefined {
  if (kind === "hex") return ref;
  if (ctx.io.lookups === false) return undefined;
  if (kind === "env") {
    const value = ctx.io.env[ref];
    if (value === undefined) return void report(ctx, path, `environment variable ${ref} (the ${what}) is not set`);
    if (value === "") return void report(ctx, path, `environment variable ${ref} (the ${what}) is empty`);
    return value;
  }
  if (kind !== "file") return undefined;
  const file = isAbsolute(ref) ? ref : resolve(ctx.io.baseDir, ref);
  try {
    const content = ctx.io.readFile(file);
    return typeof content === "string" ? content : content.toString("utf8");
  } catch (err) {
    report(ctx, path, `cannot read the ${what} file ${file}: ${fileError(err)}`);
    return undefined;
  }
}

function fileError(err: unknown): string {
  const code = (err as NodeJS.ErrnoException)?.code;
  if (code === "ENOENT") return "no such file";
  if (code === "EACCES" || code === "EPERM") return "permission denied (the agent's user must be able to read it)";
  if (code === "EISDIR") return "it is a directory";
  return err instanceof Error ? err.message : String(err);
}
