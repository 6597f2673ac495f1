/**
 * The hotlist: cards terminals must refuse offline (offline rule 3) — cards that are not
 * active, and cards whose account a shortfall left negative
 * (docs/architecture.md#reconciliation-with-head-office). One version number for the whole
 * list, bumped in the same statement as any change, which also records what changed under the
 * new version: the deltas terminals apply (hotlistDelta) instead of fetching the whole list on
 * every change.
 */

import type { HotlistDelta, HotlistDocument } from "../../protocol/messages.js";
import type { HotlistReason, HotlistReasons } from "../../rules/hotlist-reason.js";
import type { Queryable } from "../db/db.js";
import { toSafeInt } from "../db/int.js";

export type { HotlistReason } from "../../rules/hotlist-reason.js";

/**
 * The whole list, with the reasons that change what a till says (rules/hotlist-reason.ts):
 * a shortfall is a debt, freed by a top-up. Lost, frozen, cancelled and replaced cards are
 * worded alike at the till (CARD_HOTLISTED) and carry none, so a change among those stays
 * no change for a terminal.
 */
export async function hotlistDocument(q: Queryable): Promise<HotlistDocument> {
  const meta = await q.query<{ version: unknown }>("SELECT version FROM hotlist_meta WHERE id = 1");
  const cards = await q.query<{ card_id: string; reason: HotlistReason }>(
    "SELECT card_id, reason FROM hotlist_cards ORDER BY card_id",
  );
  return {
    version: toSafeInt(meta.rows[0]?.version ?? 0, "hotlist version"),
    cards: cards.rows.map((r) => r.card_id),
    ...reasonsOf(cards.rows),
  };
}

/** A reason a till words differently: only a debt today. */
const told = (reason: HotlistReason | null): boolean => reason === "shortfall";

/** `{ reasons }` for the cards whose reason a till is told; nothing when there are none (as before reasons). */
function reasonsOf(rows: readonly { card_id: string; reason: HotlistReason | null }[]): { reasons?: HotlistReasons } {
  const reasons: HotlistReasons = {};
  for (const r of rows) if (r.reason !== null && told(r.reason)) reasons[r.card_id] = r.reason;
  return Object.keys(reasons).length === 0 ? {} : { reasons };
}

export async function hotlistVersion(q: Queryable): Promise<number> {
  const meta = await q.query<{ version: unknown }>("SELECT version FROM hotlist_meta WHERE id = 1");
  return toSafeInt(meta.rows[0]?.version ?? 0, "hotlist version");
}

/**
 * The net change from `fromVersion` to `toVersion`, or undefined when a version in
 * between left no record (changes from before the record existed): then only the full
 * document will do. A card's last change in the range decides: applied onto the list at
 * `fromVersion`, (list ∪ added) ∖ removed is the list at `toVersion`.
 */
export async function hotlistDelta(
  q: Queryable,
  fromVersion: number,
  toVersion: number,
): Promise<HotlistDelta | undefined> {
  if (toVersion <= fromVersion) return undefined;
  const range = [fromVersion, toVersion];
  const recorded = await q.query<{ n: unknown }>(
    "SELECT count(DISTINCT version) AS n FROM hotlist_changes WHERE version > $1 AND version <= $2",
    range,
  );
  if (toSafeInt(recorded.rows[0]?.n ?? 0, "hotlist versions") !== toVersion - fromVersion) return undefined;
  // The reason of an added card is the one it is listed under now (a later version may
  // have taken it off again: then it has none, and the next delta removes it).
  const { rows } = await q.query<{ card_id: string; added: boolean; reason: HotlistReason | null }>(
    `SELECT c.card_id, c.added, h.reason FROM (
       SELECT DISTINCT ON (card_id) card_id, added FROM hotlist_changes
       WHERE version > $1 AND version <= $2 ORDER BY card_id, version DESC
     ) c LEFT JOIN hotlist_cards h ON h.card_id = c.card_id AND c.added
     ORDER BY c.card_id`,
    range,
  );
  const added = rows.filter((r) => r.added);
  return {
    v: 1,
    fromVersion,
    toVersion,
    added: added.map((r) => r.card_id),
    removed: rows.filter((r) => !r.added).map((r) => r.card_id),
    ...reasonsOf(added),
  };
}

/** Adds cards (no-op for those already listed); bumps the version if any was new. */
export async function addToHotlist(q: Queryable, cardIds: readonly string[], reason: HotlistReason): Promise<boolean> {
  if (cardIds.length === 0) return false;
  const { rows } = await q.query(
    `WITH ins AS (
       INSERT INTO hotlist_cards (card_id, reason) SELECT DISTINCT unnest($1::text[]), $2
       ON CONFLICT (card_id) DO NOTHING RETURNING card_id
     ), ${BUMP}
     INSERT INTO hotlist_changes (version, card_id, added) SELECT v.version, ins.card_id, true FROM v, ins
     RETURNING card_id`,
    [cardIds, reason],
  );
  return rows.length > 0;
}

