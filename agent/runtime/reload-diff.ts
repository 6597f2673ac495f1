/**
 * What a config reload would change, key by key, and what each change takes (hot
 * reload, docs/config.md):
 *
 * - `live`: swapped into the running components between two sales — offline limits and
 *   the decider's settings, operators, roles and the idle time-out, the API token, store name,
 *   language, time zone, default operator, tap time-out;
 * - `device`: one reader or the printer is closed and reopened with its new settings, the
 *   rest of the agent untouched;
 * - `restart`: the agent's identity and plumbing — terminal id, key, data directory, the
 *   API's address, the broker, the set of readers — which a running agent cannot change
 *   under itself. The reload is refused with the list of them (CT_RELOAD_RESTART_NEEDED)
 *   rather than restarting by itself: a new data directory or key with unsynced entries
 *   in the old journal strands money, so that restart is a technician's decision, made
 *   when `GET /api/v1/status` shows nothing pending.
 *
 * Anything not named here as live or device is `restart`: a key added later is refused
 * until someone decides it can change live, never silently half-applied.
 */
import type { AgentConfig, ReaderConfig } from "../../config/agent-config.js";
import { PRINTER_ID } from "../receipts/printer-registry.js";

export type ChangeKind = "live" | "device" | "restart";

export interface ConfigChange {
  /** The AgentConfig path, e.g. "offline.perTransactionMinor" or "readers[1]". */
  path: string;
  kind: ChangeKind;
  /** For `device`: which one, as the status and metrics name it ("reader:id", "printer:receipt"). */
  device?: string;
}

/** Keys (or whole subtrees) that the running agent takes over between two sales. */
const LIVE = [
  "terminal.storeName",
  "terminal.language",
  "terminal.timeZone",
  "terminal.operatorId",
  "api.token",
  "api.idleTimeoutMs",
  "operators",
  // The role table is read at every request (operators/role-table.ts).
  "roles",
  "server.authTimeoutMs",
  "offline",
  "tapTimeoutMs",
];

/** Printer keys that only the print queue reads, once at start-up. */
const PRINTER_RESTART = ["printer.keepForMs"];

/** Paths that are bookkeeping, not settings. */
const IGNORED = ["source", "version"];

export function diffConfig(before: AgentConfig, after: AgentConfig): ConfigChange[] {
  const changes: ConfigChange[] = [];
  for (const path of changedPaths(before, after, "")) {
    if (IGNORED.includes(path)) continue;
    if (path === "readers" || path.startsWith("readers[")) continue; // by reader id, below
    changes.push({ path, ...classify(path) });
    // The printer renders its bytes in the terminal's language (code page, fonts): reopen it too.
    if (path === "terminal.language" && after.printer.type !== "none") {
      changes.push({ path, kind: "device", device: `printer:${PRINTER_ID}` });
    }
  }
  return [...changes, ...readerChanges(before.readers, after.readers)];
}

function classify(path: string): Omit<ConfigChange, "path"> {
  if (LIVE.some((k) => within(path, k))) return { kind: "live" };
  if (PRINTER_RESTART.some((k) => within(path, k))) return { kind: "restart" };
  if (within(path, "printer")) return { kind: "device", device: `printer:${PRINTER_ID}` };
  return { kind: "restart" };
}

/**
 * Readers are matched by id, in order. A reader whose settings changed is reopened; a
 * reader added, removed, moved or turned into or out of the simulated one changes the set
 * the sale flow listens to, which is built once at start-up: that needs a restart.
 */
function readerChanges(before: readonly ReaderConfig[], after: readonly ReaderConfig[]): ConfigChange[] {
  const ids = (list: readonly ReaderConfig[]) => list.map((r) => r.id).join("\u0000");
  if (ids(before) !== ids(after)) return [{ path: "readers", kind: "restart" }];
  const out: ConfigChange[] = [];
  before.forEach((old, i) => {
    const next = after[i]!;
    if (same(old, next)) return;
    const simulated = old.type === "simulated" || next.type === "simulated";
    out.push(
      simulated
        ? { path: `readers[${i}]`, kind: "restart" }
        : { path: `readers[${i}]`, kind: "device", device: `reader:${old.id}` },
    );
  });
  return out;
}

function within(path: string, key: string): boolean {
  return path === key || path.startsWith(`${key}.`) || path.startsWith(`${key}[`);
}

/** Leaf paths whose values differ; arrays of plain values compare whole, Buffers by bytes. */
function changedPaths(a: unknown, b: unknown, path: string): string[] {
  if (same(a, b)) return [];
  if (isPlainObject(a) && isPlainObject(b)) {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    return [...keys].flatMap((k) => changedPaths(a[k], b[k], path === "" ? k : `${path}.${k}`));
  }
  return [path];
}

export function same(a: unknown, b: unknown): boolean {
  if (Buffer.isBuffer(a) || Buffer.isBuffer(b)) return Buffer.isBuffer(a) && Buffer.isBuffer(b) && a.equals(b);
  if (Array.isArray(a) || Array.isArray(b)) {
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((x, i) => same(x, b[i]));
  }
  if (isPlainObject(a) && isPlainObject(b)) {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    return [...keys].every((k) => same(a[k], b[k]));
  }
  return Object.is(a, b);
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v) && !Buffer.isBuffer(v);
}
