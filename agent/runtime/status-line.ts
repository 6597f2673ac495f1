/**
 * The one line `systemctl status cardterm` shows for the agent (sd_notify STATUS=), e.g.
 * "online, 3 pending" or "offline, 12 pending (oldest 40 min), printer paper-out,
 * config reload refused (CT_RELOAD_REFUSED)". What a technician at the box needs first:
 * is it connected, is money waiting to sync, is anything broken.
 */
export interface StatusFacts {
  connected: boolean;
  pending: number;
  /** ISO time of the oldest entry waiting for the server's ack. */
  oldestPendingAt: string | null;
  journalOk: boolean;
  /** The printer's state, or null when none is configured. */
  printerState: string | null;
  receiptsWaiting: number;
  /** The code of the last reload when it was refused. */
  reloadRefused: string | null;
  now: number;
}

const PRINTER_FINE = new Set(["ready", "unknown"]);

export function statusLine(f: StatusFacts): string {
  const parts = [f.connected ? "online" : "offline"];
  const age = f.oldestPendingAt === null ? null : f.now - Date.parse(f.oldestPendingAt);
  const oldest = age !== null && age >= 60_000 ? ` (oldest ${Math.round(age / 60_000)} min)` : "";
  parts.push(`${f.pending} pending${oldest}`);
  if (!f.journalOk) parts.push("journal refuses approvals");
  if (f.printerState !== null && !PRINTER_FINE.has(f.printerState)) parts.push(`printer ${f.printerState}`);
  if (f.receiptsWaiting > 0) parts.push(`${f.receiptsWaiting} receipts waiting`);
  if (f.reloadRefused) parts.push(`config reload refused (${f.reloadRefused})`);
  return parts.join(", ");
}
