/**
 * Count packages (次卡) as the ledger reads and moves them: one package for an online
 * authorisation, and the uses of a journal batch applied in one statement. Every move
 * happens with the package's account row locked (authorise.ts, ingest-apply.ts), so a use
 * never races another use or a grant of the same account.
 */
import type { CountPackage } from "../../rules/count-card.js";
import type { Queryable } from "../db/db.js";
import { toSafeInt } from "../db/int.js";

interface PackageRow {
  package_id: string;
  account_id: string;
  service: string;
  remaining_uses: unknown;
  expires_on: string | null;
}

/** The package if it belongs to `accountId`. */
export async function findPackage(
  q: Queryable,
  packageId: string,
  accountId: string,
): Promise<CountPackage | undefined> {
  const { rows } = await q.query<PackageRow>(
    `SELECT package_id, account_id, service, remaining_uses, expires_on FROM count_packages
     WHERE package_id = $1 AND account_id = $2`,
    [packageId, accountId],
  );
  return rows[0] && toPackage(rows[0]);
}

export interface UsesApplied {
  packageId: string;
  accountId: string;
  remainingUses: number;
}

/**
 * Takes each package's uses off it in one statement; `uses` per package already summed
 * (an UPDATE … FROM with a package twice would apply only one of its rows). Returns the
 * packages found, as they stand after; a package id not returned does not exist.
 */
export async function takeUsesInLedger(q: Queryable, uses: ReadonlyMap<string, number>): Promise<UsesApplied[]> {
  if (uses.size === 0) return [];
  const { rows } = await q.query<{ package_id: string; account_id: string; remaining_uses: unknown }>(
    `UPDATE count_packages p SET remaining_uses = p.remaining_uses - u.uses, updated_at = now()
     FROM unnest($1::text[], $2::int[]) AS u(id, uses) WHERE p.package_id = u.id
     RETURNING p.package_id, p.account_id, p.remaining_uses`,
    [[...uses.keys()], [...uses.values()]],
  );
  return rows.map((r) => ({
    packageId: r.package_id,
    accountId: r.account_id,
    remainingUses: toSafeInt(r.remaining_uses, "count_packages.remaining_uses"),
  }));
}

function toPackage(r: PackageRow): CountPackage {
  return {
    packageId: r.package_id,
    service: r.service,
    remainingUses: toSafeInt(r.remaining_uses, "count_packages.remaining_uses"),
    expiresOn: r.expires_on,
  };
}
