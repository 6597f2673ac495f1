/**
 * Finding a member on the local API: `GET /api/v1/members?phone=…` or
 * `?memberId=…` (permission memberFind: cashier and supervisor), answered by the server
 * (agent/till/member-find.ts). A refusal by the server is a decision, `{ok: false, code,
 * message}` with 200, like a declined card operation; an unknown phone is `members: []`.
 *
 * Each card comes back with its full id as `cardUid`, beside the masked `id` to show.
 * The card operations take the card in their URL (`/api/v1/cards/{cardUid}/loss`), and a
 * lost card cannot be tapped, so the console needs the id itself. An opaque per-result
 * reference was weighed and not taken: every card route would have to accept it and the
 * till keep a map of them with an expiry, and it would protect nothing — the operator it
 * is shown to is logged in, holds memberFind, found the member by their exact phone or
 * number (audited at head office), and may act on the card anyway. What the full id does
 * not give is a way to pay: a typed card uid pays only on a till with a simulated reader
 * (sale/tap-source.ts), never on one with real readers.
 */
import type { FastifyInstance } from "fastify";
import type { FoundCard, FoundMember } from "../../protocol/till-member-find.js";
import { maskCardId } from "../../rules/card.js";
import type { MemberFinder } from "../till/member-find.js";
import { type ApiAuth, operatorFor } from "./api-auth.js";

export interface MemberRouteDeps {
  auth: ApiAuth;
  finder: Pick<MemberFinder, "find">;
  /** The card type's name in the policy the till holds (金卡), or null. */
  cardTypeName: (cardType: string) => string | null;
}

export const memberQuerySchema = {
  type: "object",
  additionalProperties: false,
  properties: {
    phone: {
      type: "string",
      minLength: 1,
      maxLength: 30,
      description: "The member's whole phone number (spaces and dashes allowed); matched exactly, never as a prefix",
    },
    memberId: { type: "string", minLength: 1, maxLength: 64, description: "The member number, matched exactly" },
  },
} as const;

export function memberRoutes(app: FastifyInstance, d: MemberRouteDeps): void {
  app.get<{ Querystring: { phone?: string; memberId?: string } }>(
    "/api/v1/members",
    { schema: { querystring: memberQuerySchema } },
    async (req) => {
      const operatorId = operatorFor(req, d.auth, "memberFind");
      const outcome = await d.finder.find(req.query, operatorId);
      if (!outcome.ok) return outcome;
      return { ok: true, members: outcome.members.map((m) => memberView(m, d)), more: outcome.more };
    },
  );
}

function memberView(m: FoundMember, d: MemberRouteDeps): Record<string, unknown> {
  return {
    memberId: m.memberId,
    name: m.name,
    phone: m.phone,
    level: m.level,
    levelName: m.level === null ? null : d.cardTypeName(m.level),
    cards: m.cards.map((c) => cardView(c, d)),
    moreCards: m.moreCards,
  };
}

function cardView(c: FoundCard, d: MemberRouteDeps): Record<string, unknown> {
  return {
    cardUid: c.cardId,
    id: maskCardId(c.cardId),
    cardType: c.cardType,
    cardTypeName: d.cardTypeName(c.cardType),
    status: c.status,
    primary: c.primaryCardId === null,
    primaryCard: c.primaryCardId === null ? null : maskCardId(c.primaryCardId),
    balance: c.balance,
    points: c.points,
    hotlisted: c.hotlisted,
  };
}
