/**
 * The demo chain: policy, members with well-known cards (for the README and the demo),
 * and terminals with their keys. Idempotent: running it twice changes nothing, except
 * a terminal key given anew, which replaces the stored one (the demo box may have
 * generated a new key; entries already applied were verified with the old one).
 */
import type { CardStatus } from "../../rules/card.js";
import { parseMoney } from "../../rules/money.js";
import { demoPolicy } from "../../rules/policy.js";
import type { Db, Queryable } from "../db/db.js";
import { addToHotlist, type HotlistReason } from "./hotlist.js";
import { savePolicy } from "./policy-store.js";

export interface DemoTerminal {
  id: string;
  keyHex: string;
}

export interface DemoMember {
  memberId: string;
  accountId: string;
  name: string;
  phone: string;
  birthday: string;
  cardId: string;
  cardType: string;
  status: CardStatus;
  balance: number;
  points: number;
}

const member = (
  n: number,
  name: string,
  birthday: string,
  cardId: string,
  cardType: string,
  balance: string,
  points: number,
  status: CardStatus = "active",
): DemoMember => ({
  memberId: `M${String(n).padStart(4, "0")}`,
  accountId: `A${String(n).padStart(4, "0")}`,
  name,
  phone: `1380000${String(n).padStart(4, "0")}`,
  birthday,
  cardId,
  cardType,
  status,
  balance: parseMoney(balance),
  points,
});

/** The demo cards, as printed in the README. */
export const DEMO_MEMBERS: readonly DemoMember[] = [
  member(1, "张伟", "03-15", "ic:04A1B2C3", "gold", "1000.00", 500),
  member(2, "李娜", "08-08", "ic:04D5E6F7", "silver", "300.00", 120),
  member(3, "王芳", "11-20", "ic:0A0B0C0D", "standard", "50.00", 0),
  member(4, "刘洋", "06-01", "ic:0BADCAFE", "standard", "80.00", 0, "frozen"),
  member(5, "陈静", "12-24", "id:0012345678", "standard", "200.00", 30),
];

const HEX_KEY = /^(?:[0-9a-fA-F]{2}){16,64}$/;

export async function seedDemo(db: Db, opts: { terminals?: readonly DemoTerminal[] } = {}): Promise<void> {
  for (const t of opts.terminals ?? []) {
    if (!HEX_KEY.test(t.keyHex)) throw new TypeError(`terminal ${t.id}: key must be 16–64 bytes of hex`);
  }
  await db.transaction(async (tx) => {
    await savePolicy(tx, demoPolicy());
    for (const m of DEMO_MEMBERS) await seedMember(tx, m);
    for (const t of opts.terminals ?? []) await registerTerminal(tx, t);
  });
}

/** Registers a terminal and its MAC key; a new key for a known terminal replaces the old one. */
export async function registerTerminal(q: Queryable, t: DemoTerminal): Promise<void> {
  await q.query(
    `INSERT INTO terminals (id, key_hex) VALUES ($1, $2)
     ON CONFLICT (id) DO UPDATE SET key_hex = EXCLUDED.key_hex, updated_at = now()
     WHERE terminals.key_hex <> EXCLUDED.key_hex`,
    [t.id, t.keyHex.toLowerCase()],
  );
}

async function seedMember(tx: Queryable, m: DemoMember): Promise<void> {
  await tx.query(
    "INSERT INTO members (id, name, phone, birthday) VALUES ($1, $2, $3, $4) ON CONFLICT (id) DO NOTHING",
    [m.memberId, m.name, m.phone, m.birthday],
  );
  await tx.query(
    `INSERT INTO accounts (id, member_id, balance, points, opening_balance, opening_points)
     VALUES ($1, $2, $3, $4, $3, $4) ON CONFLICT (id) DO NOTHING`,
    [m.accountId, m.memberId, m.balance, m.points],
  );
  await tx.query(
    `INSERT INTO cards (card_id, account_id, card_type, status) VALUES ($1, $2, $3, $4)
     ON CONFLICT (card_id) DO NOTHING`,
    [m.cardId, m.accountId, m.cardType, m.status],
  );
  if (m.status !== "active") await addToHotlist(tx, [m.cardId], m.status as HotlistReason);
}
