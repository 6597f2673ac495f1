/**
 * Members (会员): create, update the profile (name, phone, birthday), find, show.
 * A member's money lives in accounts (accounts.ts) and is reached through cards.
 */
import { CardtermError } from "../../protocol/errors.js";
import type { Db, Queryable } from "../db/db.js";
import { type Actor, audit, checkActor, isoTime } from "./actor.js";
import { optionalBirthday, optionalPhone, requireId, requireText } from "./validate.js";

export interface Member {
  memberId: string;
  name: string;
  phone: string | null;
  birthday: string | null;
  createdAt: string;
}

export interface NewMember {
  /** Omitted: the next generated id ("M100001"). */
  memberId?: string | undefined;
  name: string;
  phone?: string | null | undefined;
  birthday?: string | null | undefined;
}

export interface MemberUpdate {
  memberId: string;
  name?: string | undefined;
  /** null clears it. */
  phone?: string | null | undefined;
  birthday?: string | null | undefined;
}

interface MemberRow {
  id: string;
  name: string;
  phone: string | null;
  birthday: string | null;
  created_at: Date | string;
}

const toMember = (r: MemberRow): Member => ({
  memberId: r.id,
  name: r.name,
  phone: r.phone,
  birthday: r.birthday,
  createdAt: isoTime(r.created_at),
});

export async function createMember(db: Db, params: NewMember, actor: Actor): Promise<Member> {
  checkActor(actor);
  return db.transaction((tx) => insertMember(tx, params, actor));
}

/** Inside a caller's transaction (issuing a card to a new member does this too). */
export async function insertMember(tx: Queryable, params: NewMember, actor: Actor): Promise<Member> {
  const name = requireText(params.name, "name");
  const phone = optionalPhone(params.phone);
  const birthday = optionalBirthday(params.birthday);
  const wanted = params.memberId === undefined ? null : requireId(params.memberId, "memberId");
  const { rows } = await tx.query<MemberRow>(
    `INSERT INTO members (id, name, phone, birthday) VALUES (coalesce($1, 'M' || nextval('member_seq')), $2, $3, $4)
     ON CONFLICT (id) DO NOTHING RETURNING id, name, phone, birthday, created_at`,
    [wanted, name, phone, birthday],
  );
  if (!rows[0]) throw new CardtermError("CT_CONFLICT", `member ${wanted} already exists`);
  const member = toMember(rows[0]);
  await audit(tx, actor, "member.create", member.memberId, { name, phone, birthday });
  return member;
}

export async function updateMember(db: Db, params: MemberUpdate, actor: Actor): Promise<Member> {
  checkActor(actor);
  const memberId = requireId(params.memberId, "memberId");
  const set: Record<string, string | null> = {};
  if (params.name !== undefined) set.name = requireText(params.name, "name");
  if (params.phone !== undefined) set.phone = optionalPhone(params.phone);
  if (params.birthday !== undefined) set.birthday = optionalBirthday(params.birthday);
  const fields = Object.keys(set);
  if (fields.length === 0) throw new CardtermError("CT_BAD_REQUEST", "nothing to change: give name, phone or birthday");
  return db.transaction(async (tx) => {
    const assignments = fields.map((f, i) => `${f} = $${i + 2}`).join(", ");
    const { rows } = await tx.query<MemberRow>(
      `UPDATE members SET ${assignments}, updated_at = now() WHERE id = $1
       RETURNING id, name, phone, birthday, created_at`,
      [memberId, ...fields.map((f) => set[f])],
    );
    if (!rows[0]) throw notFound(memberId);
    await audit(tx, actor, "member.update", memberId, set);
    return toMember(rows[0]);
  });
}

export async function getMember(q: Queryable, memberId: string): Promise<Member> {
  const { rows } = await q.query<MemberRow>("SELECT id, name, phone, birthday, created_at FROM members WHERE id = $1", [
    memberId,
  ]);
  if (!rows[0]) throw notFound(memberId);
  return toMember(rows[0]);
}

/**
 * Members with exactly this phone number (stored normalised: validate.ts optionalPhone), by
 * the members_phone index — not searchMembers, whose prefix and name matches scan the table.
 */
export async function membersByPhone(q: Queryable, phone: string, limit: number): Promise<Member[]> {
  const { rows } = await q.query<MemberRow>(
    "SELECT id, name, phone, birthday, created_at FROM members WHERE phone = $1 ORDER BY id LIMIT $2",
    [phone, clamp(limit, 1, 500)],
  );
  return rows.map(toMember);
}

export interface MemberSearch {
  /** Matches a member id or card id exactly, a phone by prefix, a name by part. Omitted: everyone. */
  query?: string | undefined;
  limit?: number | undefined;
  offset?: number | undefined;
}

export async function searchMembers(q: Queryable, s: MemberSearch = {}): Promise<Member[]> {
  const text = s.query?.trim() || null;
  const like = text === null ? null : `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
  const { rows } = await q.query<MemberRow>(
    `SELECT m.id, m.name, m.phone, m.birthday, m.created_at FROM members m
     WHERE $1::text IS NULL OR m.id = $1 OR m.phone LIKE replace($1, ' ', '') || '%' OR m.name ILIKE $2
       OR EXISTS (SELECT 1 FROM cards c JOIN accounts a ON a.id = c.account_id
                  WHERE a.member_id = m.id AND c.card_id = $1)
     ORDER BY m.id LIMIT $3 OFFSET $4`,
    [text, like, clamp(s.limit ?? 50, 1, 500), Math.max(0, s.offset ?? 0)],
  );
  return rows.map(toMember);
}

function clamp(n: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, Math.trunc(n)));
}

function notFound(memberId: string): CardtermError {
  return new CardtermError("CT_NOT_FOUND", `member ${memberId} does not exist`);
}
