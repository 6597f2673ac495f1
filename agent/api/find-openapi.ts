/**
 * Finding the card an operation is on, in the OpenAPI document: a member by exact phone
 * or member number (member-routes.ts) and a card by a tap (card-read-route.ts).
 */
import { cardReadBodySchema } from "./card-read-route.js";
import { errorBody } from "./error-body.js";

const error = (description: string) => ({ description, content: { "application/json": { schema: errorBody } } });
const status = { enum: ["active", "lost", "frozen", "cancelled", "replaced"] };

const foundCard = {
  type: "object",
  properties: {
    cardUid: { type: "string", description: "The full card id, for /api/v1/cards/{cardUid}/…" },
    id: { type: "string", description: "Masked, to show: ic:04D5****E6F7" },
    cardType: { type: "string" },
    cardTypeName: { type: ["string", "null"] },
    status,
    primary: { type: "boolean", description: "false for a sub-card (附属卡)" },
    primaryCard: { type: ["string", "null"], description: "A sub-card's primary card, masked" },
    balance: { type: "integer", description: "The account's stored value, fen (shared with sub-cards)" },
    points: { type: "integer" },
    hotlisted: { type: "boolean", description: "On the server's hotlist: refused at every till" },
  },
};

const foundMember = {
  type: "object",
  properties: {
    memberId: { type: "string" },
    name: { type: "string" },
    phone: { type: ["string", "null"], description: "Masked: 138****0001" },
    level: {
      type: ["string", "null"],
      description: "Card type of the member's first active primary card, else of any primary card",
    },
    levelName: { type: ["string", "null"] },
    cards: { type: "array", items: foundCard },
    moreCards: { type: "boolean" },
  },
};

export function findPaths(): Record<string, unknown> {
  return {
    "/api/v1/members": {
      get: {
        summary:
          "Find a member (会员查询) by the whole phone number or the member number — exact matches only, at most 5, phones masked, each lookup in head office's audit log (online only)",
        parameters: [
          { name: "phone", in: "query", schema: { type: "string" }, description: "Whole phone number" },
          { name: "memberId", in: "query", schema: { type: "string" }, description: "Member number" },
        ],
        responses: {
          "200": {
            description:
              "{ ok: true, members: [...], more } — members [] when none has that number; or refused by the server: { ok: false, code, message }",
            content: {
              "application/json": {
                schema: {
                  type: "object",
                  required: ["ok"],
                  properties: {
                    ok: { type: "boolean" },
                    members: { type: "array", items: foundMember },
                    more: { type: "boolean", description: "More members matched than were sent" },
                    code: { type: "string" },
                    message: { type: "string" },
                  },
                },
              },
            },
          },
          "400": error("CT_BAD_REQUEST: give phone or memberId, one of them; a phone must be whole"),
          "401": error("CT_UNAUTHORIZED: no token or session"),
          "403": error("CT_FORBIDDEN: the operator's role may not find members (memberFind)"),
          "504": error("CT_SERVER_TIMEOUT: finding a member needs the central server"),
        },
      },
    },
    "/api/v1/cards/read": {
      post: {
        summary:
          "Wait for the next tap and say which card it is: its id and what this till knows of it (nothing is changed)",
        requestBody: { required: false, content: { "application/json": { schema: cardReadBodySchema } } },
        responses: {
          "200": {
            description:
              "{ cardUid (full id, for /api/v1/cards/{cardUid}/…), id (masked), readerId, known, memberName, cardType, cardTypeName, status, hotlisted, asOf } — known false: this till has not seen the card",
          },
          "401": error("CT_UNAUTHORIZED: no token or session"),
          "403": error("CT_FORBIDDEN: the operator's role may not (cardIssue)"),
          "409": error("CT_NO_TAP: no card tapped in time, or the wait was cancelled"),
        },
      },
    },
  };
}
