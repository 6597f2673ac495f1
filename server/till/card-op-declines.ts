/**
 * Why the back office refused a card operation, as a stable decline code a cashier can
 * read (rules/decline-text.ts). The back-office functions speak in CardtermError codes
 * (CT_NOT_FOUND, CT_CONFLICT, CT_BAD_REQUEST) with messages for head office; rather than
 * parse those messages, the cause is read back from the ledger after the refused change
 * rolled back — the facts, not the wording, decide the code.
 */

import type { CardtermError } from "../../protocol/errors.js";
import type { CardOpRequest } from "../../protocol/till-card-ops.js";
import type { TillOpDeclineCode } from "../../protocol/till-ops.js";
import type { CardSnapshot } from "../../rules/card.js";
import { cardTypeOf } from "../../rules/policy.js";
import { STATUS_ACTIONS } from "../backoffice/card-status.js";
import type { Queryable } from "../db/db.js";
import { currentPolicy } from "../ledger/policy-store.js";
import { loadCard } from "../ledger/rows.js";

export interface CardOpDecline {
  code: TillOpDeclineCode;
  /** The card the request named, as it stands: the till refreshes its copy. */
  card: CardSnapshot | null;
}

export async function declineFor(q: Queryable, req: CardOpRequest, err: CardtermError): Promise<CardOpDecline> {
  const card = (await loadCard(q, req.cardId)) ?? null;
  return { code: await codeFor(q, req, err, card), card };
}

async function codeFor(
  q: Queryable,
  req: CardOpRequest,
  err: CardtermError,
  card: CardSnapshot | null,
): Promise<TillOpDeclineCode> {
  if (err.code === "CT_BAD_REQUEST") {
    const wanted = req.op === "issue" || req.op === "level" ? req.cardType : undefined;
    return wanted !== undefined && !(await cardTypeKnown(q, wanted)) ? "CARD_TYPE_UNKNOWN" : "CARD_OP_INVALID";
  }
  if (err.code === "CT_NOT_FOUND")
    return req.op === "issue" && req.memberId !== undefined ? "MEMBER_NOT_FOUND" : "CARD_NOT_FOUND";
  if (err.code !== "CT_CONFLICT") return "CARD_OP_INVALID";
  switch (req.op) {
    case "issue":
      return "CARD_ALREADY_ISSUED";
    case "subcard":
      return subCardConflict(q, req.primaryCardId, card);
    case "replace":
      return ["active", "lost", "frozen"].includes(card?.status ?? "") ? "CARD_ALREADY_ISSUED" : "CARD_STATUS_CONFLICT";
    case "level":
      return card?.cardType === req.cardType ? "LEVEL_UNCHANGED" : "CARD_STATUS_CONFLICT";
    case "recycle":
      return STATUS_ACTIONS.recycle.from.includes(card?.status ?? "active") && (await hasSubCardsInUse(q, req.cardId))
        ? "SUB_CARDS_IN_USE"
        : "CARD_STATUS_CONFLICT";
    default:
      return "CARD_STATUS_CONFLICT";
  }
}

/** In the back office's order: the primary must be a primary, active, and the new card free. */
async function subCardConflict(
  q: Queryable,
  primaryCardId: string,
  newCard: CardSnapshot | null,
): Promise<TillOpDeclineCode> {
  const { rows } = await q.query<{ primary_card_id: string | null; status: string }>(
    "SELECT primary_card_id, status FROM cards WHERE card_id = $1",
    [primaryCardId],
  );
  const primary = rows[0];
  if (primary?.primary_card_id) return "NOT_A_PRIMARY_CARD";
  if (primary && primary.status !== "active") return "CARD_NOT_ACTIVE";
  return newCard ? "CARD_ALREADY_ISSUED" : "CARD_STATUS_CONFLICT";
}

async function hasSubCardsInUse(q: Queryable, cardId: string): Promise<boolean> {
  const { rows } = await q.query(
    "SELECT 1 FROM cards WHERE primary_card_id = $1 AND status IN ('active', 'lost', 'frozen') LIMIT 1",
    [cardId],
  );
  return rows.length > 0;
}

async function cardTypeKnown(q: Queryable, cardType: string): Promise<boolean> {
  const policy = await currentPolicy(q);
  return policy !== undefined && cardTypeOf(policy, cardType) !== undefined;
}
