/**
 * Online authorisation of a sale (docs/architecture.md#online-intent-ask-hold-commit): the
 * server prices the sale by the card type, checks the card's rules — points redemption,
 * count-card use, a sub-card's own limits (rules/sale-rules.ts) — the balance and the PIN, and
 * debits it: the checks and the debit in one transaction with the account row locked, so two
 * tills can never both spend the same money, points or uses. The debit is a hold (holds.ts,
 * docs/reconciliation.md): the till's journal entry confirms it; a till that never recorded the
 * sale, or the expiry job, releases it.
 *
 * Exactly once by txnId: a request whose txnId is already in the ledger (a repeat after
 * a lost reply, or the same sale already journaled offline) gets the stored figures back
 * and never moves money again.
 *
 * A till waits on this, so it is few round trips: BEGIN; one look-up of the terminal,
 * the txnId and the current policy version; the account locked, then the card read; the
 * package (only with a count use); the PIN counter (only with a PIN); the debit
 * (transaction row, balance, points and uses in one statement); COMMIT. Policy documents
 * are parsed once per version (bench/auth-roundtrip.ts).
 */

import type { AppliedCountUse, AuthReply, AuthRequest } from "../../protocol/messages.js";
import type { CardSnapshot } from "../../rules/card.js";
import { type CountPackage, takeUses } from "../../rules/count-card.js";
import type { AnyDeclineCode } from "../../rules/decline-text.js";
import { pinRequired } from "../../rules/pin.js";
import { cardTypeOf, type PolicyDocument, pinRulesOf } from "../../rules/policy.js";
import type { PricedSale } from "../../rules/pricing.js";
import { judgeSaleRules } from "../../rules/sale-rules.js";
import type { Db, Queryable } from "../db/db.js";
import { type AlertInput, recordAlerts } from "./alerts.js";
import { findPackage } from "./package-rows.js";
import { checkPinOnline } from "./pin-online.js";
import { type LoadedCard, loadCard, loadCardWithPin } from "./rows.js";
import { findTransaction, type StoredTxn, type TxnRow, toStoredTxn, txnColumns } from "./transactions.js";
import { othersOnAccount } from "./unsynced-others.js";

export type AuthOutcome = { ok: true; reply: AuthReply } | { ok: false; reason: string };

/** How long an approval stays held without the till's word before the expiry job releases it. */
export const DEFAULT_HOLD_TTL_MS = 15 * 60 * 1000;

/**
 * `now` is the server's clock, for the PIN lock-out (a till's clock is not trusted with it)
 * and the hold's deadline: an approval is a hold until the till's journal entry confirms it
 * (holds.ts), released by the expiry job if nobody has after `holdTtlMs`.
 */
export async function authorise(
  db: Db,
  req: AuthRequest,
  now: () => number = Date.now,
  holdTtlMs: number = DEFAULT_HOLD_TTL_MS,
): Promise<AuthOutcome> {
  return db.transaction(async (tx) => {
    const known = await lookUp(tx, req);
    if (!known.terminal) {
      const reason = `terminal ${req.terminalId} is not registered`;
      await recordAlerts(tx, [
        { kind: "unknown-terminal", terminalId: req.terminalId, txnId: req.txnId, detail: reason },
      ]);
      return { ok: false, reason };
    }
    // A copy of a request the till has since released (it gave up waiting): nobody waits for
    // this answer any more, and approving it would take money for a sale that never happened.
    if (!known.stored && known.released) return { ok: true, reply: decline(req, "TXN_CONFLICT", null) };
    const reply = known.stored
      ? await replay(tx, req, known.stored)
      : await decide(tx, req, await policyOf(tx, known.policyKey), { now, holdTtlMs });
    return { ok: true, reply };
  });
}

interface LookUp {
  terminal: boolean;
  stored: StoredTxn | undefined;
  /** The txnId's hold was released (holds.ts): its tombstone. */
  released: boolean;
  /** The current policy's "version:created_at", or null when there is none. */
  policyKey: string | null;
}

async function lookUp(tx: Queryable, req: AuthRequest): Promise<LookUp> {
  const { rows } = await tx.query<
    Partial<TxnRow> & { terminal: boolean | null; released: boolean | null; policy_key: string | null }
  >(
    `SELECT (SELECT true FROM terminals WHERE id = $1) AS terminal,
       (SELECT true FROM released_holds WHERE txn_id = $2) AS released,
       (SELECT version || ':' || created_at FROM policies ORDER BY version DESC LIMIT 1) AS policy_key,
       ${txnColumns("t")}
     FROM (SELECT 1) AS one LEFT JOIN transactions t ON t.txn_id = $2`,
    [req.terminalId, req.txnId],
  );
  const r = rows[0]!;
  return {
    terminal: r.terminal === true,
    stored: r.txn_id ? toStoredTxn(r as TxnRow) : undefined,
    released: r.released === true,
    policyKey: r.policy_key,
  };
}

