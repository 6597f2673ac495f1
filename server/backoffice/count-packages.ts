/**
 * Count packages (次卡) at head office: grant or sell a package of N uses of a service to
 * the account behind a card, and list an account's packages. Tills learn of a package
 * with the card's snapshot at their next online contact for it (server/ledger/rows.ts)
 * and take uses off it in sales (server/ledger/authorise.ts, ingest-redemptions.ts).
 *
 * A package belongs to the account, not the card: a sub-card or a replacement card uses
 * the same packages. What the member paid (`price`) is recorded on the package and in the
 * audit row; it is taken at the counter, not from stored value, so no balance moves.
 */
import { CardtermError } from "../../protocol/errors.js";
import type { Db, Queryable } from "../db/db.js";
import { toSafeInt, toSafeIntOrNull } from "../db/int.js";
import { type Actor, audit, checkActor, isoTime } from "./actor.js";
import { optionalDay, optionalLimit, requireCardId, requireId, requireText } from "./validate.js";

export interface PackageGrant {
  /** The card whose account gets the package. */
  cardId: string;
  service: string;
  uses: number;
  /** Last day it may be used, YYYY-MM-DD; absent or null = no expiry. */
  expiresOn?: string | null | undefined;
  /** What the member paid for it, in fen; absent or null = granted free. */
  price?: number | null | undefined;
  /** Given by head office's own system; otherwise "P100001", "P100002", … */
  packageId?: string | undefined;
}

export interface CountPackageDetail {
  packageId: string;
  accountId: string;
  service: string;
  totalUses: number;
  remainingUses: number;
  expiresOn: string | null;
  price: number | null;
  createdAt: string;
}

/** The most uses one package may hold: a typo of 10000 for 10 should not pass unnoticed. */
export const MAX_PACKAGE_USES = 1000;

export async function grantPackage(db: Db, params: PackageGrant, actor: Actor): Promise<CountPackageDetail> {
  checkActor(actor);
  const cardId = requireCardId(params.cardId);
  const service = requireText(params.service, "service");
  const uses = requireUses(params.uses);
  const expiresOn = optionalDay(params.expiresOn, "expiresOn");
  const price = optionalLimit(params.price, "price");
  const given = params.packageId === undefined ? undefined : requireId(params.packageId, "packageId");
  return db.transaction(async (tx) => {
    // The account row locked: a grant never interleaves with a sale's use of the same account.
    const { rows } = await tx.query<{ account_id: string }>(
      "SELECT a.id AS account_id FROM cards c JOIN accounts a ON a.id = c.account_id WHERE c.card_id = $1 FOR UPDATE OF a",
      [cardId],
    );
    const accountId = rows[0]?.account_id;
    if (!accountId) throw new CardtermError("CT_NOT_FOUND", `card ${cardId} does not exist`);
    const packageId = given ?? (await nextPackageId(tx));
    const inserted = await tx.query<PackageRow>(
      `INSERT INTO count_packages (package_id, account_id, service, total_uses, remaining_uses, expires_on, price)
       VALUES ($1, $2, $3, $4, $4, $5, $6) ON CONFLICT (package_id) DO NOTHING RETURNING ${COLUMNS}`,
      [packageId, accountId, service, uses, expiresOn, price],
    );
    const row = inserted.rows[0];
    if (!row) throw new CardtermError("CT_CONFLICT", `count package ${packageId} already exists`);
    await audit(tx, actor, "package.grant", cardId, { packageId, accountId, service, uses, expiresOn, price });
    return toDetail(row);
  });
}

/** Every package of the card's account, newest first. */
export async function listPackages(q: Queryable, params: { cardId: string }): Promise<CountPackageDetail[]> {
  const cardId = requireCardId(params.cardId);
  const { rows: card } = await q.query<{ account_id: string }>("SELECT account_id FROM cards WHERE card_id = $1", [
    cardId,
  ]);
  if (!card[0]) throw new CardtermError("CT_NOT_FOUND", `card ${cardId} does not exist`);
  const { rows } = await q.query<PackageRow>(
    `SELECT ${COLUMNS} FROM count_packages WHERE account_id = $1 ORDER BY created_at DESC, package_id DESC`,
    [card[0].account_id],
  );
  return rows.map(toDetail);
}

function requireUses(value: unknown): number {
  if (!Number.isSafeInteger(value) || (value as number) < 1 || (value as number) > MAX_PACKAGE_USES) {
    throw new CardtermError("CT_BAD_REQUEST", `uses must be a whole number from 1 to ${MAX_PACKAGE_USES}`);
  }
  return value as number;
}

async function nextPackageId(tx: Queryable): Promise<string> {
  const { rows } = await tx.query<{ n: unknown }>("SELECT nextval('count_package_seq') AS n");
  return `P${toSafeInt(rows[0]!.n)}`;
}

const COLUMNS = "package_id, account_id, service, total_uses, remaining_uses, expires_on, price, created_at";

interface PackageRow {
  package_id: string;
  account_id: string;
  service: string;
  total_uses: unknown;
  remaining_uses: unknown;
  expires_on: string | null;
  price: unknown;
  created_at: Date | string;
}

function toDetail(r: PackageRow): CountPackageDetail {
  return {
    packageId: r.package_id,
    accountId: r.account_id,
    service: r.service,
    totalUses: toSafeInt(r.total_uses, "count_packages.total_uses"),
    remainingUses: toSafeInt(r.remaining_uses, "count_packages.remaining_uses"),
    expiresOn: r.expires_on,
    price: toSafeIntOrNull(r.price, "count_packages.price"),
    createdAt: isoTime(r.created_at),
  };
}
