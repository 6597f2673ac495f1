/**
 * Card operations on the local API, decided by the server (card-operations.ts):
 *
 *   POST /api/v1/cards                                   issue (cardIssue: cashier, supervisor)
 *   POST /api/v1/cards/{cardUid}/subcards                sub-card (cardIssue)
 *   POST /api/v1/cards/{cardUid}/loss|unloss|freeze|unfreeze|recycle|replace|level   (cardManage: supervisor)
 *
 * A refusal is a decision, `{ok: false, code, message}` with 200, like a declined sale;
 * errors (no session, forbidden, server not answering) are `{code, message}` with their
 * status. An `Idempotency-Key` header makes a retry safe: the server applies each key once
 * and answers a repeat with the stored outcome (`replayed: true`).
 */
import type { FastifyInstance, FastifyRequest } from "fastify";
import { CardtermError } from "../../protocol/errors.js";
import { CARD_STATUS_OPS } from "../../protocol/till-card-ops.js";
import { type CardSnapshot, maskCardId } from "../../rules/card.js";
import type { CardOperations, CardOpResult, IssueInput } from "../till/card-operations.js";
import { type ApiAuth, operatorFor } from "./api-auth.js";
import type { EventHub } from "./events.js";

export interface CardRouteDeps {
  auth: ApiAuth;
  cards: CardOperations;
  events: EventHub;
}

const uid = { type: "string", minLength: 1, maxLength: 80 };
const note = { type: "string", maxLength: 200 };
const pin = { type: "string", pattern: "^[0-9]{4,12}$" };
const limit = { type: "integer", minimum: 0, maximum: 10_000_000_000 };
const cardType = { type: "string", minLength: 1, maxLength: 64 };
const params = { type: "object", required: ["cardUid"], properties: { cardUid: uid } };

export const cardRequestSchemas = {
  // allOf, so the fields are checked before the choice: a misspelt "members" is named as
  // an unknown field, not reported as "neither member nor memberId" (ajv checks oneOf first).
  issue: {
    allOf: [
      {
        type: "object",
        additionalProperties: false,
        required: ["cardType"],
        properties: {
          cardUid: uid,
          readerId: uid,
          cardType,
          member: {
            type: "object",
            additionalProperties: false,
            required: ["name"],
            properties: {
              name: { type: "string", minLength: 1, maxLength: 100 },
              phone: { type: "string", pattern: "^\\+?[0-9][0-9 -]{4,24}$" },
              birthday: { type: "string", pattern: "^(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$" },
            },
          },
          memberId: { type: "string", pattern: "^[A-Za-z0-9_-]{1,64}$" },
          pin,
        },
      },
      {
        // `type` on each branch: without it ajv warns "strict mode: missing type" at every start.
        type: "object",
        oneOf: [
          { type: "object", required: ["member"], not: { type: "object", required: ["memberId"] } },
          { type: "object", required: ["memberId"], not: { type: "object", required: ["member"] } },
        ],
      },
    ],
  },
  subcard: {
    type: "object",
    additionalProperties: false,
    properties: { cardUid: uid, readerId: uid, limitMinor: limit, perTxnLimitMinor: limit, pin },
  },
  status: { type: "object", additionalProperties: false, properties: { note } },
  replace: {
    type: "object",
    additionalProperties: false,
    properties: { newCardUid: uid, readerId: uid, note },
  },
  level: { type: "object", additionalProperties: false, required: ["cardType"], properties: { cardType, note } },
} as const;

type WithCard = { Params: { cardUid: string } };