/** Parsed policies by "version:created_at": a saved version never changes (policy-store.ts). */
const policies = new Map<string, PolicyDocument>();

async function policyOf(tx: Queryable, key: string | null): Promise<PolicyDocument | undefined> {
  if (key === null) return undefined;
  const cached = policies.get(key);
  if (cached) return cached;
  const version = Number.parseInt(key, 10);
  const { rows } = await tx.query<{ document: PolicyDocument | string }>(
    "SELECT document FROM policies WHERE version = $1",
    [version],
  );
  const doc = rows[0]?.document;
  if (doc === undefined) return undefined;
  const parsed = typeof doc === "string" ? (JSON.parse(doc) as PolicyDocument) : doc;
  if (policies.size >= 16) policies.clear();
  policies.set(key, parsed);
  return parsed;
}

interface Clock {
  now: () => number;
  holdTtlMs: number;
}

async function decide(
  tx: Queryable,
  req: AuthRequest,
  policy: PolicyDocument | undefined,
  { now, holdTtlMs }: Clock,
): Promise<AuthReply> {
  const loaded = await loadCardWithPin(tx, req.cardId, { lockAccount: true, businessDay: req.businessDay });
  if (!loaded) return decline(req, "CARD_NOT_FOUND", null);
  const { card } = loaded;
  if (card.status !== "active") return decline(req, "CARD_NOT_ACTIVE", card);
  const type = policy && cardTypeOf(policy, card.cardType);
  if (!policy || !type) return decline(req, "NO_POLICY", card);
  const pkg = req.countUse && (await findPackage(tx, req.countUse.packageId, card.accountId));
  // What this till spent offline and has not uploaded yet is spent already (offline rule 8):
  // on the account for its balance (any of its cards), the card's own for a sub-card's day.
  // Cards the till could not place on an account are counted when they are on this one.
  const others = await othersOnAccount(tx, req, card.accountId);
  const unsyncedAccount = (req.unsyncedOfflineMinor ?? 0) + others.minor;
  const unsyncedCard = req.unsyncedOfflineCardMinor ?? req.unsyncedOfflineMinor ?? 0;
  const judged = judgeSaleRules(
    { gross: req.gross, redeemPoints: req.redeemPoints, countUse: req.countUse, businessDay: req.businessDay },
    {
      card,
      type,
      availablePoints: card.points - (req.unsyncedOfflinePoints ?? 0) - others.points,
      pkg: pkg && { ...pkg, remainingUses: pkg.remainingUses - (req.unsyncedOfflineUses ?? 0) },
      spentToday: (card.subCard?.spentToday ?? 0) + unsyncedCard,
    },
  );
  if (!judged.ok) return decline(req, judged.code, card);
  const price = judged.price;
  if (card.balance - unsyncedAccount < price.net) return decline(req, "INSUFFICIENT_BALANCE", card);
  const pinCode = await pinCheck(tx, req, loaded, price, policy, now);
  if (pinCode) return decline(req, pinCode, card);
  return debit(tx, req, card, price, pkg, new Date(now() + holdTtlMs));
}

/** Rule 9 online: a card with a PIN, above its type's threshold (on all the account gives: cash and points). */
async function pinCheck(
  tx: Queryable,
  req: AuthRequest,
  { card, pinAttempts }: LoadedCard,
  price: PricedSale,
  policy: PolicyDocument,
  now: () => number,
): Promise<AnyDeclineCode | undefined> {
  const type = cardTypeOf(policy, card.cardType)!;
  if (!card.hasPin || !card.pinHash || !pinRequired(type, price.net + price.pointsValue)) return undefined;
  const check = { cardId: card.cardId, pinHash: card.pinHash, attempts: pinAttempts, pin: req.pin };
  return checkPinOnline(tx, check, pinRulesOf(policy), now());
}

