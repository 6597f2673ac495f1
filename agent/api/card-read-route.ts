/**
 * `POST /api/v1/cards/read`: waits for the next tap, like the balance query,
 * and answers with the card's id and what this till knows of it (agent/till/tapped-card.ts),
 * so the card an operation is on (freeze, level, a sub-card's primary…) is filled in by a
 * tap. Permission cardIssue, as for issuing a card: the card is in the operator's hand,
 * and its id is what they would otherwise type. The full id comes back as `cardUid` for
 * the operation's URL (member-routes.ts says why that is safe); `id` is the masked one to show.
 */
import type { FastifyInstance } from "fastify";
import { maskCardId } from "../../rules/card.js";
import { readTappedCard, type TappedCardDeps } from "../till/tapped-card.js";
import { type ApiAuth, operatorFor } from "./api-auth.js";

export interface CardReadRouteDeps {
  auth: ApiAuth;
  tapped: TappedCardDeps;
  cardTypeName: (cardType: string) => string | null;
}

export const cardReadBodySchema = {
  type: "object",
  additionalProperties: false,
  properties: {
    readerId: { type: "string", minLength: 1, maxLength: 80, description: "Only a tap on this reader" },
  },
} as const;

export function cardReadRoute(app: FastifyInstance, d: CardReadRouteDeps): void {
  app.post<{ Body: { readerId?: string } | undefined }>(
    "/api/v1/cards/read",
    {
      schema: { body: cardReadBodySchema },
      // A POST with no body at all is an empty one: "the next tap on any reader".
      preValidation: async (req) => {
        req.body ??= {};
      },
    },
    async (req) => {
      operatorFor(req, d.auth, "cardIssue");
      const card = await readTappedCard(d.tapped, req.body?.readerId);
      return {
        cardUid: card.cardId,
        id: maskCardId(card.cardId),
        readerId: card.readerId,
        known: card.known,
        memberName: card.memberName,
        cardType: card.cardType,
        cardTypeName: card.cardType === null ? null : d.cardTypeName(card.cardType),
        status: card.status,
        hotlisted: card.hotlisted,
        asOf: card.asOf,
      };
    },
  );
}
