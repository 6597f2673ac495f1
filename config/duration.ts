/**
 * Durations in config files: "500ms", "2s", "15m", "24h", "7d", or combined largest unit first
 * ("1h30m"). Strict on purpose: "30" (seconds? minutes?), "1.5h" and "30 s" are refused with
 * the canonical spelling offered instead, never guessed
 * (docs/architecture.md#rules-of-the-house).
 */
import { CardtermError } from "../protocol/errors.js";

const UNIT_MS = { d: 86_400_000, h: 3_600_000, m: 60_000, s: 1000, ms: 1 } as const;
type Unit = keyof typeof UNIT_MS;
const ORDER: readonly Unit[] = ["d", "h", "m", "s", "ms"];

/** Spellings people write for a unit; accepted only into a suggestion, never as a value. */
const UNIT_WORDS: Readonly<Record<string, Unit>> = {
  msec: "ms",
  millis: "ms",
  milliseconds: "ms",
  sec: "s",
  secs: "s",
  second: "s",
  seconds: "s",
  min: "m",
  mins: "m",
  minute: "m",
  minutes: "m",
  hr: "h",
  hrs: "h",
  hour: "h",
  hours: "h",
  day: "d",
  days: "d",
};

/** Nothing the agent waits for is longer than a year; more is a typo. */
export const MAX_DURATION_MS = 365 * UNIT_MS.d;

const EXAMPLES = '"500ms", "30s", "15m", "24h", "7d" or "1h30m"';

export type DurationResult = { ok: true; ms: number } | { ok: false; message: string; suggestion?: string };

/** Parse a duration, or say precisely why not (and what was probably meant). */
export function tryParseDuration(text: string): DurationResult {
  const bad = (reason: string, suggestion?: string): DurationResult =>
    suggestion === undefined
      ? { ok: false, message: `"${text}" is not a duration: ${reason}` }
      : { ok: false, message: `"${text}" is not a duration: ${reason}`, suggestion };
  if (text.trim() === "") return bad(`it is empty; write e.g. ${EXAMPLES}`);
  if (text.trim().startsWith("-")) return bad("durations cannot be negative");
  const compact = text.replace(/\s+/g, "");
  const tokens = [...compact.matchAll(/(\d+(?:\.\d+)?)([A-Za-z]*)/g)];
  if (tokens.map((t) => t[0]).join("") !== compact) return bad(`write e.g. ${EXAMPLES}`);
  const parts = tokens.map((t) => ({ amount: t[1]!, word: t[2]!, unit: unitOf(t[2]!) }));
  const noUnit = parts.find((p) => p.word === "");
  if (noUnit) return bad(`"${noUnit.amount}" has no unit; add one of ms, s, m, h, d (e.g. "${noUnit.amount}s")`);
  const unknown = parts.find((p) => p.unit === undefined);
  if (unknown) return bad(`unknown unit "${unknown.word}"; use ms, s, m, h or d`);
  const ms = parts.reduce((sum, p) => sum + Number(p.amount) * UNIT_MS[p.unit!], 0);
  const canonical = Number.isInteger(ms) ? formatDuration(ms) : undefined;
  if (ms > MAX_DURATION_MS) return bad("it is longer than 365 days");
  const problem = firstIrregularity(text, compact, parts);
  if (problem) return bad(problem, canonical);
  return { ok: true, ms };
}

/** Parse a duration to milliseconds; throws CT_CONFIG_INVALID naming `what`. */
export function parseDuration(text: string, what = "duration"): number {
  const r = tryParseDuration(text);
  if (r.ok) return r.ms;
  const hint = r.suggestion === undefined ? "" : ` (did you mean "${r.suggestion}"?)`;
  throw new CardtermError("CT_CONFIG_INVALID", `${what}: ${r.message}${hint}`);
}

/** 5_400_000 → "1h30m"; 1500 → "1500ms"; 0 → "0ms". A spelling parseDuration accepts. */
export function formatDuration(ms: number): string {
  if (!Number.isSafeInteger(ms) || ms < 0) throw new RangeError(`not a duration: ${ms}`);
  if (ms < UNIT_MS.m && ms % 1000 !== 0) return `${ms}ms`; // "1500ms" reads better than "1s500ms"
  let rest = ms;
  let out = "";
  for (const unit of ORDER) {
    const n = Math.floor(rest / UNIT_MS[unit]);
    rest -= n * UNIT_MS[unit];
    if (n > 0) out += `${n}${unit}`;
  }
  return out === "" ? "0ms" : out;
}

function unitOf(word: string): Unit | undefined {
  if (word in UNIT_MS) return word as Unit;
  return UNIT_WORDS[word.toLowerCase()] ?? (word.toLowerCase() in UNIT_MS ? (word.toLowerCase() as Unit) : undefined);
}

function firstIrregularity(
  text: string,
  compact: string,
  parts: readonly { amount: string; word: string; unit: Unit | undefined }[],
): string | undefined {
  if (compact !== text) return "write it without spaces";
  const word = parts.find((p) => p.word !== p.unit);
  if (word) return `write the unit "${word.word}" as "${word.unit}"`;
  if (parts.some((p) => p.amount.includes("."))) return "use whole numbers of a smaller unit instead of decimals";
  const ranks = parts.map((p) => ORDER.indexOf(p.unit!));
  if (ranks.some((r, i) => i > 0 && r <= ranks[i - 1]!)) return "give each unit once, largest first";
  return undefined;
}
