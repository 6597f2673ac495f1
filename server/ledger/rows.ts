/**
 * Reading a card with its account and member as the CardSnapshot both ends share: the
 * balance and points, the account's count packages, whether it has a PIN (and its hash,
 * for card types that ask for one, so the till can check it offline), and a sub-card's
 * own limits with what it spent on the business day asked about.
 *
 * One statement: the packages, the day's spending and the policy's PIN threshold are
 * sub-selects. With `lockAccount` the account row is locked by a statement of its own
 * first, so the read that follows sees everything committed before the lock was granted
 * (a sub-select of the locking statement would read an older snapshot).
 */
import type { CardSnapshot, CardStatus } from "../../rules/card.js";
import type { CountPackage } from "../../rules/count-card.js";
import type { PinAttempts } from "../../rules/pin.js";
import type { Queryable } from "../db/db.js";
import { toSafeInt, toSafeIntOrNull } from "../db/int.js";

/** Packages sent with a snapshot: those with uses left first, then the newest. */
export const SNAPSHOT_PACKAGES = 20;

interface CardRow {
  card_id: string;
  account_id: string;
  card_type: string;
  status: CardStatus;
  member_name: string;
  birthday: string | null;
  balance: unknown;
  points: unknown;
  has_pin: boolean;
  /** Only when the current policy gives the card type a PIN threshold. */
  pin_hash: string | null;
  pin_failures: unknown;
  pin_locked_until: unknown;
  primary_card_id: string | null;
  per_txn_limit: unknown;
  daily_limit: unknown;
  spent_today: unknown;
  packages: CountPackage[] | string;
}

const CARD_SELECT = `SELECT c.card_id, c.account_id, c.card_type, c.status, m.name AS member_name, m.birthday,
    a.balance, a.points, c.pin_hash IS NOT NULL AS has_pin,
    CASE WHEN jsonb_typeof((SELECT p.document FROM policies p ORDER BY p.version DESC LIMIT 1)
                           -> 'cardTypes' -> c.card_type -> 'pinAboveMinor') = 'number'
         THEN c.pin_hash END AS pin_hash,
    c.pin_failures, c.pin_locked_until, c.primary_card_id, c.per_txn_limit, c.daily_limit,
    CASE WHEN c.primary_card_id IS NOT NULL AND $2::text IS NOT NULL THEN
      (SELECT coalesce(sum(t.net), 0) FROM transactions t
       WHERE t.card_id = c.card_id AND t.kind = 'sale' AND t.business_day = $2::text)
      -- A refund or void of one of that day's sales gives its room back: a cashier's
      -- mistake voided must not leave the member short of their daily limit.
      - (SELECT coalesce(sum(r.net), 0) FROM transactions r JOIN transactions o ON o.txn_id = r.original_txn_id
         WHERE r.card_id = c.card_id AND r.kind IN ('refund', 'void') AND o.kind = 'sale'
           AND o.business_day = $2::text) END AS spent_today,
    (SELECT coalesce(json_agg(json_build_object('packageId', k.package_id, 'service', k.service,
              'remainingUses', k.remaining_uses, 'expiresOn', k.expires_on) ORDER BY k.n), '[]'::json)
     FROM (SELECT cp.*, row_number() OVER (ORDER BY cp.remaining_uses > 0 DESC, cp.created_at DESC, cp.package_id) AS n
           FROM count_packages cp WHERE cp.account_id = a.id) k
     WHERE k.n <= ${SNAPSHOT_PACKAGES}) AS packages
  FROM cards c JOIN accounts a ON a.id = c.account_id JOIN members m ON m.id = a.member_id
  WHERE c.card_id = $1`;

export interface LoadedCard {
  card: CardSnapshot;
  /** The server's PIN retry counter for the card (online checks). */
  pinAttempts: PinAttempts;
}

/**
 * The card's snapshot; `lockAccount` holds its account row until the transaction ends.
 * `businessDay` asks for a sub-card's spending on that day (subCard.spentToday).
 */
export async function loadCard(
  q: Queryable,
  cardId: string,
  opts: { lockAccount?: boolean; businessDay?: string } = {},
): Promise<CardSnapshot | undefined> {
  return (await loadCardWithPin(q, cardId, opts))?.card;
}

/** loadCard with the card's PIN retry counter, for the online authorisation. */
export async function loadCardWithPin(
  q: Queryable,
  cardId: string,
  opts: { lockAccount?: boolean; businessDay?: string } = {},
): Promise<LoadedCard | undefined> {
  if (opts.lockAccount) {
    const { rows } = await q.query(
      "SELECT a.id FROM cards c JOIN accounts a ON a.id = c.account_id WHERE c.card_id = $1 FOR UPDATE OF a",
      [cardId],
    );
    if (rows.length === 0) return undefined;
  }
  const { rows } = await q.query<CardRow>(CARD_SELECT, [cardId, opts.businessDay ?? null]);
  const row = rows[0];
  if (!row) return undefined;
  return {
    card: toSnapshot(row, opts.businessDay),
    pinAttempts: {
      failures: toSafeInt(row.pin_failures, "cards.pin_failures"),
      lockedUntil: toSafeIntOrNull(row.pin_locked_until, "cards.pin_locked_until"),
    },
  };
}

function toSnapshot(row: CardRow, businessDay: string | undefined): CardSnapshot {
  const snap: CardSnapshot = {
    cardId: row.card_id,
    accountId: row.account_id,
    memberName: row.member_name,
    cardType: row.card_type,
    status: row.status,
    balance: toSafeInt(row.balance, "accounts.balance"),
    points: toSafeInt(row.points, "accounts.points"),
    hasPin: row.has_pin,
    packages: packagesOf(row.packages),
  };
  if (row.birthday) snap.birthday = row.birthday;
  if (row.pin_hash) snap.pinHash = row.pin_hash;
  if (row.primary_card_id) {
    snap.subCard = {
      primaryCardId: row.primary_card_id,
      perTxnLimit: toSafeIntOrNull(row.per_txn_limit, "cards.per_txn_limit"),
      dailyLimit: toSafeIntOrNull(row.daily_limit, "cards.daily_limit"),
      ...(businessDay !== undefined
        ? { spentDay: businessDay, spentToday: toSafeInt(row.spent_today ?? 0, "spent today") }
        : {}),
    };
  }
  return snap;
}

/** json comes back parsed from PGlite and node-postgres alike; text in case a driver differs. */
function packagesOf(value: CountPackage[] | string): CountPackage[] {
  const list = typeof value === "string" ? (JSON.parse(value) as CountPackage[]) : value;
  return list.map((p) => ({
    packageId: p.packageId,
    service: p.service,
    remainingUses: toSafeInt(p.remainingUses, "count_packages.remaining_uses"),
    expiresOn: p.expiresOn ?? null,
  }));
}
