/**
 * What a journal batch spends besides stored value: points redeemed (积分抵扣) and count-card uses
 * (次卡核销). Like an offline debit (docs/architecture.md#reconciliation-with-head-office), a
 * redemption or use the till approved offline is applied, never rejected — the goods or the
 * service are given — and one the account cannot cover (two tills offline spending the same
 * points or uses) is alerted for head office: points or uses below zero are the shortfall's
 * record.
 *
 * Points move with the balance (ingest-apply.ts, pointsDelta); this file only finds the
 * points shortfalls. Uses are applied here, one statement per batch.
 */
import { type JournalEntry, pointsDelta, usesDelta } from "../../protocol/journal-entry.js";
import type { Queryable } from "../db/db.js";
import type { AlertInput } from "./alerts.js";
import { takeUsesInLedger } from "./package-rows.js";

/**
 * Entries (new ones, in seq order) whose redemption took their account's points below
 * zero, given the accounts' points before the batch. Earned points count as they come:
 * points earned earlier in the batch may cover a later redemption.
 */
export function pointsShortfalls(
  terminalId: string,
  fresh: readonly JournalEntry[],
  accountOf: ReadonlyMap<string, string>,
  pointsBefore: ReadonlyMap<string, number>,
): AlertInput[] {
  const points = new Map(pointsBefore);
  const alerts: AlertInput[] = [];
  for (const e of fresh) {
    const accountId = accountOf.get(e.cardId);
    if (accountId === undefined) continue; // an unknown card is alerted with its money
    const after = (points.get(accountId) ?? 0) + pointsDelta(e);
    points.set(accountId, after);
    // Only a sale spends points; a refund or void giving them back is no shortfall.
    if (e.kind === "sale" && (e.pointsRedeemed ?? 0) > 0 && after < 0) {
      const detail = `offline redemption of ${e.pointsRedeemed} points on ${e.cardId} not covered: account ${accountId} at ${after} points`;
      alerts.push({ kind: "points-shortfall", terminalId, seq: e.seq, txnId: e.txnId, detail });
    }
  }
  return alerts;
}

/**
 * Moves the new entries' count uses: a sale's off its package, a refund's or void's back
 * on (those arrive after the server applied them online, so normally they are repeats and
 * never fresh here — but one that is fresh moves its uses like any other). Alerts a
 * package gone below zero or not found.
 */
export async function applyCountUses(
  tx: Queryable,
  terminalId: string,
  fresh: readonly JournalEntry[],
): Promise<AlertInput[]> {
  const withUse = fresh.flatMap((e) => {
    const move = usesDelta(e);
    return move ? [{ e, packageId: move.packageId, uses: -move.delta }] : [];
  });
  // Uses taken per package (negative when given back), summed for takeUsesInLedger.
  const total = new Map<string, number>();
  for (const u of withUse) total.set(u.packageId, (total.get(u.packageId) ?? 0) + u.uses);
  const after = new Map((await takeUsesInLedger(tx, total)).map((p) => [p.packageId, p]));
  const alerts: AlertInput[] = [];
  const alerted = new Set<string>();
  for (const { e, packageId, uses } of withUse) {
    const pkg = after.get(packageId);
    const base = { terminalId, seq: e.seq, txnId: e.txnId };
    if (!pkg) {
      const detail = `entry #${e.seq}: count package ${packageId} is not in the ledger; ${Math.abs(uses)} use(s) on ${e.cardId} not applied`;
      alerts.push({ kind: "unknown-package", ...base, detail });
    } else if (pkg.remainingUses < 0 && !alerted.has(packageId)) {
      // One alert per package and batch, at the batch's last use of it: the figure is the package's end state.
      alerted.add(packageId);
      const last = withUse.filter((u) => u.packageId === packageId).at(-1)!.e;
      const detail = `offline count use on ${last.cardId} not covered: package ${packageId} at ${pkg.remainingUses} uses`;
      alerts.push({ kind: "count-shortfall", terminalId, seq: last.seq, txnId: last.txnId, detail });
    }
  }
  return alerts;
}
