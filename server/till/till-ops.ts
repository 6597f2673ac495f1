/**
 * Till operations the server decides (protocol/till-ops.ts): top-up, refund, void and
 * the balance query; the card operations (card-ops.ts) and finding a member
 * (member-find.ts) are dispatched from here. Each money operation is one database transaction with the account
 * row locked, exactly once by the till's txnId — a repeat (lost reply, retried request)
 * gets the stored result back and moves nothing. The till journals the applied
 * transaction afterwards; ingest then finds it by txnId and applies nothing twice.
 */

import { pointsDelta, usesDelta } from "../../protocol/journal-entry.js";
import type {
  AppliedTxn,
  HoldDoneReply,
  TillOpAnyReply,
  TillOpDeclineCode,
  TillOpReply,
  TillOpRequest,
} from "../../protocol/till-ops.js";
import type { CardSnapshot } from "../../rules/card.js";
import { takeUses } from "../../rules/count-card.js";
import { cardTypeOf } from "../../rules/policy.js";
import { priceTopUp } from "../../rules/top-up.js";
import type { Db, Queryable } from "../db/db.js";
import { confirmIfHeld } from "../ledger/holds.js";
import { currentPolicy } from "../ledger/policy-store.js";
import { loadCard } from "../ledger/rows.js";
import { findTransaction, type StoredTxn } from "../ledger/transactions.js";
import { handleCardOp } from "./card-ops.js";
import { givenBackSoFar } from "./given-back.js";
import { handleHold } from "./hold-op.js";
import { handleMemberFind } from "./member-find.js";
import { reversalOf } from "./reversals.js";
import { checkTillOperator } from "./role-check.js";

type Req<Op extends TillOpRequest["op"]> = Extract<TillOpRequest, { op: Op }>;

/** Every operation but `find` answers with a card (TillOpReply); `find` with members. */
export function handleTillOp(db: Db, req: Exclude<TillOpRequest, { op: "find" | "hold" }>): Promise<TillOpReply>;
export function handleTillOp(db: Db, req: Extract<TillOpRequest, { op: "hold" }>): Promise<HoldDoneReply>;
export function handleTillOp(db: Db, req: TillOpRequest): Promise<TillOpAnyReply>;
export async function handleTillOp(db: Db, req: TillOpRequest): Promise<TillOpAnyReply> {
  switch (req.op) {
    case "find":
      return handleMemberFind(db, req);
    case "hold":
      return handleHold(db, req);
    case "balance": {
      const denied = await checkTillOperator(db, req);
      if (denied) return denied;
      // With the day, so a sub-card's spending today comes back too: the till caches this snapshot.
      const card = await loadCard(db, req.cardId, { businessDay: req.businessDay });
      return card
        ? { v: 1, corr: req.corr, ok: true, card }
        : refuse(req, "CARD_NOT_FOUND", `card ${req.cardId} is not in the ledger`);
    }
    case "topup":
      return db.transaction((tx) => topUp(tx, req));
    case "refund":
    case "void":
      return db.transaction((tx) => reverse(tx, req));
    default:
      // The card operations (issue, loss, replace, …): the back office decides them.
      return handleCardOp(db, req);
  }
}

export function refuse(
  req: { corr: string },
  code: TillOpDeclineCode,
  message: string,
  card?: CardSnapshot | null,
): TillOpReply {
  return { v: 1, corr: req.corr, ok: false, code, message, ...(card !== undefined ? { card } : {}) };
}

async function topUp(tx: Queryable, req: Req<"topup">): Promise<TillOpReply> {
  const earlier = await findTransaction(tx, req.txnId);
  if (earlier)
    return replay(
      tx,
      req,
      earlier,
      earlier.kind === "topup" && earlier.cardId === req.cardId && earlier.gross === req.amount,
    );
  // After the replay: a retry of what was applied gets its outcome (role-check.ts).
  const denied = await checkTillOperator(tx, req);
  if (denied) return denied;
  const card = await loadCard(tx, req.cardId, { lockAccount: true });
  if (!card) return refuse(req, "CARD_NOT_FOUND", `card ${req.cardId} is not in the ledger`, null);
  if (card.status !== "active") return refuse(req, "CARD_NOT_ACTIVE", `card is ${card.status}`, card);
  const policy = await currentPolicy(tx);
  const type = policy && cardTypeOf(policy, card.cardType);
  if (!type) return refuse(req, "NO_POLICY", `card type ${card.cardType} is not in the current policy`, card);
  const price = priceTopUp(req.amount, type);
  const txn: AppliedTxn = {
    txnId: req.txnId,
    kind: "topup",
    cardId: card.cardId,
    gross: req.amount,
    discount: 0,
    net: req.amount,
    bonus: price.bonusMinor,
    pointsEarned: price.bonusPoints,
    balanceAfter: card.balance + req.amount + price.bonusMinor,
    payment: req.payment,
  };
  await insertApplied(tx, req, card, txn);
  return applied(req, card, txn);
}

