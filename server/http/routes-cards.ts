/**
 * /api/v1/cards: issue, read, status changes, replace, level, limits, top-ups, count
 * packages. A change
 * that moved the hotlist is published to terminals before the reply.
 */
import type { FastifyInstance } from "fastify";
import { type CardIssue, issueCard } from "../backoffice/card-issue.js";
import { changeCardLevel, setSubCardLimits } from "../backoffice/card-level.js";
import { getCardDetail } from "../backoffice/card-read.js";
import { replaceCard } from "../backoffice/card-replace.js";
import { changeCardStatus, STATUS_ACTIONS, type StatusAction } from "../backoffice/card-status.js";
import { grantPackage, listPackages, type PackageGrant } from "../backoffice/count-packages.js";
import { topUpAtHq } from "../backoffice/top-up.js";
import { actorOf, type HqApiDeps, noBodyIsEmpty } from "./hq-http.js";
import {
  cardIssueSchema,
  levelSchema,
  limitsSchema,
  packageGrantSchema,
  replaceSchema,
  statusChangeSchema,
  topUpSchema,
} from "./schemas.js";

type CardParams = { Params: { cardId: string } };

export function cardRoutes(app: FastifyInstance, deps: HqApiDeps): void {
  const { db } = deps;
  /** Publishes when the hotlist moved, then answers with the result. */
  const settled = async <R extends { hotlistVersion: number | null }>(r: R): Promise<R> => {
    if (r.hotlistVersion !== null) await deps.published();
    return r;
  };
  app.post<{ Body: CardIssue }>("/api/v1/cards", { schema: { body: cardIssueSchema } }, async (req, reply) =>
    reply.status(201).send(await settled(await issueCard(db, req.body, actorOf(req)))),
  );
  app.get<CardParams>("/api/v1/cards/:cardId", async (req) => getCardDetail(db, req.params.cardId));
  for (const action of Object.keys(STATUS_ACTIONS) as StatusAction[]) {
    // The body is optional (a bare `curl -X POST` will do): none is `{}`, then checked like any other.
    app.post<CardParams & { Body: { note?: string } }>(
      `/api/v1/cards/:cardId/${action}`,
      { schema: { body: statusChangeSchema }, preValidation: noBodyIsEmpty },
      async (req) =>
        settled(await changeCardStatus(db, action, { cardId: req.params.cardId, note: req.body.note }, actorOf(req))),
    );
  }
  app.post<CardParams & { Body: { newCardId: string; pin?: string; note?: string } }>(
    "/api/v1/cards/:cardId/replace",
    { schema: { body: replaceSchema } },
    async (req) => settled(await replaceCard(db, { ...req.body, cardId: req.params.cardId }, actorOf(req))),
  );
  app.post<CardParams & { Body: { cardType: string; note?: string } }>(
    "/api/v1/cards/:cardId/level",
    { schema: { body: levelSchema } },
    async (req) => changeCardLevel(db, { ...req.body, cardId: req.params.cardId }, actorOf(req)),
  );
  app.post<CardParams & { Body: { perTxnLimit: number | null; dailyLimit: number | null } }>(
    "/api/v1/cards/:cardId/limits",
    { schema: { body: limitsSchema } },
    async (req) => setSubCardLimits(db, { ...req.body, cardId: req.params.cardId }, actorOf(req)),
  );
  app.post<CardParams & { Body: { amount: number; txnId?: string; businessDay?: string } }>(
    "/api/v1/cards/:cardId/topups",
    { schema: { body: topUpSchema } },
    async (req) =>
      settled(
        await topUpAtHq(db, { ...req.body, cardId: req.params.cardId }, actorOf(req), { timeZone: deps.timeZone }),
      ),
  );
  app.get<CardParams>("/api/v1/cards/:cardId/packages", async (req) => ({
    packages: await listPackages(db, { cardId: req.params.cardId }),
  }));
  app.post<CardParams & { Body: Omit<PackageGrant, "cardId"> }>(
    "/api/v1/cards/:cardId/packages",
    { schema: { body: packageGrantSchema } },
    async (req, reply) =>
      reply.status(201).send(await grantPackage(db, { ...req.body, cardId: req.params.cardId }, actorOf(req))),
  );
}
