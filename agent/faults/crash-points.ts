/**
 * Named points on the way from tap to approval where the crash-sweep test kills the
 * agent: at each await between tap and approval, so that every approval the harness saw
 * is found in the journal after the restart.
 *
 * Off unless the process starts with CARDTERM_CRASH_AT=<point>:<n> — then the n-th time
 * the point is reached, the process kills itself with SIGKILL, exactly as a power cut
 * or the OOM killer would, with no chance to flush or clean up. The check is one
 * comparison when off.
 */
export const CRASH_POINTS = [
  "sale:tapped",
  "sale:decided",
  "store:temp-written",
  "store:renamed",
  "store:dir-synced",
  "journal:appended",
  "journal:synced",
  "sale:committed",
  "sale:printed",
] as const;
/**
 * On the online path only (docs/reconciliation.md), so not in CRASH_POINTS, which the offline
 * crash sweep walks: after the intent is durable and before the server is asked, and after
 * the server approved (and holds the money) and before the till's commit.
 */
export const ONLINE_CRASH_POINTS = ["sale:after-intent", "sale:after-approval-before-commit"] as const;
export type CrashPoint = (typeof CRASH_POINTS)[number] | (typeof ONLINE_CRASH_POINTS)[number];

const armed = parse(process.env.CARDTERM_CRASH_AT);
let hits = 0;

function parse(spec: string | undefined): { point: string; n: number } | undefined {
  if (!spec) return undefined;
  // Point names contain ':' themselves ("sale:tapped"); the count follows the last one.
  const cut = spec.lastIndexOf(":");
  const n = Number(spec.slice(cut + 1));
  return Number.isInteger(n) && n > 0 ? { point: spec.slice(0, cut), n } : { point: spec, n: 1 };
}

export function crashPoint(point: CrashPoint): void {
  if (armed === undefined || armed.point !== point) return;
  hits += 1;
  if (hits === armed.n) process.kill(process.pid, "SIGKILL");
}
