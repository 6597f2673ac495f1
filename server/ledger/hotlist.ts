/**
 * The hotlist: cards terminals must refuse offline (DESIGN §4 rule 3) — cards that are
 * not active, and cards whose account a shortfall left negative (DESIGN §5). One
 * version number for the whole list, bumped in the same statement as any change, which
 * also records what changed under the new version: the deltas terminals apply
 * (hotlistDelta) instead of fetching the whole list on every change.
 */
import type { HotlistDelta, HotlistDocument } from "../../protocol/messages.js";
import type { Queryable } from "../db/db.js";
import { toSafeInt } from "../db/int.js";

export type HotlistReason = "shortfall" | "lost" | "frozen" | "cancelled" | "replaced";

export async function hotlistDocument(q: Queryable): Promise<HotlistDocument> {
  const meta = await q.query<{ version: unknown }>("SELECT version FROM hotlist_meta WHERE id = 1");
  const cards = await q.query<{ card_id: string }>("SELECT card_id FROM hotlist_cards ORDER BY card_id");
  return { version: toSafeInt(meta.rows[0]?.version ?? 0, "hotlist version"), cards: cards.rows.map((r) => r.card_id) };
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
  const { rows } = await q.query<{ card_id: string; added: boolean }>(
    `SELECT DISTINCT ON (card_id) card_id, added FROM hotlist_changes
     WHERE version > $1 AND version <= $2 ORDER BY card_id, version DESC`,
    range,
  );
  return {
    v: 1,
    fromVersion,
    toVersion,
    added: rows.filter((r) => r.added).map((r) => r.card_id),
    removed: rows.filter((r) => !r.added).map((r) => r.card_id),
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
