/**
 * The hotlist: cards terminals must refuse offline (DESIGN §4 rule 3) — cards that are
 * not active, and cards whose account a shortfall left negative (DESIGN §5). One
 * version number for the whole list, bumped in the same transaction as any change.
 */
import type { HotlistDocument } from "../../protocol/messages.js";
import type { Queryable } from "../db/db.js";
import { toSafeInt } from "../db/int.js";

export type HotlistReason = "shortfall" | "lost" | "frozen" | "cancelled" | "replaced";

export async function hotlistDocument(q: Queryable): Promise<HotlistDocument> {
  const meta = await q.query<{ version: unknown }>("SELECT version FROM hotlist_meta WHERE id = 1");
  const cards = await q.query<{ card_id: string }>("SELECT card_id FROM hotlist_cards ORDER BY card_id");
  return { version: toSafeInt(meta.rows[0]?.version ?? 0, "hotlist version"), cards: cards.rows.map((r) => r.card_id) };
}

/** Adds cards (no-op for those already listed); bumps the version if any was new. */
export async function addToHotlist(q: Queryable, cardIds: readonly string[], reason: HotlistReason): Promise<boolean> {
  if (cardIds.length === 0) return false;
  const { rows } = await q.query(
    `INSERT INTO hotlist_cards (card_id, reason) SELECT DISTINCT unnest($1::text[]), $2
     ON CONFLICT (card_id) DO NOTHING RETURNING card_id`,
    [cardIds, reason],
  );
  return bumpIf(q, rows.length > 0);
}

/** Lifts the shortfall listing of every card of these accounts (their balance is covered again). */
export async function clearShortfallListing(q: Queryable, accountIds: readonly string[]): Promise<boolean> {
  if (accountIds.length === 0) return false;
  const { rows } = await q.query(
    `DELETE FROM hotlist_cards WHERE reason = 'shortfall'
       AND card_id IN (SELECT card_id FROM cards WHERE account_id = ANY($1::text[]))
     RETURNING card_id`,
    [accountIds],
  );
  return bumpIf(q, rows.length > 0);
}

async function bumpIf(q: Queryable, changed: boolean): Promise<boolean> {
  if (changed) await q.query("UPDATE hotlist_meta SET version = version + 1 WHERE id = 1");
  return changed;
}