/** Lifts the shortfall listing of every card of these accounts (their balance is covered again). */
export async function clearShortfallListing(q: Queryable, accountIds: readonly string[]): Promise<boolean> {
  if (accountIds.length === 0) return false;
  const { rows } = await q.query(
    `WITH ins AS (
       DELETE FROM hotlist_cards WHERE reason = 'shortfall'
         AND card_id IN (SELECT card_id FROM cards WHERE account_id = ANY($1::text[]))
       RETURNING card_id
     ), ${BUMP}
     INSERT INTO hotlist_changes (version, card_id, added) SELECT v.version, ins.card_id, false FROM v, ins
     RETURNING card_id`,
    [accountIds],
  );
  return rows.length > 0;
}

/** A CTE `v` bumping the version once, only when the CTE `ins` changed a card. */
const BUMP =
  "v AS (UPDATE hotlist_meta SET version = version + 1 WHERE id = 1 AND EXISTS (SELECT 1 FROM ins) RETURNING version)";

/**
 * Brings these cards' listing in line with the ledger, for back-office changes (loss,
 * freeze, recycle, replace, unloss…): a card is listed while it is not active, or while
 * its account is negative (a shortfall). Added and removed cards go under one
 * new version, recorded as a delta. A card that stays listed under another reason only
 * has its reason updated — unless the change is to or from a shortfall, which tills word
 * differently (CARD_IN_DEBT): then it is recorded as added again, so they learn it.
 * Returns the new version, or null when no card came on or off the list and no till
 * needs to hear of a reason change. Call it after the card and account rows are written,
 * inside the same transaction.
 */
export async function syncCardsHotlist(q: Queryable, cardIds: readonly string[]): Promise<number | null> {
  if (cardIds.length === 0) return null;
  const { rows } = await q.query<{ card_id: string; status: string; negative: boolean; listed: string | null }>(
    `SELECT c.card_id, c.status, a.balance < 0 AS negative, h.reason AS listed
     FROM cards c JOIN accounts a ON a.id = c.account_id LEFT JOIN hotlist_cards h ON h.card_id = c.card_id
     WHERE c.card_id = ANY($1::text[])`,
    [cardIds],
  );
  const add: { cardId: string; reason: HotlistReason }[] = [];
  const remove: string[] = [];
  for (const r of rows) {
    const reason = r.status !== "active" ? (r.status as HotlistReason) : r.negative ? "shortfall" : null;
    if (reason === null && r.listed !== null) remove.push(r.card_id);
    else if (reason !== null && r.listed === null) add.push({ cardId: r.card_id, reason });
    else if (reason !== null && r.listed !== reason) {
      if (told(reason) !== told(r.listed as HotlistReason)) add.push({ cardId: r.card_id, reason });
      else await q.query("UPDATE hotlist_cards SET reason = $2 WHERE card_id = $1", [r.card_id, reason]);
    }
  }
  if (add.length === 0 && remove.length === 0) return null;
  const changed = await q.query<{ version: unknown }>(
    `WITH del AS (
       DELETE FROM hotlist_cards WHERE card_id = ANY($3::text[]) RETURNING card_id, false AS added
     ), put AS (
       INSERT INTO hotlist_cards (card_id, reason) SELECT * FROM unnest($1::text[], $2::text[])
       ON CONFLICT (card_id) DO UPDATE SET reason = EXCLUDED.reason
         WHERE hotlist_cards.reason IS DISTINCT FROM EXCLUDED.reason
       RETURNING card_id, true AS added
     ), ins AS (SELECT * FROM del UNION ALL SELECT * FROM put), ${BUMP}
     INSERT INTO hotlist_changes (version, card_id, added) SELECT v.version, ins.card_id, ins.added FROM v, ins
     RETURNING version`,
    [add.map((a) => a.cardId), add.map((a) => a.reason), remove],
  );
  const version = changed.rows[0]?.version;
  return version === undefined ? null : toSafeInt(version, "hotlist version");
}

export interface HotlistRetention {
  /** Versions whose deltas are kept however old they are (default 1000). */
  keepVersions: number;
  /** Days whose deltas are kept however many versions they hold (default 30). */
  keepDays: number;
}

export const DEFAULT_HOTLIST_RETENTION: Readonly<HotlistRetention> = { keepVersions: 1000, keepDays: 30 };

/**
 * Drops the oldest deltas: only rows both older than `keepVersions` versions and older
 * than `keepDays` days. Whole versions go, oldest first, so what stays is one unbroken
 * run of versions: a terminal that is further behind gets no delta from hotlistDelta
 * (a version in its range has no record) and takes the full document instead.
 * Returns how many rows were deleted.
 */
export async function pruneHotlistChanges(
  q: Queryable,
  keep: HotlistRetention = DEFAULT_HOTLIST_RETENTION,
): Promise<number> {
  const { rows } = await q.query<{ n: unknown }>(
    `WITH cut AS (
       SELECT least(
         (SELECT version FROM hotlist_meta WHERE id = 1) - $1::bigint,
         -- least() skips NULLs: with nothing old enough, the cut must be 0, not the version bound.
         coalesce((SELECT max(version) FROM hotlist_changes
                   WHERE changed_at < now() - make_interval(days => $2::int)), 0)
       ) AS version
     ), gone AS (
       DELETE FROM hotlist_changes WHERE version <= (SELECT version FROM cut) RETURNING 1
     )
     SELECT count(*) AS n FROM gone`,
    [keep.keepVersions, keep.keepDays],
  );
  return toSafeInt(rows[0]?.n ?? 0, "pruned rows");
}
