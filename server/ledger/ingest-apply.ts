/**
 * Applying verified journal entries to the ledger, inside the batch's transaction.
 *
 * The transaction id is the exactly-once key for money: `INSERT … ON CONFLICT (txn_id) DO
 * NOTHING` decides which entries move money; one already in the ledger (approved online, or the
 * same sale re-sent under another seq) is recorded in the journal but leaves balances alone. An
 * offline debit the balance cannot cover is still applied — the goods are gone
 * (docs/architecture.md#reconciliation-with-head-office) — and becomes a shortfall that
 * hotlists the account's cards.
 *
 * Points redeemed and count-card uses are applied by the same rule, with their own
 * shortfall alerts (ingest-redemptions.ts). A sale's entry confirms its online hold, and
 * one whose hold was released before it arrived is applied as new (ingest-holds.ts).
 *
 * Round trips are what cost (docs/architecture.md#the-servers-ingest: batch by statement, not
 * by transaction): a batch is three statements — lock the accounts, insert journal rows and
 * transactions, move balances and the chain head — plus count-use, shortfall and hotlist
 * statements only when needed.
 */
import { balanceDelta, type JournalEntry, pointsDelta } from "../../protocol/journal-entry.js";
import type { Queryable } from "../db/db.js";
import { toSafeInt } from "../db/int.js";
import type { AlertInput } from "./alerts.js";
import { addToHotlist, clearShortfallListing } from "./hotlist.js";
import { settleHolds } from "./ingest-holds.js";
import { applyCountUses, pointsShortfalls } from "./ingest-redemptions.js";
import { findTransactions } from "./transactions.js";

export interface ApplyResult {
  /** Entries whose transaction was new and moved money. */
  moved: number;
  /** Entries whose transaction was already in the ledger. */
  alreadyApplied: number;
  shortfalls: number;
  hotlistChanged: boolean;
  alerts: AlertInput[];
}

interface Shortfall {
  seq: number;
  txn_id: string;
  card_id: string;
  account_id: string | null;
  amount: number;
  balance_after: number | null;
}

interface AccountMove {
  id: string;
  delta: number;
  pts: number;
  balance: number;
}

/** Applies `entries` (already verified, in seq order) and moves the terminal's chain head to `head`. */
export async function applyEntries(
  tx: Queryable,
  terminalId: string,
  entries: readonly JournalEntry[],
  head: { seq: number; hash: string },
): Promise<ApplyResult> {
  const accounts = await lockAccounts(tx, entries);
  const firsts = firstPerTxn(entries);
  const inserted = await insertEntries(tx, terminalId, entries, firsts, accounts.byCard);
  const fresh = firsts.filter((e) => inserted.has(e.txnId));
  const freshSet = new Set(fresh);
  const repeats = entries.filter((e) => !freshSet.has(e));
  const alerts = await checkRepeats(tx, terminalId, repeats);
  alerts.push(...(await settleHolds(tx, terminalId, fresh, repeats)));
  const { moves, shortfalls, unknown } = money(fresh, accounts);
  for (const e of unknown) alerts.push(unknownCardAlert(terminalId, e));
  for (const s of shortfalls) alerts.push(shortfallAlert(terminalId, s));
  alerts.push(...pointsShortfalls(terminalId, fresh, accounts.byCard, accounts.points));
  await moveMoneyAndHead(tx, terminalId, moves, head);
  alerts.push(...(await applyCountUses(tx, terminalId, fresh)));
  const hotlistChanged = await settleShortfalls(tx, moves, shortfalls, accounts.listed);
  return { moved: fresh.length, alreadyApplied: repeats.length, shortfalls: shortfalls.length, hotlistChanged, alerts };
}

interface LockedAccounts {
  byCard: Map<string, string>;
  balance: Map<string, number>;
  points: Map<string, number>;
  /** Accounts with a card on the hotlist for a shortfall (the only ones a top-up can clear). */
  listed: Set<string>;
}

/** Locks (in id order, so concurrent batches cannot deadlock) the accounts of the cards in the batch. */
async function lockAccounts(tx: Queryable, entries: readonly JournalEntry[]): Promise<LockedAccounts> {
  const cardIds = [...new Set(entries.map((e) => e.cardId))];
  const { rows } = await tx.query<{
    card_id: string;
    account_id: string;
    balance: unknown;
    points: unknown;
    listed: boolean;
  }>(
    `SELECT c.card_id, a.id AS account_id, a.balance, a.points,
       EXISTS (SELECT 1 FROM cards c2 JOIN hotlist_cards h ON h.card_id = c2.card_id
               WHERE c2.account_id = a.id AND h.reason = 'shortfall') AS listed
     FROM cards c JOIN accounts a ON a.id = c.account_id
     WHERE c.card_id = ANY($1::text[]) ORDER BY a.id FOR UPDATE OF a`,
    [cardIds],
  );
  const locked: LockedAccounts = { byCard: new Map(), balance: new Map(), points: new Map(), listed: new Set() };
  for (const r of rows) {
    locked.byCard.set(r.card_id, r.account_id);
    locked.balance.set(r.account_id, toSafeInt(r.balance, "accounts.balance"));
    locked.points.set(r.account_id, toSafeInt(r.points, "accounts.points"));
    if (r.listed) locked.listed.add(r.account_id);
  }
  return locked;
}

