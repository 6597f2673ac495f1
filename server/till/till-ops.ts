/**
 * Till operations the server decides (protocol/till-ops.ts): top-up, refund, void and
 * the balance query; the card operations (card-ops.ts) and finding a member
 * (member-find.ts) are dispatched from here. Each money operation is one database transaction with the account
 * row locked, exactly once by the till's txnId — a repeat (lost reply, retried request)
 * gets the stored result back and moves nothing. The till journals the applied
 * transaction afterwards; ingest then finds it by txnId and applies nothing twice.
 */
import type { CardSnapshot } from "../../protocol/card.js";
import { cardTypeOf } from "../../protocol/policy.js";
import type {
  AppliedTxn,
  TillOpAnyReply,
  TillOpDeclineCode,
  TillOpReply,
  TillOpRequest,
} from "../../protocol/till-ops.js";
import { priceTopUp } from "../../protocol/top-up.js";
import type { Db, Queryable } from "../db/db.js";
import { currentPolicy } from "../ledger/policy-store.js";
import { loadCard } from "../ledger/rows.js";
import { findTransaction, type StoredTxn } from "../ledger/transactions.js";
import { handleCardOp } from "./card-ops.js";
import { handleMemberFind } from "./member-find.js";
import { reversalOf } from "./reversals.js";
import { checkTillOperator } from "./role-check.js";

type Req<Op extends TillOpRequest["op"]> = Extract<TillOpRequest, { op: Op }>;

/** Every operation but `find` answers with a card (TillOpReply); `find` with members. */
export function handleTillOp(db: Db, req: Exclude<TillOpRequest, { op: "find" }>): Promise<TillOpReply>;
export function handleTillOp(db: Db, req: TillOpRequest): Promise<TillOpAnyReply>;
export async function handleTillOp(db: Db, req: TillOpRequest): Promise<TillOpAnyReply> {
  switch (req.op) {
    case "find":
      return handleMemberFind(db, req);
    case "balance": {
      const denied = await checkTillOperator(db, req);
      if (denied) return denied;
      const card = await loadCard(db, req.cardId);
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
  const given = await reversedSoFar(tx, original.txnId);
  const plan = reversalOf(req, original, given, card);
  if (!plan.ok) return refuse(req, plan.code, plan.message, card);
  await insertApplied(tx, req, card, plan.txn);
  return applied(req, card, plan.txn);
}

/** What refunds and voids have already given back of a transaction. */
async function reversedSoFar(
  tx: Queryable,
  originalTxnId: string,
): Promise<{ net: number; points: number; voided: boolean }> {
  const { rows } = await tx.query<{ net: unknown; points: unknown; voids: unknown }>(
    `SELECT COALESCE(SUM(net), 0) AS net, COALESCE(SUM(points), 0) AS points,
       COUNT(*) FILTER (WHERE kind = 'void') AS voids
     FROM transactions WHERE original_txn_id = $1`,
    [originalTxnId],
  );
  const r = rows[0]!;
  return { net: Number(r.net), points: Number(r.points), voided: Number(r.voids) > 0 };
}

/** The row and the balance move in one statement, like the online debit (authorise.ts). */
async function insertApplied(tx: Queryable, req: TillOpRequest, card: CardSnapshot, txn: AppliedTxn): Promise<void> {
  const delta = txn.balanceAfter - card.balance;
  const points = txn.pointsEarned - (txn.pointsRedeemed ?? 0);
  await tx.query(
    `WITH ins AS (
       INSERT INTO transactions (txn_id, terminal_id, seq, kind, mode, source, card_id, account_id, operator_id,
         gross, discount, net, bonus, points, balance_after, at, business_day, original_txn_id, payment, void_of)
       VALUES ($1, $2, NULL, $3, 'online', 'online-auth', $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $19)
       RETURNING txn_id
     )
     UPDATE accounts SET balance = balance + $17, points = points + $18
     WHERE id = $5 AND EXISTS (SELECT 1 FROM ins)`,
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
      points,
      txn.voidOf ?? null,
    ],
  );
}

function applied(req: { corr: string }, card: CardSnapshot, txn: AppliedTxn): TillOpReply {
  const points = card.points + txn.pointsEarned - (txn.pointsRedeemed ?? 0);
  return { v: 1, corr: req.corr, ok: true, card: { ...card, balance: txn.balanceAfter, points }, txn };
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
    ...(extra?.original_txn_id ? { originalTxnId: extra.original_txn_id } : {}),
    ...(extra?.payment ? { payment: extra.payment as AppliedTxn["payment"] } : {}),
    ...(extra?.void_of ? { voidOf: extra.void_of as "sale" | "topup" } : {}),
  };
  return { v: 1, corr: req.corr, ok: true, card, txn };
}
