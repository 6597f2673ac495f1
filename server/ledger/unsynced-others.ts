/**
 * The part of a till's unsynced offline spend the till could not place on an account (limits
 * are per account: docs/architecture.md#the-offline-rules): offline sales on cards whose
 * account it does not know — every other card when the asked one is new to it. The server knows
 * every card's account and keeps free what those cards on the asked card's account spent, as it
 * does for the till's own figure (authorise.ts). One query, only when a request carries such
 * cards.
 */
import type { AuthRequest } from "../../protocol/messages.js";
import type { Minor } from "../../rules/money.js";
import type { Queryable } from "../db/db.js";

export async function othersOnAccount(
  q: Queryable,
  req: Pick<AuthRequest, "cardId" | "unsyncedOfflineOthers">,
  accountId: string,
): Promise<{ minor: Minor; points: number }> {
  const others = (req.unsyncedOfflineOthers ?? []).filter((o) => o.cardId !== req.cardId);
  if (others.length === 0) return { minor: 0, points: 0 };
  const { rows } = await q.query<{ card_id: string }>(
    "SELECT card_id FROM cards WHERE account_id = $1 AND card_id = ANY($2::text[])",
    [accountId, others.map((o) => o.cardId)],
  );
  const on = new Set(rows.map((r) => r.card_id));
  let minor = 0;
  let points = 0;
  for (const o of others) {
    if (!on.has(o.cardId)) continue;
    minor += o.minor;
    points += o.points;
  }
  return { minor, points };
}
