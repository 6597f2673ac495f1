/**
 * The ledger schema, as numbered migrations applied in order and recorded in
 * schema_migrations; the same SQL runs on PGlite and PostgreSQL. Never edit a
 * migration that has shipped: add the next number.
 *
 * Amounts are BIGINT fen. Terminal-supplied text (`at`, `business_day`) is stored as
 * text, not cast: an entry that is MAC-valid but oddly formatted must still apply,
 * or it would block its terminal's chain forever.
 */
import type { Db } from "./db.js";

export interface Migration {
  id: number;
  name: string;
  statements: string[];
}

const GENESIS = "0".repeat(64);

export const MIGRATIONS: readonly Migration[] = [
  {
    id: 1,
    name: "ledger",
    statements: [
      `CREATE TABLE policies (
        version integer PRIMARY KEY,
        document jsonb NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      )`,
      `CREATE TABLE terminals (
        id text PRIMARY KEY,
        key_hex text NOT NULL,
        acked_seq bigint NOT NULL DEFAULT 0,
        last_hash text NOT NULL DEFAULT '${GENESIS}',
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`,
      `CREATE TABLE members (
        id text PRIMARY KEY,
        name text NOT NULL,
        phone text,
        birthday text CHECK (birthday ~ '^[0-9]{2}-[0-9]{2}$'),
        created_at timestamptz NOT NULL DEFAULT now()
      )`,
      `CREATE TABLE accounts (
        id text PRIMARY KEY,
        member_id text NOT NULL REFERENCES members(id),
        balance bigint NOT NULL,
        points bigint NOT NULL DEFAULT 0,
        opening_balance bigint NOT NULL,
        opening_points bigint NOT NULL DEFAULT 0
      )`,
      `CREATE TABLE cards (
        card_id text PRIMARY KEY,
        account_id text NOT NULL REFERENCES accounts(id),
        card_type text NOT NULL,
        status text NOT NULL CHECK (status IN ('active', 'lost', 'frozen', 'cancelled', 'replaced')),
        issued_at timestamptz NOT NULL DEFAULT now()
      )`,
      "CREATE INDEX cards_account ON cards (account_id)",
      `CREATE TABLE transactions (
        txn_id text PRIMARY KEY,
        terminal_id text NOT NULL REFERENCES terminals(id),
        seq bigint,
        kind text NOT NULL CHECK (kind IN ('sale', 'topup')),
        mode text NOT NULL CHECK (mode IN ('online', 'offline')),
        source text NOT NULL CHECK (source IN ('online-auth', 'journal')),
        card_id text NOT NULL,
        account_id text REFERENCES accounts(id),
        operator_id text NOT NULL,
        gross bigint NOT NULL,
        discount bigint NOT NULL,
        net bigint NOT NULL,
        bonus bigint NOT NULL DEFAULT 0,
        points bigint NOT NULL,
        balance_after bigint,
        at text NOT NULL,
        business_day text NOT NULL,
        recorded_at timestamptz NOT NULL DEFAULT now()
      )`,
      "CREATE INDEX transactions_card ON transactions (card_id)",
      "CREATE INDEX transactions_terminal_day ON transactions (terminal_id, business_day)",
      `CREATE TABLE journal_entries (
        terminal_id text NOT NULL REFERENCES terminals(id),
        seq bigint NOT NULL,
        hash text NOT NULL,
        txn_id text NOT NULL,
        payload jsonb NOT NULL,
        received_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (terminal_id, seq)
      )`,
      `CREATE TABLE shortfalls (
        id bigserial PRIMARY KEY,
        txn_id text NOT NULL UNIQUE,
        card_id text NOT NULL,
        account_id text REFERENCES accounts(id),
        amount bigint NOT NULL CHECK (amount > 0),
        balance_after bigint,
        recorded_at timestamptz NOT NULL DEFAULT now()
      )`,
      `CREATE TABLE hotlist_meta (
        id integer PRIMARY KEY CHECK (id = 1),
        version bigint NOT NULL
      )`,
      "INSERT INTO hotlist_meta (id, version) VALUES (1, 0)",
      `CREATE TABLE hotlist_cards (
        card_id text PRIMARY KEY,
        reason text NOT NULL,
        added_at timestamptz NOT NULL DEFAULT now()
      )`,
      `CREATE TABLE alerts (
        id bigserial PRIMARY KEY,
        at timestamptz NOT NULL DEFAULT now(),
        kind text NOT NULL,
        terminal_id text,
        seq bigint,
        txn_id text,
        detail text NOT NULL
      )`,
    ],
  },
  {
    id: 2,
    name: "terminal status",
    statements: [
      `CREATE TABLE terminal_status (
        terminal_id text PRIMARY KEY,
        presence text,
        presence_at text,
        heartbeat_at text,
        pending bigint,
        policy_version bigint,
        hotlist_version bigint,
        devices jsonb NOT NULL DEFAULT '{}'::jsonb
      )`,
    ],
  },
  {
    id: 3,
    name: "hotlist deltas, terminal stores",
    statements: [
      // One row per card per hotlist version that changed it: the deltas terminals apply.
      `CREATE TABLE hotlist_changes (
        version bigint NOT NULL,
        card_id text NOT NULL,
        added boolean NOT NULL,
        PRIMARY KEY (version, card_id)
      )`,
      "ALTER TABLE terminals ADD COLUMN store_id text",
    ],
  },
  {
    id: 4,
    name: "ingest at chain scale",
    statements: [
      // The ingest writes these rows while it holds the terminal's row FOR UPDATE (it read
      // the chain head from it), and terminals are never deleted: the per-row foreign-key
      // checks only re-proved that, at a third of the insert's cost (bench/ingest-drain.ts).
      "ALTER TABLE journal_entries DROP CONSTRAINT journal_entries_terminal_id_fkey",
      "ALTER TABLE transactions DROP CONSTRAINT transactions_terminal_id_fkey",
      // The entry as the terminal signed and sent it, kept as text: never queried by field,
      // and jsonb's parse on every insert cost 30% of the journal write.
      "ALTER TABLE journal_entries ALTER COLUMN payload TYPE text USING payload::text",
    ],
  },
  {
    id: 5,
    name: "head-office back office",
    statements: [
      // Top-ups taken at head office have no terminal and no journal entry: terminal_id is
      // NULL and source 'hq'. Ingest never writes such rows, and their txn ids ("hq-…") are
      // never ones a terminal makes, so the exactly-once key (txn_id) is shared unchanged.
      "ALTER TABLE transactions ALTER COLUMN terminal_id DROP NOT NULL",
      "ALTER TABLE transactions DROP CONSTRAINT transactions_source_check",
      `ALTER TABLE transactions ADD CONSTRAINT transactions_source_check
        CHECK (source IN ('online-auth', 'journal', 'hq'))`,
      `ALTER TABLE transactions ADD CONSTRAINT transactions_hq_has_no_terminal
        CHECK ((source = 'hq') = (terminal_id IS NULL))`,
      "CREATE INDEX transactions_day ON transactions (business_day)",
      "CREATE INDEX transactions_account ON transactions (account_id)",
      "ALTER TABLE members ADD COLUMN updated_at timestamptz NOT NULL DEFAULT now()",
      "CREATE INDEX members_phone ON members (phone)",
      // Sub-cards point at their primary (same account) and may carry their own limits
      // (rules/sub-card.ts); a replaced card names its successor.
      "ALTER TABLE cards ADD COLUMN primary_card_id text REFERENCES cards(card_id)",
      "ALTER TABLE cards ADD COLUMN per_txn_limit bigint CHECK (per_txn_limit >= 0)",
      "ALTER TABLE cards ADD COLUMN daily_limit bigint CHECK (daily_limit >= 0)",
      "ALTER TABLE cards ADD COLUMN pin_hash text",
      "ALTER TABLE cards ADD COLUMN replaced_by text REFERENCES cards(card_id)",
      "ALTER TABLE cards ADD COLUMN status_at timestamptz NOT NULL DEFAULT now()",
      "CREATE INDEX cards_primary ON cards (primary_card_id)",
      // Generated ids for members and accounts made at head office ("M100001", "A100001").
      "CREATE SEQUENCE member_seq START 100001",
      "CREATE SEQUENCE account_seq START 100001",
      // When each hotlist version was made: pruning keeps recent days as well as versions.
      "ALTER TABLE hotlist_changes ADD COLUMN changed_at timestamptz NOT NULL DEFAULT now()",
      `CREATE TABLE operators (
        id text PRIMARY KEY,
        store_id text NOT NULL,
        name text NOT NULL,
        role text NOT NULL CHECK (role IN ('cashier', 'supervisor', 'technician')),
        pin_hash text NOT NULL,
        active boolean NOT NULL DEFAULT true,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`,
      "CREATE INDEX operators_store ON operators (store_id)",
      // Who changed what, when: one row per back-office mutation, in its transaction.
      `CREATE TABLE audit_log (
        id bigserial PRIMARY KEY,
        at timestamptz NOT NULL DEFAULT now(),
        actor text NOT NULL,
        via text NOT NULL,
        action text NOT NULL,
        subject text NOT NULL,
        detail jsonb NOT NULL DEFAULT '{}'::jsonb
      )`,
      "CREATE INDEX audit_log_subject ON audit_log (subject)",
    ],
  },
  {
    id: 6,
    name: "till operations: refunds, voids, top-ups at the till",
    statements: [
      "ALTER TABLE transactions DROP CONSTRAINT transactions_kind_check",
      `ALTER TABLE transactions ADD CONSTRAINT transactions_kind_check
        CHECK (kind IN ('sale', 'topup', 'refund', 'void'))`,
      // A refund or void names what it gives back; the sum of them is what is left to refund.
      "ALTER TABLE transactions ADD COLUMN original_txn_id text",
      "ALTER TABLE transactions ADD COLUMN payment text",
      "ALTER TABLE transactions ADD COLUMN void_of text CHECK (void_of IN ('sale', 'topup'))",
      "CREATE INDEX transactions_original ON transactions (original_txn_id) WHERE original_txn_id IS NOT NULL",
    ],
  },
  {
    id: 7,
    name: "points redemption, count packages, online PIN checks",
    statements: [
      // Count packages (次卡): N uses of a service held by an account, granted or sold at
      // head office. remaining_uses may go below zero: an offline use the till approved is
      // applied, never rejected (the service was given), and alerted like a shortfall.
      `CREATE TABLE count_packages (
        package_id text PRIMARY KEY,
        account_id text NOT NULL REFERENCES accounts(id),
        service text NOT NULL CHECK (length(service) BETWEEN 1 AND 100),
        total_uses integer NOT NULL CHECK (total_uses > 0),
        remaining_uses integer NOT NULL,
        expires_on text CHECK (expires_on ~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}$'),
        price bigint CHECK (price >= 0),
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`,
      "CREATE INDEX count_packages_account ON count_packages (account_id)",
      "CREATE SEQUENCE count_package_seq START 100001",
      // A sale's points redeemed as cash (points still holds the points earned), and its
      // count use: reconcile() checks points and every package's uses against these.
      "ALTER TABLE transactions ADD COLUMN points_redeemed bigint NOT NULL DEFAULT 0",
      "ALTER TABLE transactions ADD COLUMN redeemed_minor bigint NOT NULL DEFAULT 0",
      "ALTER TABLE transactions ADD COLUMN package_id text",
      "ALTER TABLE transactions ADD COLUMN uses integer NOT NULL DEFAULT 0",
      "CREATE INDEX transactions_package ON transactions (package_id) WHERE package_id IS NOT NULL",
      // The server's PIN retry counter per card (rules/pin.ts), for online PIN checks.
      "ALTER TABLE cards ADD COLUMN pin_failures integer NOT NULL DEFAULT 0",
      "ALTER TABLE cards ADD COLUMN pin_locked_until bigint",
    ],
  },
  {
    id: 8,
    name: "operators sent to the tills: operator cards, till scope, document version",
    statements: [
      // The operator card that logs the operator in (upper-case uid, no ic:/id: prefix); a
      // card is one operator's, disabled or not, until head office takes it off them.
      "ALTER TABLE operators ADD COLUMN card_uid text",
      "CREATE UNIQUE INDEX operators_card_uid ON operators (card_uid) WHERE card_uid IS NOT NULL",
      // NULL: every till of the operator's store; else only these tills of it.
      "ALTER TABLE operators ADD COLUMN terminal_ids text[]",
      // Rises with every change of any operator, in that change's transaction: the version
      // of the operators documents the server publishes to the tills (protocol/operators-doc.ts).
      `CREATE TABLE operators_meta (
        id integer PRIMARY KEY CHECK (id = 1),
        version bigint NOT NULL
      )`,
      "INSERT INTO operators_meta (id, version) VALUES (1, 0)",
    ],
  },
  {
    id: 9,
    name: "member lookups counted per till",
    statements: [
      // The member-lookup limit (server/till/lookup-limit.ts) counts one till's recent
      // lookups on every lookup: by till and action, newest first, not a scan of the log.
      "CREATE INDEX audit_log_via_action_at ON audit_log (via, action, at)",
    ],
  },
  {
    id: 10,
    name: "operators version in the terminal status",
    statements: [
      // The operators document a till holds, from its heartbeat (null: not said, an older till).
      "ALTER TABLE terminal_status ADD COLUMN operators_version bigint",
    ],
  },
  {
    id: 11,
    name: "online approvals are holds until the till's journal entry confirms them",
    statements: [
      // docs/reconciliation.md. Every row before this migration is confirmed (the default):
      // only an online authorisation from now on starts 'held', with a deadline.
      `ALTER TABLE transactions ADD COLUMN hold_state text NOT NULL DEFAULT 'confirmed'
        CHECK (hold_state IN ('held', 'confirmed'))`,
      "ALTER TABLE transactions ADD COLUMN hold_until timestamptz",
      "ALTER TABLE transactions ADD COLUMN hold_resolved_at timestamptz",
      "ALTER TABLE transactions ADD COLUMN hold_resolved_by text",
      // The expiry job's scan and the held sums of `card show`: only the few open holds.
      "CREATE INDEX transactions_held ON transactions (hold_until) WHERE hold_state = 'held'",
      "CREATE INDEX transactions_held_account ON transactions (account_id) WHERE hold_state = 'held'",
      // A released hold leaves `transactions` (it moved no money, so no sum may see it) and
      // its row is kept here: the tombstone that refuses a late copy of its request and
      // tells the ingest that a journal entry arriving after it was released is late money.
      `CREATE TABLE released_holds (
        txn_id text PRIMARY KEY,
        terminal_id text,
        card_id text NOT NULL,
        account_id text,
        net bigint NOT NULL,
        held_row jsonb,
        released_by text NOT NULL CHECK (released_by IN ('till', 'expiry')),
        released_at timestamptz NOT NULL DEFAULT now(),
        applied_late_at timestamptz
      )`,
    ],
  },
  {
    id: 13,
    name: "journal integrity of each till, gaps skipped over, alerts that clear",
    statements: [
      // From the heartbeat (protocol/journal-integrity.ts); null: not said (an older till).
      "ALTER TABLE terminal_status ADD COLUMN integrity_ok boolean",
      "ALTER TABLE terminal_status ADD COLUMN integrity_failed_seq bigint",
      "ALTER TABLE terminal_status ADD COLUMN integrity_reason text",
      "ALTER TABLE terminal_status ADD COLUMN integrity_problem text",
      // The till's time of the first heartbeat that reported this failure.
      "ALTER TABLE terminal_status ADD COLUMN integrity_since text",
      // An alert about a state (not an event) is cleared when the state ends; one open per till.
      "ALTER TABLE alerts ADD COLUMN cleared_at timestamptz",
      `CREATE UNIQUE INDEX alerts_open_journal_integrity ON alerts (terminal_id)
        WHERE kind = 'journal-integrity' AND cleared_at IS NULL`,
      // Sequence numbers a till declared it cannot send, skipped over when a later entry's
      // own MAC held (docs/reconciliation.md). expected_hash: the prevHash of the entry
      // right after, which the real entry must hash to; a gap is filled if it ever arrives.
      `CREATE TABLE journal_gaps (
        terminal_id text NOT NULL,
        seq bigint NOT NULL,
        expected_hash text,
        reason text NOT NULL,
        skipped_by_seq bigint NOT NULL,
        skipped_at timestamptz NOT NULL DEFAULT now(),
        filled_at timestamptz,
        PRIMARY KEY (terminal_id, seq)
      )`,
    ],
  },
];

/** Any constant: serialises two servers migrating the same PostgreSQL at once. */
const MIGRATION_LOCK = 0x63617264;

/** Applies the missing migrations in one transaction; returns the ids it applied. */
export async function migrate(db: Db, migrations: readonly Migration[] = MIGRATIONS): Promise<number[]> {
  return db.transaction(async (tx) => {
    await tx.query("SELECT pg_advisory_xact_lock($1)", [MIGRATION_LOCK]);
    await tx.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
      id integer PRIMARY KEY,
      name text NOT NULL,
      applied_at timestamptz NOT NULL DEFAULT now()
    )`);
    const { rows } = await tx.query<{ id: number }>("SELECT id FROM schema_migrations");
    const done = new Set(rows.map((r) => Number(r.id)));
    const applied: number[] = [];
    for (const m of [...migrations].sort((a, b) => a.id - b.id)) {
      if (done.has(m.id)) continue;
      for (const sql of m.statements) await tx.query(sql);
      await tx.query("INSERT INTO schema_migrations (id, name) VALUES ($1, $2)", [m.id, m.name]);
      applied.push(m.id);
    }
    return applied;
  });
}
