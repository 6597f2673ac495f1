/**
 * Holds: an online approval's money, taken from the account when the server approves
 * (authorise.ts) and kept there only once the till says it recorded the sale
 * (docs/reconciliation.md has the states and who moves each).
 *
 * - confirm (the till's journal entry at ingest, the till's `confirm`, a refund or void of
 *   the sale): held → confirmed, nothing moves — the approval already took the money;
 * - release (the till's `release`, the expiry job): held → released — the sale's whole
 *   effect goes back (stored value, points redeemed and earned, count uses), the row leaves
 *   `transactions` for `released_holds`, so no sum over transactions can ever see it.
 *
 * Every move locks the account row first, then the transaction row — the order the
 * authorisation and the ingest take them in — so a release racing the sale's journal entry
 * waits for it (or it for the release) and exactly one of them wins, never a deadlock.
 */
import type { HoldAction, HoldOutcome, HoldState } from "../../protocol/holds.js";
import type { Db, Queryable } from "../db/db.js";
import { toSafeInt } from "../db/int.js";
import { type AlertInput, recordAlerts } from "./alerts.js";

export type HoldMover = "journal" | "till" | "expiry" | "reversal";

export interface ReleaseAsk {
  txnId: string;
  /** The till asking; null for the expiry job (which may release any terminal's hold). */
  terminalId: string | null;
  /** The intent's card and amount: only for the tombstone of a txnId the server never held. */
  cardId: string;
  amount: number;
  by: "till" | "expiry";
}

interface HoldRow {
  terminal_id: string | null;
  account_id: string | null;
  card_id: string;
  source: string;
  hold_state: "held" | "confirmed";
  net: unknown;
  reversed: boolean;
}

const outcome = (txnId: string, action: HoldAction, state: HoldState, changed: boolean, note: string) =>
  ({ txnId, action, state, changed, note }) satisfies HoldOutcome;

/** Release a hold; idempotent. A confirmed one is refused (the till recorded it: it is real money). */
export function releaseHold(db: Db, ask: ReleaseAsk): Promise<HoldOutcome> {
  return db.transaction(async (tx) => {
    const row = await lockedHold(tx, ask.txnId);
    if (!row) return releaseUnknown(tx, ask);
    if (ask.terminalId !== null && row.terminal_id !== ask.terminalId) {
      const note = `transaction ${ask.txnId} is not till ${ask.terminalId}'s; nothing released`;
      await recordAlerts(tx, [
        { kind: "hold-release-refused", terminalId: ask.terminalId, txnId: ask.txnId, detail: note },
      ]);
      return outcome(ask.txnId, "release", "unknown", false, note);
    }
    if (row.source !== "online-auth" || row.hold_state === "confirmed") {
      return outcome(ask.txnId, "release", "confirmed", false, "already confirmed: the sale stands, nothing released");
    }
    if (row.reversed) {
      // A refund or void confirms the sale it reverses (till-ops.ts); this is only a backstop.
      await confirmLocked(tx, ask.txnId, "reversal");
      return outcome(
        ask.txnId,
        "release",
        "confirmed",
        true,
        "a refund or void names this sale: confirmed, not released",
      );
    }
    const net = await giveBack(tx, ask.txnId, ask.by);
    const detail =
      ask.by === "expiry"
        ? `hold of ${net} fen on ${row.card_id} (till ${row.terminal_id}) not confirmed in time: released, the balance is given back; a journal entry for it arriving later is still applied`
        : `till ${row.terminal_id} never recorded the sale it asked for (a crash or a full disk): hold of ${net} fen on ${row.card_id} released`;
    const alert: AlertInput = {
      kind: ask.by === "expiry" ? "hold-expired" : "hold-released",
      terminalId: row.terminal_id,
      txnId: ask.txnId,
      detail,
    };
    await recordAlerts(tx, [alert]);
    return outcome(ask.txnId, "release", "released", true, detail);
  });
}

/** The till's `confirm`: its journal holds the sale, which will follow. Idempotent. */
export function confirmHold(db: Db, txnId: string, terminalId: string): Promise<HoldOutcome> {
  return db.transaction(async (tx) => {
    const row = await lockedHold(tx, txnId);
    if (!row) {
      const released = await tx.query("SELECT 1 FROM released_holds WHERE txn_id = $1", [txnId]);
      return released.rows.length > 0
        ? outcome(
            txnId,
            "confirm",
            "released",
            false,
            "released earlier: the journal entry applies the sale again when it arrives",
          )
        : outcome(txnId, "confirm", "unknown", false, "no hold: the journal entry applies the sale when it arrives");
    }
    if (row.terminal_id !== terminalId) {
      return outcome(txnId, "confirm", "unknown", false, `transaction ${txnId} is not till ${terminalId}'s`);
    }
    if (row.hold_state === "confirmed") return outcome(txnId, "confirm", "confirmed", false, "already confirmed");
    await confirmLocked(tx, txnId, "till");
    return outcome(txnId, "confirm", "confirmed", true, "confirmed by the till");
  });
}

