/**
 * Card operations asked for at a till (protocol/till-card-ops.ts), decided by the back
 * office: this file only dispatches to `server/backoffice/` with the till's operator as
 * the actor (`via: "till"`, the terminal named), so a card lost at a till and one lost at
 * head office are the same change with the same checks, audit row and hotlist delta.
 *
 * The back-office function runs inside this module's transaction (inTransaction below):
 * the change and its exactly-once record (card-op-record.ts) commit together or not at
 * all. A refusal rolls everything back and is answered with a decline code
 * (card-op-declines.ts) and the card as it stands.
 */
import { isCardtermError } from "../../protocol/errors.js";
import type { CardOpOutcome, CardOpRequest } from "../../protocol/till-card-ops.js";
import type { TillOpReply, TillOpRequest } from "../../protocol/till-ops.js";
import type { Actor } from "../backoffice/actor.js";
import { issueCard } from "../backoffice/card-issue.js";
import { changeCardLevel } from "../backoffice/card-level.js";
import { findCardDetail } from "../backoffice/card-read.js";
import { replaceCard } from "../backoffice/card-replace.js";
import { changeCardStatus } from "../backoffice/card-status.js";
import type { Db, Queryable } from "../db/db.js";
import { loadCard } from "../ledger/rows.js";
import { declineFor } from "./card-op-declines.js";
import { type CardOpRecord, findRecord, fingerprint, lockRequest, requestKey, saveRecord } from "./card-op-record.js";
import { checkTillOperator } from "./role-check.js";

type CardOpTillRequest = Extract<TillOpRequest, CardOpRequest>;

export async function handleCardOp(db: Db, req: CardOpTillRequest): Promise<TillOpReply> {
  const actor: Actor = { id: req.operatorId, via: "till", terminalId: req.terminalId };
  const key = requestKey(req.terminalId, req.requestId);
  try {
    return await db.transaction(async (tx) => {
      await lockRequest(tx, key);
      const stored = await findRecord(tx, key);
      if (stored) return answer(tx, req, stored, true);
      // After the replay, inside the transaction: see role-check.ts.
      const denied = await checkTillOperator(tx, req);
      if (denied) return denied;
      const record = await apply(inTransaction(db, tx), tx, req, actor);
      await saveRecord(tx, actor, key, record);
      return answer(tx, req, record, false);
    });
  } catch (err) {
    if (!isCardtermError(err)) throw err;
    const decline = await declineFor(db, req, err);
    return { v: 1, corr: req.corr, ok: false, code: decline.code, message: err.message, card: decline.card };
  }
}

/** The back office's own function for each operation; returns what a retry must answer. */
async function apply(db: Db, tx: Queryable, req: CardOpTillRequest, actor: Actor): Promise<CardOpRecord> {
  const base = { op: req.op, fingerprint: fingerprint(req) };
  switch (req.op) {
    case "issue": {
      const target = req.member ? { member: req.member } : { memberId: req.memberId };
      const pin = req.pin === undefined ? {} : { pin: req.pin };
      const done = await issueCard(db, { cardId: req.cardId, cardType: req.cardType, ...target, ...pin }, actor);
      return { ...base, cardId: done.card.cardId, memberId: done.card.memberId, hotlistVersion: done.hotlistVersion };
    }
    case "subcard": {
      const done = await issueCard(
        db,
        {
          cardId: req.cardId,
          primaryCardId: req.primaryCardId,
          perTxnLimit: req.perTxnLimit,
          dailyLimit: req.dailyLimit,
          ...(req.pin === undefined ? {} : { pin: req.pin }),
        },
        actor,
      );
      return { ...base, cardId: done.card.cardId, otherCardId: req.primaryCardId, hotlistVersion: done.hotlistVersion };
    }
    case "replace": {
      const done = await replaceCard(db, { cardId: req.cardId, newCardId: req.newCardId, note: req.note }, actor);
      return { ...base, cardId: done.card.cardId, otherCardId: done.old.cardId, hotlistVersion: done.hotlistVersion };
    }
    case "level": {
      const before = await findCardDetail(tx, req.cardId);
      const done = await changeCardLevel(db, { cardId: req.cardId, cardType: req.cardType, note: req.note }, actor);
      return {
        ...base,
        cardId: done.card.cardId,
        ...(before ? { fromCardType: before.cardType } : {}),
        hotlistVersion: done.hotlistVersion,
      };
    }
    default: {
      const done = await changeCardStatus(db, req.op, { cardId: req.cardId, note: req.note }, actor);
      return { ...base, cardId: done.card.cardId, hotlistVersion: done.hotlistVersion };
    }
  }
}

/** The reply: the cards as they stand now, with the record's facts; a replay must name the same request. */
async function answer(
  q: Queryable,
  req: CardOpTillRequest,
  record: CardOpRecord,
  replayed: boolean,
): Promise<TillOpReply> {
  if (record.op !== req.op || record.fingerprint !== fingerprint(req)) {
    const message = `request ${req.requestId} was already used for another ${record.op} request`;
    return { v: 1, corr: req.corr, ok: false, code: "TXN_CONFLICT", message };
  }
  const card = await loadCard(q, record.cardId);
  const other = record.otherCardId === undefined ? undefined : await loadCard(q, record.otherCardId);
  if (!card) throw new Error(`card ${record.cardId} of request ${req.requestId} is gone from the ledger`);
  const hotlisted: Record<string, boolean> = {};
  for (const c of [card, other]) if (c) hotlisted[c.cardId] = (await findCardDetail(q, c.cardId))?.hotlisted ?? false;
  const cardOp: CardOpOutcome = {
    op: req.op,
    requestId: req.requestId,
    ...(other ? { other } : {}),
    ...(record.memberId ? { memberId: record.memberId } : {}),
    ...(record.fromCardType ? { fromCardType: record.fromCardType } : {}),
    hotlistVersion: record.hotlistVersion,
    hotlisted,
    replayed,
  };
  return { v: 1, corr: req.corr, ok: true, card, cardOp };
}

/**
 * The database as the back-office functions see it, inside an open transaction: their
 * own `transaction` joins this one, so their change and the request's record are one
 * commit. (A throw still rolls back everything: the outer transaction ends with it.)
 */
function inTransaction(db: Db, tx: Queryable): Db {
  return {
    kind: db.kind,
    query: (sql, params) => tx.query(sql, params),
    transaction: (fn) => fn(tx),
    close: async () => {},
  };
}