/**
 * One statement: every entry into the journal of record, and the first entry of each
 * transaction id into the transactions table unless that id is already there. Columns
 * travel as typed arrays through unnest(): one round trip, no JSON to take apart
 * (batch by statement, not by transaction).
 */
async function insertEntries(
  tx: Queryable,
  terminalId: string,
  entries: readonly JournalEntry[],
  firsts: readonly JournalEntry[],
  accountOf: ReadonlyMap<string, string>,
): Promise<Set<string>> {
  const col = <K extends keyof JournalEntry>(k: K) => firsts.map((e) => e[k]);
  const { rows } = await tx.query<{ txn_id: string }>(
    `WITH journal AS (
       INSERT INTO journal_entries (terminal_id, seq, hash, txn_id, payload)
       SELECT $1, s, h, t, e::text
       FROM unnest($2::bigint[], $3::text[], $4::text[]) WITH ORDINALITY AS j(s, h, t, n)
       JOIN json_array_elements($5::json) WITH ORDINALITY AS x(e, m) ON m = n
     )
     INSERT INTO transactions (txn_id, terminal_id, seq, kind, mode, source, card_id, account_id, operator_id,
       gross, discount, net, bonus, points, balance_after, at, business_day,
       points_redeemed, redeemed_minor, package_id, uses)
     SELECT t, $1, s, k, m, 'journal', c, a, o, g, d, n, b, p, NULL, at, bd, pr, rm, pk, u
     FROM unnest($6::text[], $7::bigint[], $8::text[], $9::text[], $10::text[], $11::text[], $12::text[],
       $13::bigint[], $14::bigint[], $15::bigint[], $16::bigint[], $17::bigint[], $18::text[], $19::text[],
       $20::bigint[], $21::bigint[], $22::text[], $23::int[])
       AS x(t, s, k, m, c, a, o, g, d, n, b, p, at, bd, pr, rm, pk, u)
     ON CONFLICT (txn_id) DO NOTHING
     RETURNING txn_id`,
    [
      terminalId,
      entries.map((e) => e.seq),
      entries.map((e) => e.hash),
      entries.map((e) => e.txnId),
      // One JSON array, each element kept as its text: no per-string array escaping.
      JSON.stringify(entries),
      col("txnId"),
      col("seq"),
      col("kind"),
      col("mode"),
      col("cardId"),
      firsts.map((e) => accountOf.get(e.cardId) ?? null),
      col("operatorId"),
      col("gross"),
      col("discount"),
      col("net"),
      col("bonus"),
      col("pointsEarned"),
      col("at"),
      col("businessDay"),
      firsts.map((e) => e.pointsRedeemed ?? 0),
      firsts.map((e) => e.redeemedMinor ?? 0),
      firsts.map((e) => e.countPackageId ?? null),
      firsts.map((e) => e.countUses ?? 0),
    ],
  );
  return new Set(rows.map((r) => r.txn_id));
}

function firstPerTxn(entries: readonly JournalEntry[]): JournalEntry[] {
  const seen = new Set<string>();
  return entries.filter((e) => !seen.has(e.txnId) && seen.add(e.txnId));
}

/** A repeat of a known txnId must describe the same sale; if not, head office hears of it. */
async function checkRepeats(
  tx: Queryable,
  terminalId: string,
  repeats: readonly JournalEntry[],
): Promise<AlertInput[]> {
  const stored = new Map(
    (
      await findTransactions(
        tx,
        repeats.map((e) => e.txnId),
      )
    ).map((t) => [t.txnId, t]),
  );
  const alerts: AlertInput[] = [];
  for (const e of repeats) {
    const t = stored.get(e.txnId);
    const same =
      t &&
      t.cardId === e.cardId &&
      t.kind === e.kind &&
      t.gross === e.gross &&
      t.net === e.net &&
      t.bonus === e.bonus &&
      t.pointsRedeemed === (e.pointsRedeemed ?? 0) &&
      t.packageId === (e.countPackageId ?? null) &&
      t.uses === (e.countUses ?? 0);
    if (!same) {
      const detail = `entry #${e.seq} reuses txnId ${e.txnId} of a different transaction; no money moved for it`;
      alerts.push({ kind: "txn-conflict", terminalId, seq: e.seq, txnId: e.txnId, detail });
    }
  }
  return alerts;
}