async function debit(
  tx: Queryable,
  req: AuthRequest,
  card: CardSnapshot,
  price: PricedSale,
  pkg: CountPackage | undefined,
  holdUntil: Date,
): Promise<AuthReply> {
  const balanceAfter = card.balance - price.net;
  const use = req.countUse;
  // The row, the debit and the use in one statement; money and uses move only if the row was new.
  // The row is a hold: the money is taken now (never spendable twice) and given back by a release.
  const inserted = await tx.query(
    `WITH ins AS (
       INSERT INTO transactions (txn_id, terminal_id, seq, kind, mode, source, card_id, account_id, operator_id,
         gross, discount, net, bonus, points, points_redeemed, redeemed_minor, package_id, uses, balance_after,
         at, business_day, hold_state, hold_until)
       VALUES ($1, $2, NULL, 'sale', 'online', 'online-auth', $3, $4, $5, $6, $7, $8, 0, $9, $10, $11, $12, $13,
         $14, $15, $16, 'held', $17::timestamptz)
       ON CONFLICT (txn_id) DO NOTHING RETURNING txn_id
     ), debit AS (
       UPDATE accounts SET balance = balance - $8, points = points + $9 - $10
       WHERE id = $4 AND EXISTS (SELECT 1 FROM ins) RETURNING id
     ), used AS (
       UPDATE count_packages SET remaining_uses = remaining_uses - $13, updated_at = now()
       WHERE package_id = $12 AND EXISTS (SELECT 1 FROM ins) RETURNING package_id
     )
     SELECT txn_id FROM ins`,
    [
      req.txnId,
      req.terminalId,
      card.cardId,
      card.accountId,
      req.operatorId,
      price.gross,
      price.discount,
      price.net,
      price.pointsEarned,
      price.pointsRedeemed,
      price.pointsValue,
      use?.packageId ?? null,
      use?.uses ?? 0,
      balanceAfter,
      req.at,
      req.businessDay,
      holdUntil.toISOString(),
    ],
  );
  if (inserted.rows.length === 0) {
    // Another server instance committed this txnId after our first look: its result stands.
    const stored = await findTransaction(tx, req.txnId);
    if (!stored) throw new Error(`transaction ${req.txnId} conflicted but cannot be read back`);
    return replay(tx, req, stored);
  }
  const after: CardSnapshot = {
    ...card,
    balance: balanceAfter,
    points: card.points + price.pointsEarned - price.pointsRedeemed,
    ...(use && card.packages ? { packages: takeUses(card.packages, use.packageId, use.uses) } : {}),
    ...(card.subCard?.spentToday !== undefined
      ? { subCard: { ...card.subCard, spentToday: card.subCard.spentToday + price.net } }
      : {}),
  };
  const countUse = use && pkg ? { ...pkg, remainingUses: pkg.remainingUses - use.uses, uses: use.uses } : undefined;
  const { gross, discount, net, pointsEarned, pointsRedeemed, pointsValue } = price;
  return approved(
    req,
    { gross, discount, net, pointsEarned, pointsRedeemed, redeemedMinor: pointsValue, balanceAfter },
    after,
    countUse,
  );
}

/** The answer for a txnId already in the ledger: its stored figures and the card as it is now. */
async function replay(tx: Queryable, req: AuthRequest, stored: StoredTxn): Promise<AuthReply> {
  const card = await loadCard(tx, stored.cardId, { businessDay: req.businessDay });
  const sameUse =
    (stored.packageId ?? undefined) === req.countUse?.packageId && stored.uses === (req.countUse?.uses ?? 0);
  const same = stored.kind === "sale" && stored.cardId === req.cardId && stored.gross === req.gross && sameUse;
  if (!same || !card) {
    // The txnId is already used for a different sale (a terminal bug). Refuse this one
    // rather than approve figures the till did not ask for; see the lead's note on a
    // dedicated decline code.
    const alert: AlertInput = {
      kind: "txn-conflict",
      terminalId: req.terminalId,
      txnId: req.txnId,
      detail: `auth request reuses txnId ${req.txnId} of a different transaction (${stored.kind} ${stored.gross} on another card or amount)`,
    };
    await recordAlerts(tx, [alert]);
    return decline(req, "CARD_NOT_ACTIVE", null);
  }
  const pkg = stored.packageId ? await findPackage(tx, stored.packageId, card.accountId) : undefined;
  const figures = {
    gross: stored.gross,
    discount: stored.discount,
    net: stored.net,
    pointsEarned: stored.points,
    pointsRedeemed: stored.pointsRedeemed,
    redeemedMinor: stored.redeemedMinor,
    balanceAfter: stored.balanceAfter ?? card.balance,
  };
  return approved(req, figures, card, pkg && { ...pkg, uses: stored.uses });
}

interface Figures {
  gross: number;
  discount: number;
  net: number;
  pointsEarned: number;
  pointsRedeemed: number;
  redeemedMinor: number;
  balanceAfter: number;
}

function approved(req: AuthRequest, f: Figures, card: CardSnapshot, countUse: AppliedCountUse | undefined): AuthReply {
  const { pointsRedeemed, redeemedMinor, ...always } = f;
  return {
    v: 1,
    corr: req.corr,
    txnId: req.txnId,
    approved: true,
    ...always,
    // Only when points paid: replies to plain sales keep the shape they always had.
    ...(pointsRedeemed > 0 ? { pointsRedeemed, redeemedMinor } : {}),
    ...(countUse ? { countUse } : {}),
    card,
  };
}

function decline(req: AuthRequest, code: AnyDeclineCode, card: CardSnapshot | null): AuthReply {
  return { v: 1, corr: req.corr, txnId: req.txnId, approved: false, code, card };
}
