/** /api/v1/operators, /api/v1/policy and /api/v1/audit. */
import type { FastifyInstance } from "fastify";
import { listAudit } from "../backoffice/actor.js";
import {
  addOperator,
  listOperators,
  type NewOperator,
  setOperatorActive,
  setOperatorPin,
} from "../backoffice/operators.js";
import { getPolicy, publishPolicy } from "../backoffice/policy.js";
import { actorOf, type HqApiDeps, noBodyIsEmpty } from "./hq-http.js";
import { intParam, type Query } from "./query.js";
import { newOperatorSchema, noBodySchema, operatorPinSchema, policySchema } from "./schemas.js";

type OperatorParams = { Params: { operatorId: string } };

export function officeRoutes(app: FastifyInstance, deps: HqApiDeps): void {
  const { db } = deps;
  app.get<{ Querystring: Query }>("/api/v1/operators", async (req) => ({
    operators: await listOperators(db, { storeId: req.query.storeId }),
  }));
  // After each operator change the tills' documents go out at once, not at the next poll.
  app.post<{ Body: NewOperator }>("/api/v1/operators", { schema: { body: newOperatorSchema } }, async (req, reply) => {
    const op = await addOperator(db, req.body, actorOf(req));
    await deps.published();
    return reply.status(201).send(op);
  });
  for (const [verb, active] of [
    ["disable", false],
    ["enable", true],
  ] as const) {
    const noBody = { schema: { body: noBodySchema }, preValidation: noBodyIsEmpty };
    app.post<OperatorParams>(`/api/v1/operators/:operatorId/${verb}`, noBody, async (req) => {
      const op = await setOperatorActive(db, { operatorId: req.params.operatorId, active }, actorOf(req));
      await deps.published();
      return op;
    });
  }
  app.post<OperatorParams & { Body: { pin: string } }>(
    "/api/v1/operators/:operatorId/pin",
    { schema: { body: operatorPinSchema } },
    async (req) => {
      await setOperatorPin(db, { operatorId: req.params.operatorId, pin: req.body.pin }, actorOf(req));
      await deps.published();
      return { operatorId: req.params.operatorId, pin: "set" };
    },
  );
  app.get("/api/v1/policy", async () => getPolicy(db));
  app.post<{ Body: unknown }>("/api/v1/policy", { schema: { body: policySchema } }, async (req, reply) => {
    const out = await publishPolicy(db, req.body, actorOf(req));
    await deps.published();
    return reply.status(201).send(out);
  });
  app.get<{ Querystring: Query }>("/api/v1/audit", async (req) => ({
    audit: await listAudit(db, { subject: req.query.subject, limit: intParam(req.query, "limit", 100) }),
  }));
}
