/**
 * What the ledger records as given back of a transaction so far: the sums over the
 * refunds and voids that name it (transactions.original_txn_id). Read with the account
 * locked (till-ops.ts reverse), so no other reversal of the same sale can land between
 * this read and the new reversal's row.
 */
import type { Queryable } from "../db/db.js";
import { toSafeInt } from "../db/int.js";
import type { GivenBack } from "./reversals.js";

export async function givenBackSoFar(q: Queryable, originalTxnId: string): Promise<GivenBack> {
  const { rows } = await q.query<Record<keyof Omit<GivenBack, "voided">, unknown> & { voids: unknown }>(
    `SELECT COUNT(*) FILTER (WHERE kind = 'refund') AS refunds, COUNT(*) FILTER (WHERE kind = 'void') AS voids,
       COALESCE(SUM(net), 0) AS net, COALESCE(SUM(-points), 0) AS "pointsTaken",
       COALESCE(SUM(points_redeemed), 0) AS "pointsGiven", COALESCE(SUM(redeemed_minor), 0) AS "redeemedMinor",
       COALESCE(SUM(uses), 0) AS uses
     FROM transactions WHERE original_txn_id = $1`,
    [originalTxnId],
  );
  const r = rows[0]!;
  const int = (v: unknown, what: string) => toSafeInt(v, `given back: ${what}`);
  return {
    refunds: int(r.refunds, "refunds"),
    voided: int(r.voids, "voids") > 0,
    net: int(r.net, "net"),
    pointsTaken: int(r.pointsTaken, "points taken"),
    pointsGiven: int(r.pointsGiven, "points given"),
    redeemedMinor: int(r.redeemedMinor, "redeemed minor"),
    uses: int(r.uses, "uses"),
  };
}