export function cardRoutes(app: FastifyInstance, d: CardRouteDeps): void {
  const who = (req: FastifyRequest, permission: "cardIssue" | "cardManage") => ({
    operatorId: operatorFor(req, d.auth, permission),
    requestId: idempotencyKey(req),
  });

  // A POST with no body at all (loss, freeze, … need none) is an empty one, not a malformed one.
  const emptyBody = async (req: FastifyRequest) => {
    req.body ??= {};
  };
  app.post<{ Body: IssueInput }>("/api/v1/cards", { schema: { body: cardRequestSchemas.issue } }, async (req) =>
    reply(d, await d.cards.issue(req.body, who(req, "cardIssue"))),
  );
  app.post<
    WithCard & {
      Body: { cardUid?: string; readerId?: string; limitMinor?: number; perTxnLimitMinor?: number; pin?: string };
    }
  >(
    "/api/v1/cards/:cardUid/subcards",
    { schema: { params, body: cardRequestSchemas.subcard }, preValidation: emptyBody },
    async (req) => {
      const caller = who(req, "cardIssue");
      const { limitMinor, perTxnLimitMinor, ...card } = req.body ?? {};
      const input = { ...card, dailyLimit: limitMinor, perTxnLimit: perTxnLimitMinor };
      return reply(d, await d.cards.subcard(req.params.cardUid, input, caller));
    },
  );
  for (const op of CARD_STATUS_OPS) {
    app.post<WithCard & { Body: { note?: string } | undefined }>(
      `/api/v1/cards/:cardUid/${op}`,
      { schema: { params, body: cardRequestSchemas.status }, preValidation: emptyBody },
      async (req) => {
        const caller = who(req, "cardManage");
        return reply(d, await d.cards.changeStatus(op, req.params.cardUid, req.body ?? {}, caller));
      },
    );
  }
  app.post<WithCard & { Body: { newCardUid?: string; readerId?: string; note?: string } | undefined }>(
    "/api/v1/cards/:cardUid/replace",
    { schema: { params, body: cardRequestSchemas.replace }, preValidation: emptyBody },
    async (req) => {
      const caller = who(req, "cardManage");
      return reply(d, await d.cards.replace(req.params.cardUid, req.body ?? {}, caller));
    },
  );
  app.post<WithCard & { Body: { cardType: string; note?: string } }>(
    "/api/v1/cards/:cardUid/level",
    { schema: { params, body: cardRequestSchemas.level } },
    async (req) => reply(d, await d.cards.level(req.params.cardUid, req.body, who(req, "cardManage"))),
  );
}

const KEY = /^[\x21-\x7e]{1,128}$/;

function idempotencyKey(req: FastifyRequest): string | undefined {
  const key = req.headers["idempotency-key"];
  if (key === undefined) return undefined;
  if (typeof key !== "string" || !KEY.test(key)) {
    throw new CardtermError("CT_BAD_REQUEST", "Idempotency-Key must be 1–128 printable characters, no spaces", {
      details: { field: "Idempotency-Key" },
    });
  }
  return key;
}

/** What the cashier's screen shows of a card: never the full number. */
export function cardView(card: CardSnapshot): Record<string, unknown> {
  return {
    id: maskCardId(card.cardId),
    memberName: card.memberName,
    cardType: card.cardType,
    status: card.status,
    balance: card.balance,
    points: card.points,
  };
}

function reply(d: CardRouteDeps, r: CardOpResult): Record<string, unknown> {
  const body: Record<string, unknown> = r.ok
    ? {
        ok: true,
        op: r.op,
        requestId: r.requestId,
        replayed: r.replayed,
        card: cardView(r.card),
        ...(r.memberId ? { memberId: r.memberId } : {}),
        ...(r.other && r.op === "replace" ? { previousCard: cardView(r.other) } : {}),
        ...(r.other && r.op === "subcard" ? { primaryCard: cardView(r.other) } : {}),
        receipt: r.receipt,
      }
    : {
        ok: false,
        op: r.op,
        requestId: r.requestId,
        code: r.code,
        message: r.message,
        card: r.card ? cardView(r.card) : null,
      };
  d.events.publish({ type: "decision", data: { cardOp: r.op, ...body, receipt: undefined } });
  return body;
}