/**
 * Inside a transaction that already locked the account (a refund or void of the sale):
 * held → confirmed. The till acts on the sale as real, so it cannot be released after.
 */
export async function confirmIfHeld(tx: Queryable, txnId: string, by: HoldMover): Promise<void> {
  await confirmLocked(tx, txnId, by);
}

async function confirmLocked(tx: Queryable, txnId: string, by: HoldMover): Promise<void> {
  await tx.query(
    `UPDATE transactions SET hold_state = 'confirmed', hold_resolved_at = now(), hold_resolved_by = $2
     WHERE txn_id = $1 AND hold_state = 'held'`,
    [txnId, by],
  );
}

/** The hold's row with its account locked first, then the row itself (the order every writer takes). */
async function lockedHold(tx: Queryable, txnId: string): Promise<HoldRow | undefined> {
  const first = await tx.query<{ account_id: string | null }>("SELECT account_id FROM transactions WHERE txn_id = $1", [
    txnId,
  ]);
  if (!first.rows[0]) return undefined;
  const accountId = first.rows[0].account_id;
  if (accountId !== null) await tx.query("SELECT 1 FROM accounts WHERE id = $1 FOR UPDATE", [accountId]);
  const { rows } = await tx.query<HoldRow>(
    `SELECT terminal_id, account_id, card_id, source, hold_state, net,
       EXISTS (SELECT 1 FROM transactions r WHERE r.original_txn_id = t.txn_id) AS reversed
     FROM transactions t WHERE txn_id = $1 FOR UPDATE`,
    [txnId],
  );
  return rows[0];
}

/**
 * One statement: the row leaves `transactions` for `released_holds`, and the account and
 * package get back all the approval took (authorise.ts debit: balance − net, points +
 * earned − redeemed, uses − uses).
 */
async function giveBack(tx: Queryable, txnId: string, by: "till" | "expiry"): Promise<number> {
  const { rows } = await tx.query<{ net: unknown }>(
    `WITH gone AS (
       DELETE FROM transactions WHERE txn_id = $1 AND hold_state = 'held' RETURNING *
     ), back AS (
       UPDATE accounts a SET balance = a.balance + g.net, points = a.points - g.points + g.points_redeemed
       FROM gone g WHERE a.id = g.account_id RETURNING a.id
     ), uses AS (
       UPDATE count_packages p SET remaining_uses = p.remaining_uses + g.uses, updated_at = now()
       FROM gone g WHERE p.package_id = g.package_id AND g.uses > 0 RETURNING p.package_id
     ), tomb AS (
       INSERT INTO released_holds (txn_id, terminal_id, card_id, account_id, net, held_row, released_by)
       SELECT g.txn_id, g.terminal_id, g.card_id, g.account_id, g.net, to_jsonb(g), $2 FROM gone g
       RETURNING txn_id
     )
     SELECT net FROM gone`,
    [txnId, by],
  );
  if (!rows[0]) throw new Error(`hold ${txnId} was locked as held but could not be released`);
  return toSafeInt(rows[0].net, "transactions.net");
}

/**
 * A release for a txnId the server has no row for: its request was lost, or is still on its
 * way. The tombstone makes sure a late copy is refused (authorise.ts), not approved.
 */
async function releaseUnknown(tx: Queryable, ask: ReleaseAsk): Promise<HoldOutcome> {
  const { rows } = await tx.query<{ txn_id: string }>(
    `INSERT INTO released_holds (txn_id, terminal_id, card_id, account_id, net, held_row, released_by)
     VALUES ($1, $2, $3, NULL, 0, NULL, $4) ON CONFLICT (txn_id) DO NOTHING RETURNING txn_id`,
    [ask.txnId, ask.terminalId, ask.cardId, ask.by],
  );
  return rows.length > 0
    ? outcome(ask.txnId, "release", "released", false, "nothing was held; a late copy of the request will be refused")
    : outcome(ask.txnId, "release", "released", false, "already released");
}

/** Holds past their deadline, oldest first (the expiry job releases them one by one). */
export async function expiredHolds(q: Queryable, now: Date, limit = 100): Promise<{ txnId: string; cardId: string }[]> {
  const { rows } = await q.query<{ txn_id: string; card_id: string }>(
    `SELECT txn_id, card_id FROM transactions WHERE hold_state = 'held' AND hold_until < $1::timestamptz
     ORDER BY hold_until LIMIT $2`,
    [now.toISOString(), limit],
  );
  return rows.map((r) => ({ txnId: r.txn_id, cardId: r.card_id }));
}

/** What an account has held right now (shown beside its balance). */
export async function heldOnAccount(q: Queryable, accountId: string): Promise<{ held: number; holds: number }> {
  const { rows } = await q.query<{ held: unknown; holds: unknown }>(
    `SELECT coalesce(sum(net), 0) AS held, count(*) AS holds FROM transactions
     WHERE account_id = $1 AND hold_state = 'held'`,
    [accountId],
  );
  return { held: toSafeInt(rows[0]?.held ?? 0, "held"), holds: toSafeInt(rows[0]?.holds ?? 0, "holds") };
}