/** Runs the new transactions over the locked balances in seq order. */
function money(
  fresh: readonly JournalEntry[],
  accounts: { byCard: Map<string, string>; balance: Map<string, number> },
): { moves: AccountMove[]; shortfalls: Shortfall[]; unknown: JournalEntry[] } {
  const moves = new Map<string, AccountMove>();
  const shortfalls: Shortfall[] = [];
  const unknown: JournalEntry[] = [];
  for (const e of fresh) {
    const accountId = accounts.byCard.get(e.cardId);
    const delta = balanceDelta(e);
    if (accountId === undefined) {
      unknown.push(e);
      if (delta < 0) shortfalls.push(shortfall(e, null, -delta, null));
      continue;
    }
    const move = moves.get(accountId) ?? { id: accountId, delta: 0, pts: 0, balance: accounts.balance.get(accountId)! };
    move.delta += delta;
    move.pts += pointsDelta(e);
    move.balance += delta;
    moves.set(accountId, move);
    if (delta < 0 && move.balance < 0)
      shortfalls.push(shortfall(e, accountId, Math.min(-delta, -move.balance), move.balance));
  }
  return { moves: [...moves.values()], shortfalls, unknown };
}

function shortfall(e: JournalEntry, accountId: string | null, amount: number, after: number | null): Shortfall {
  return { seq: e.seq, txn_id: e.txnId, card_id: e.cardId, account_id: accountId, amount, balance_after: after };
}

/** One statement: the balance moves and the terminal's new chain head. */
async function moveMoneyAndHead(
  tx: Queryable,
  terminalId: string,
  moves: readonly AccountMove[],
  head: { seq: number; hash: string },
): Promise<void> {
  await tx.query(
    `WITH moved AS (
       UPDATE accounts a SET balance = a.balance + m.delta, points = a.points + m.pts
       FROM unnest($4::text[], $5::bigint[], $6::bigint[]) AS m(id, delta, pts) WHERE a.id = m.id
     )
     UPDATE terminals SET acked_seq = $2, last_hash = $3, updated_at = now() WHERE id = $1`,
    [terminalId, head.seq, head.hash, moves.map((m) => m.id), moves.map((m) => m.delta), moves.map((m) => m.pts)],
  );
}

/** Records shortfalls and moves cards on or off the hotlist; returns whether the hotlist changed. */
async function settleShortfalls(
  tx: Queryable,
  moves: readonly AccountMove[],
  shortfalls: readonly Shortfall[],
  listed: ReadonlySet<string>,
): Promise<boolean> {
  if (shortfalls.length > 0) {
    await tx.query(
      `INSERT INTO shortfalls (txn_id, card_id, account_id, amount, balance_after)
       SELECT txn_id, card_id, account_id, amount, balance_after
       FROM jsonb_to_recordset($1::jsonb) AS s(txn_id text, card_id text, account_id text, amount bigint, balance_after bigint)
       ON CONFLICT (txn_id) DO NOTHING`,
      [JSON.stringify(shortfalls)],
    );
  }
  // Judged on each account's balance at the end of the batch: a top-up later in the
  // same batch that covers a shortfall leaves the cards off the hotlist.
  const covered = moves.filter((m) => m.balance >= 0).map((m) => m.id);
  const cleared = await clearShortfallListing(
    tx,
    covered.filter((id) => listed.has(id)),
  );
  const listedNow = await addToHotlist(tx, await cardsToHotlist(tx, shortfalls, new Set(covered)), "shortfall");
  return cleared || listedNow;
}

/** Every card sharing an account still negative, and any unknown card that was debited. */
async function cardsToHotlist(
  tx: Queryable,
  shortfalls: readonly Shortfall[],
  covered: ReadonlySet<string>,
): Promise<string[]> {
  const negative = [
    ...new Set(shortfalls.flatMap((s) => (s.account_id && !covered.has(s.account_id) ? [s.account_id] : []))),
  ];
  const unknownCards = shortfalls.filter((s) => s.account_id === null).map((s) => s.card_id);
  if (negative.length === 0) return unknownCards;
  const { rows } = await tx.query<{ card_id: string }>("SELECT card_id FROM cards WHERE account_id = ANY($1::text[])", [
    negative,
  ]);
  return [...new Set([...rows.map((r) => r.card_id), ...unknownCards])];
}

function unknownCardAlert(terminalId: string, e: JournalEntry): AlertInput {
  const detail = `entry #${e.seq}: card ${e.cardId} is not in the ledger; the ${e.kind} of ${e.net} fen has no account`;
  return { kind: "unknown-card", terminalId, seq: e.seq, txnId: e.txnId, detail };
}

function shortfallAlert(terminalId: string, s: Shortfall): AlertInput {
  const detail = `offline debit on ${s.card_id} not covered by ${s.amount} fen (balance after: ${s.balance_after ?? "no account"})`;
  return { kind: "shortfall", terminalId, seq: s.seq, txnId: s.txn_id, detail };
}