async function reverse(tx: Queryable, req: Req<"refund"> | Req<"void">): Promise<TillOpReply> {
  const earlier = await findTransaction(tx, req.txnId);
  if (earlier) return replay(tx, req, earlier, earlier.kind === req.op);
  const denied = await checkTillOperator(tx, req);
  if (denied) return denied;
  const original = await findTransaction(tx, req.originalTxnId);
  if (!original) return refuse(req, "ORIGINAL_NOT_FOUND", `transaction ${req.originalTxnId} is not in the ledger`);
  const card = await loadCard(tx, original.cardId, { lockAccount: true });
  if (!card) return refuse(req, "CARD_NOT_FOUND", `card ${original.cardId} is not in the ledger`, null);
  // Looked at again under the lock: a copy of this request on another connection may have
  // committed since the first look, and must be replayed, not refused by a unique key.
  const raced = await findTransaction(tx, req.txnId);
  if (raced) return replay(tx, req, raced, raced.kind === req.op);
  const given = await givenBackSoFar(tx, original.txnId);
  const plan = reversalOf(req, original, given, card);
  if (!plan.ok) return refuse(req, plan.code, plan.message, card);
  // Reversing a sale still held treats it as real: it can no longer be released (holds.ts).
  await confirmIfHeld(tx, original.txnId, "reversal");
  await insertApplied(tx, req, card, plan.txn);
  return applied(req, card, plan.txn);
}

/**
 * The row, the balance, the points and a package's uses move in one statement, like the
 * online debit (authorise.ts). Redeemed points and uses are written to the row as well as
 * moved: reconcile() and the ingest of the till's journal line read them back.
 */
async function insertApplied(tx: Queryable, req: TillOpRequest, card: CardSnapshot, txn: AppliedTxn): Promise<void> {
  const delta = txn.balanceAfter - card.balance;
  const uses = usesDelta(txn);
  await tx.query(
    `WITH ins AS (
       INSERT INTO transactions (txn_id, terminal_id, seq, kind, mode, source, card_id, account_id, operator_id,
         gross, discount, net, bonus, points, balance_after, at, business_day, original_txn_id, payment, void_of,
         points_redeemed, redeemed_minor, package_id, uses)
       VALUES ($1, $2, NULL, $3, 'online', 'online-auth', $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $19,
         $20, $21, $22, $23)
       RETURNING txn_id
     ), moved AS (
       UPDATE accounts SET balance = balance + $17, points = points + $18
       WHERE id = $5 AND EXISTS (SELECT 1 FROM ins) RETURNING id
     )
     UPDATE count_packages SET remaining_uses = remaining_uses + $24, updated_at = now()
     WHERE package_id = $22 AND EXISTS (SELECT 1 FROM ins)`,
    [
      txn.txnId,
      req.terminalId,
      txn.kind,
      card.cardId,
      card.accountId,
      req.operatorId,
      txn.gross,
      txn.discount,
      txn.net,
      txn.bonus,
      txn.pointsEarned,
      txn.balanceAfter,
      req.at,
      req.businessDay,
      txn.originalTxnId ?? null,
      txn.payment ?? null,
      delta,
      pointsDelta(txn),
      txn.voidOf ?? null,
      txn.pointsRedeemed ?? 0,
      txn.redeemedMinor ?? 0,
      uses?.packageId ?? null,
      uses ? (txn.countUses ?? 0) : 0,
      uses?.delta ?? 0,
    ],
  );
}

function applied(req: { corr: string }, card: CardSnapshot, txn: AppliedTxn): TillOpReply {
  const points = card.points + pointsDelta(txn);
  const uses = usesDelta(txn);
  const after = { ...card, balance: txn.balanceAfter, points };
  if (uses && card.packages) after.packages = takeUses(card.packages, uses.packageId, -uses.delta);
  return { v: 1, corr: req.corr, ok: true, card: after, txn };
}

/** A txnId already in the ledger: its stored result, or a refusal when it was another operation. */
async function replay(
  tx: Queryable,
  req: TillOpRequest & { txnId: string },
  stored: StoredTxn,
  same: boolean,
): Promise<TillOpReply> {
  const card = await loadCard(tx, stored.cardId);
  if (!same || !card || stored.kind === "sale") {
    return refuse(req, "TXN_CONFLICT", `txnId ${req.txnId} is already used by another transaction`);
  }
  const { rows } = await tx.query<{ original_txn_id: string | null; payment: string | null; void_of: string | null }>(
    "SELECT original_txn_id, payment, void_of FROM transactions WHERE txn_id = $1",
    [stored.txnId],
  );
  const extra = rows[0];
  const txn: AppliedTxn = {
    txnId: stored.txnId,
    kind: stored.kind,
    cardId: stored.cardId,
    gross: stored.gross,
    discount: stored.discount,
    net: stored.net,
    bonus: stored.bonus,
    pointsEarned: stored.points,
    balanceAfter: stored.balanceAfter ?? card.balance,
    ...(stored.pointsRedeemed > 0
      ? { pointsRedeemed: stored.pointsRedeemed, redeemedMinor: stored.redeemedMinor }
      : {}),
    ...(stored.packageId && stored.uses > 0 ? { countPackageId: stored.packageId, countUses: stored.uses } : {}),
    ...(extra?.original_txn_id ? { originalTxnId: extra.original_txn_id } : {}),
    ...(extra?.payment ? { payment: extra.payment as AppliedTxn["payment"] } : {}),
    ...(extra?.void_of ? { voidOf: extra.void_of as "sale" | "topup" } : {}),
  };
  return { v: 1, corr: req.corr, ok: true, card, txn };
}
