/**
 * Top-up at head office (总部充值): stored value paid in at the counter of head office,
 * with the card type's bonus tier (rules/top-up.ts: the highest tier reached, alone).
 *
 * It is a ledger transaction like a till's, with no terminal: source 'hq', terminal_id
 * NULL, mode 'online'. Exactly once by txnId: a client retrying after a lost answer
 * sends the same txnId and gets the first result back, with no second credit. A top-up
 * that brings a shortfall account back to ≥ 0 takes its cards off the hotlist.
 */
import { randomUUID } from "node:crypto";
import { CardtermError } from "../../protocol/errors.js";
import { cardTypeOf } from "../../rules/policy.js";
import { priceTopUp } from "../../rules/top-up.js";
import type { Db, Queryable } from "../db/db.js";
import { toSafeInt } from "../db/int.js";
import { syncCardsHotlist } from "../ledger/hotlist.js";
import { currentPolicy } from "../ledger/policy-store.js";
import { findTransaction } from "../ledger/transactions.js";
import { type Actor, audit, checkActor } from "./actor.js";
import { lockCard } from "./card-read.js";
import { requireCardId, requirePositiveMinor } from "./validate.js";

export interface HqTopUp {
  cardId: string;
  /** Paid in, in fen (the CLI parses "1000.00" with parseMoney). */
  amount: number;
  /** The idempotency key; generated ("hq-<uuid>") when absent. */
  txnId?: string | undefined;
  /** The store's business day the top-up counts in (YYYY-MM-DD); default today in `timeZone`. */
  businessDay?: string | undefined;
}

export interface TopUpResult {
  txnId: string;
  cardId: string;
  accountId: string;
  amount: number;
  bonus: number;
  bonusPoints: number;
  balanceAfter: number;
  /** False when this txnId was already applied: nothing moved this time. */
  applied: boolean;
  hotlistVersion: number | null;
}

const TXN_ID = /^hq-[A-Za-z0-9_-]{1,80}$/;

export async function topUpAtHq(
  db: Db,
  params: HqTopUp,
  actor: Actor,
  opts: { now?: Date; timeZone?: string } = {},
): Promise<TopUpResult> {
  checkActor(actor);
  const cardId = requireCardId(params.cardId);
  const amount = requirePositiveMinor(params.amount, "amount");
  const txnId = params.txnId ?? `hq-${randomUUID()}`;
  // The prefix keeps head-office ids apart from every id a terminal makes.
  if (!TXN_ID.test(txnId))
    throw new CardtermError("CT_BAD_REQUEST", `txnId must look like hq-<letters, digits, _ or ->`);
  const now = opts.now ?? new Date();
  const businessDay = params.businessDay ?? dayIn(now, opts.timeZone);
  return db.transaction(async (tx) => {
    const card = await lockCard(tx, cardId);
    const earlier = await findTransaction(tx, txnId);
    if (earlier) return replay(earlier, { cardId, amount, txnId });
    if (card.status !== "active")
      throw new CardtermError("CT_CONFLICT", `card ${cardId} is ${card.status}; top up an active card`);
    const policy = await currentPolicy(tx);
    const type = policy && cardTypeOf(policy, card.cardType);
    if (!type) throw new CardtermError("CT_CONFLICT", `card type ${card.cardType} is not in the current policy`);
    const price = priceTopUp(amount, type);
    const balanceAfter = await credit(tx, {
      txnId,
      cardId,
      accountId: card.accountId,
      operatorId: actor.id,
      amount,
      bonus: price.bonusMinor,
      points: price.bonusPoints,
      at: now.toISOString(),
      businessDay,
    });
    const hotlistVersion = card.balance < 0 && balanceAfter >= 0 ? await coverShortfall(tx, card.accountId) : null;
    const result = {
      txnId,
      cardId,
      accountId: card.accountId,
      amount,
      bonus: price.bonusMinor,
      bonusPoints: price.bonusPoints,
      balanceAfter,
    };
    await audit(tx, actor, "card.topup", cardId, result);
    return { ...result, applied: true, hotlistVersion };
  });
}

interface Credit {
  txnId: string;
  cardId: string;
  accountId: string;
  operatorId: string;
  amount: number;
  bonus: number;
  points: number;
  at: string;
  businessDay: string;
}

/** The transaction row and the balance in one statement (the account row is locked). */
async function credit(tx: Queryable, c: Credit): Promise<number> {
  const { rows } = await tx.query<{ balance: unknown }>(
    `WITH acc AS (
       UPDATE accounts SET balance = balance + $5 + $6, points = points + $7 WHERE id = $3 RETURNING balance
     )
     INSERT INTO transactions (txn_id, terminal_id, seq, kind, mode, source, card_id, account_id, operator_id,
       gross, discount, net, bonus, points, balance_after, at, business_day)
     SELECT $1, NULL, NULL, 'topup', 'online', 'hq', $2, $3, $4, $5, 0, $5, $6, $7, acc.balance, $8, $9 FROM acc
     RETURNING balance_after AS balance`,
    [c.txnId, c.cardId, c.accountId, c.operatorId, c.amount, c.bonus, c.points, c.at, c.businessDay],
  );
  if (!rows[0]) throw new CardtermError("CT_NOT_FOUND", `account ${c.accountId} does not exist`);
  return toSafeInt(rows[0].balance, "balance");
}

/** Every card of the account may come off the hotlist (those not active stay on). */
async function coverShortfall(tx: Queryable, accountId: string): Promise<number | null> {
  const { rows } = await tx.query<{ card_id: string }>("SELECT card_id FROM cards WHERE account_id = $1", [accountId]);
  return syncCardsHotlist(
    tx,
    rows.map((r) => r.card_id),
  );
}

function replay(
  t: NonNullable<Awaited<ReturnType<typeof findTransaction>>>,
  asked: { cardId: string; amount: number; txnId: string },
): TopUpResult {
  if (t.kind !== "topup" || t.source !== ("hq" as string) || t.cardId !== asked.cardId || t.gross !== asked.amount) {
    throw new CardtermError("CT_CONFLICT", `txnId ${asked.txnId} was already used for a different transaction`);
  }
  return {
    txnId: t.txnId,
    cardId: t.cardId,
    accountId: t.accountId ?? "",
    amount: t.gross,
    bonus: t.bonus,
    bonusPoints: t.points,
    balanceAfter: t.balanceAfter ?? 0,
    applied: false,
    hotlistVersion: null,
  };
}

/** YYYY-MM-DD of `now` in the time zone (default: the server's). */
export function dayIn(now: Date, timeZone?: string): string {
  return new Intl.DateTimeFormat("en-CA", { timeZone, year: "numeric", month: "2-digit", day: "2-digit" }).format(now);
}
