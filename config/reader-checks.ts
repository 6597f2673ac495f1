/**
 * The reader checks a JSON Schema cannot make: duplicate ids, debounce durations, a
 * regex pattern that compiles and has its `id` group, a wedge typing a chip UID, the
 * member-number sector and its MIFARE key (never echoed). Called from
 * config/value-checks.ts with its tools, like printer-checks.ts.
 */
import type { ConfigPath, ConfigProblem } from "./problems.js";

const HEX12 = /^[0-9A-Fa-f]{12}$/;

export interface ReaderCheckTools {
  /** `readers` as parsed (not yet known to be an array). */
  readers: unknown;
  lineOf(path: ConfigPath): number;
  report(path: ConfigPath, message: string, extra?: Partial<ConfigProblem>, at?: "key"): void;
  /** Check a duration at path (and own the path); absent is fine. */
  duration(path: ConfigPath, minMs: number): void;
  /** The path is this check's: the schema's own message for it is not shown. */
  own(path: ConfigPath): void;
  /** The text behind { hex | env | file }, or undefined after reporting why it cannot be had. */
  secretText(path: ConfigPath, kind: string, ref: string, what: string): string | undefined;
  /** A reader's MIFARE key, read and valid. */
  readerKey(readerPath: ConfigPath, key: Buffer): void;
}

export function checkReaders(t: ReaderCheckTools): void {
  const readers = t.readers;
  if (!Array.isArray(readers)) return;
  const seen = new Map<string, number>();
  readers.forEach((reader: unknown, i) => {
    if (reader === null || typeof reader !== "object") return;
    const r = reader as Record<string, unknown>;
    if (typeof r.id === "string") {
      const first = seen.get(r.id);
      if (first === undefined) seen.set(r.id, i);
      else {
        const line = t.lineOf(["readers", first, "id"]);
        t.report(["readers", i, "id"], `reader id "${r.id}" is already used by readers[${first}] (line ${line})`);
      }
    }
    if (r.type === "serial-id" || r.type === "keyboard-wedge" || r.type === "pcsc") {
      t.duration(["readers", i, "debounce"], 0);
    }
    if (r.type === "serial-id" || r.type === "keyboard-wedge") checkPattern(t, i, r);
    if (r.type === "keyboard-wedge") checkWedgeTechnology(t, i, r);
    if (r.type === "pcsc") checkIdentity(t, i, r);
  });
}

/** A wedge typing a chip UID must type it as hex or decimal: nothing else maps to a UID. */
function checkWedgeTechnology(t: ReaderCheckTools, i: number, r: Record<string, unknown>): void {
  if (r.technology !== "ic") return;
  const format = typeof r.format === "string" ? r.format : "decimal";
  if (format === "hex" || format === "decimal") return;
  t.report(["readers", i, "technology"], `technology ic needs format hex or decimal (a chip UID), not "${format}"`);
}

/** identity memberNumber needs memberNumber, and memberNumber means nothing without it. */
function checkIdentity(t: ReaderCheckTools, i: number, r: Record<string, unknown>): void {
  t.own(["readers", i, "memberNumber", "key", "hex"]);
  const identity = typeof r.identity === "string" ? r.identity : "uid";
  const member = r.memberNumber;
  if (identity === "memberNumber" && member === undefined) {
    t.report(
      ["readers", i, "identity"],
      "identity memberNumber needs a memberNumber section saying where the number is",
    );
    return;
  }
  if (member === undefined) return;
  if (identity !== "memberNumber") {
    const why = `memberNumber is only used with identity: memberNumber (this reader's identity is "${identity}")`;
    t.report(["readers", i, "memberNumber"], why, {}, "key");
    return;
  }
  if (member === null || typeof member !== "object") return;
  checkBlock(t, i, member as Record<string, unknown>);
  checkReaderKey(t, i, (member as Record<string, unknown>).key);
}

/** Block 3 of a sector (15 in sectors 32-39) is the trailer, holding the keys: never a number. */
function checkBlock(t: ReaderCheckTools, i: number, m: Record<string, unknown>): void {
  if (typeof m.sector !== "number" || typeof m.block !== "number") return;
  const last = m.sector < 32 ? 2 : 14;
  if (m.block > last) {
    const message = `sector ${m.sector} has data blocks 0-${last}; block ${m.block} is ${m.block === last + 1 ? "the sector trailer (keys)" : "not in it"}`;
    t.report(["readers", i, "memberNumber", "block"], message);
  }
}

/** A MIFARE key: 6 bytes as 12 hex characters, from { hex | env | file }. Never echoed. */
function checkReaderKey(t: ReaderCheckTools, i: number, source: unknown): void {
  if (source === null || typeof source !== "object" || Object.keys(source).length !== 1) return;
  const [kind, ref] = Object.entries(source)[0]!;
  if (typeof ref !== "string" || ref === "") return;
  const path = ["readers", i, "memberNumber", "key", kind];
  const hex = t.secretText(path, kind, ref, "MIFARE key");
  if (hex === undefined) return;
  const text = hex.trim();
  if (HEX12.test(text)) {
    t.readerKey(["readers", i], Buffer.from(text, "hex"));
    return;
  }
  const where = kind === "hex" ? "the key" : kind === "env" ? `environment variable ${ref}` : `key file ${ref}`;
  const why = /^[0-9A-Fa-f]*$/.test(text) ? `it has ${text.length}` : "it has characters other than 0-9 and a-f";
  t.report(path, `${where} must hold 12 hexadecimal characters (a 6-byte MIFARE key); ${why}`, {
    expected: "12 hexadecimal characters",
  });
}

function checkPattern(t: ReaderCheckTools, i: number, r: Record<string, unknown>): void {
  if (typeof r.pattern !== "string") return;
  const format = typeof r.format === "string" ? r.format : "decimal";
  const path = ["readers", i, "pattern"];
  if (format !== "regex") {
    t.report(path, `pattern is only used with format: regex (this reader's format is "${format}")`, {}, "key");
    return;
  }
  const why = patternProblem(r.pattern);
  if (why !== undefined) t.report(path, why);
}

/** format regex needs a pattern that compiles and has a named group `id`. */
function patternProblem(pattern: string): string | undefined {
  try {
    RegExp(pattern);
  } catch (err) {
    return `the pattern does not compile: ${(err as Error).message}`;
  }
  // With an empty alternative the regex always matches, so `groups` lists every named group.
  const groups = RegExp(`(?:${pattern})|`).exec("")?.groups ?? {};
  return "id" in groups ? undefined : "the pattern has no named group `id`; wrap the card number in (?<id>…)";
}
