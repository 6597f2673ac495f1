/**
 * Finding a member for a till (protocol/till-member-find.ts): by an exact phone number or
 * an exact member id, with their cards, through the back office's own lookups (members.ts,
 * accounts.ts, card-read.ts) — this file only narrows, caps and masks what they return.
 *
 * The lookup, the operator check (role-check.ts: `memberFind` for an operator head office
 * knows) and the audit row run in one transaction: a lookup that is answered is always on
 * record, with who asked, at which till, and what was searched (the phone masked), and
 * which members were shown. A till that has made too many lookups lately is refused
 * (lookup-limit.ts: LOOKUP_LIMIT, audited, one alert per window).
 */
import { isCardtermError } from "../../protocol/errors.js";
import {
  type FoundCard,
  type FoundMember,
  MEMBER_CARDS_LIMIT,
  MEMBER_FIND_LIMIT,
  maskPhone,
  normalisePhone,
} from "../../protocol/till-member-find.js";
import type { MemberFindReply, TillOpRequest } from "../../protocol/till-ops.js";
import { type Account, memberAccounts } from "../backoffice/accounts.js";
import { type Actor, audit } from "../backoffice/actor.js";
import type { CardDetail } from "../backoffice/card-read.js";
import { getMember, type Member, membersByPhone } from "../backoffice/members.js";
import type { Db, Queryable } from "../db/db.js";
import {
  alertLookupLimit,
  DEFAULT_MEMBER_LOOKUP_LIMIT,
  LIMITED_ACTION,
  LOOKUP_ACTION,
  lookupAllowed,
  type MemberLookupLimit,
} from "./lookup-limit.js";
import { checkTillOperator } from "./role-check.js";

type FindTillRequest = Extract<TillOpRequest, { op: "find" }>;

export async function handleMemberFind(
  db: Db,
  req: FindTillRequest,
  limit: MemberLookupLimit = DEFAULT_MEMBER_LOOKUP_LIMIT,
): Promise<MemberFindReply> {
  return db.transaction(async (tx) => {
    const denied = await checkTillOperator(tx, req);
    if (denied) {
      if (!denied.ok) return denied;
      throw new Error("the operator check answered with a success");
    }
    const actor: Actor = { id: req.operatorId, via: "till", terminalId: req.terminalId };
    const searched = req.phone !== undefined ? { phone: maskPhone(req.phone) } : { memberId: req.memberId };
    const subject = searched.phone ?? searched.memberId ?? "";
    if (!(await lookupAllowed(tx, req.terminalId, limit))) {
      await audit(tx, actor, LIMITED_ACTION, subject, { ...searched, max: limit.max, windowMs: limit.windowMs });
      await alertLookupLimit(tx, req.terminalId, limit);
      return {
        v: 1,
        corr: req.corr,
        ok: false,
        code: "LOOKUP_LIMIT",
        message: `till ${req.terminalId} made ${limit.max} member lookups in the last ${Math.round(limit.windowMs / 60_000)} min; try again later`,
      };
    }
    const matched = await membersMatching(tx, req);
    const shown = matched.slice(0, MEMBER_FIND_LIMIT);
    const members: FoundMember[] = [];
    for (const m of shown) members.push(found(m, await memberAccounts(tx, m.memberId)));
    await audit(tx, actor, LOOKUP_ACTION, subject, {
      ...searched,
      found: members.map((m) => m.memberId),
      more: matched.length > shown.length,
    });
    return { v: 1, corr: req.corr, ok: true, found: { members, more: matched.length > shown.length } };
  });
}

async function membersMatching(q: Queryable, req: FindTillRequest): Promise<Member[]> {
  if (req.memberId !== undefined) {
    try {
      return [await getMember(q, req.memberId)];
    } catch (err) {
      if (isCardtermError(err) && err.code === "CT_NOT_FOUND") return [];
      throw err;
    }
  }
  const phone = normalisePhone(req.phone ?? "");
  if (phone === null) return [];
  // Exact only, by the phone index: one more than are shown, so `more` can be told.
  return membersByPhone(q, phone, MEMBER_FIND_LIMIT + 1);
}

function found(m: Member, accounts: Account[]): FoundMember {
  const all = accounts.flatMap((a) => a.cards.map((c) => foundCard(c, a)));
  // A member whose card is lost or frozen keeps their level: any primary card says it then.
  const primaries = all.filter((c) => c.primaryCardId === null);
  const level = primaries.find((c) => c.status === "active") ?? primaries[0];
  return {
    memberId: m.memberId,
    name: m.name,
    phone: m.phone === null ? null : maskPhone(m.phone),
    level: level?.cardType ?? null,
    cards: all.slice(0, MEMBER_CARDS_LIMIT),
    moreCards: all.length > MEMBER_CARDS_LIMIT,
  };
}

/** Balance and points are the account's: a sub-card shows what it may spend from. */
function foundCard(c: CardDetail, a: Account): FoundCard {
  return {
    cardId: c.cardId,
    cardType: c.cardType,
    status: c.status,
    primaryCardId: c.primaryCardId,
    balance: a.balance,
    points: a.points,
    hotlisted: c.hotlisted,
  };
}
