/** /api/v1/members and /api/v1/accounts. */
import type { FastifyInstance } from "fastify";
import { getAccount, memberAccounts } from "../backoffice/accounts.js";
import {
  createMember,
  getMember,
  type MemberUpdate,
  type NewMember,
  searchMembers,
  updateMember,
} from "../backoffice/members.js";
import { actorOf, type HqApiDeps } from "./hq-http.js";
import { intParam, type Query } from "./query.js";
import { memberUpdateSchema, newMemberSchema } from "./schemas.js";

export function memberRoutes(app: FastifyInstance, { db }: HqApiDeps): void {
  app.get<{ Querystring: Query }>("/api/v1/members", async (req) => ({
    members: await searchMembers(db, {
      query: req.query.q,
      limit: intParam(req.query, "limit", 50),
      offset: intParam(req.query, "offset", 0),
    }),
  }));
  app.post<{ Body: NewMember }>("/api/v1/members", { schema: { body: newMemberSchema } }, async (req, reply) =>
    reply.status(201).send(await createMember(db, req.body, actorOf(req))),
  );
  app.get<{ Params: { memberId: string } }>("/api/v1/members/:memberId", async (req) => ({
    ...(await getMember(db, req.params.memberId)),
    accounts: await memberAccounts(db, req.params.memberId),
  }));
  app.patch<{ Params: { memberId: string }; Body: Omit<MemberUpdate, "memberId"> }>(
    "/api/v1/members/:memberId",
    { schema: { body: memberUpdateSchema } },
    async (req) => updateMember(db, { ...req.body, memberId: req.params.memberId }, actorOf(req)),
  );
  app.get<{ Params: { accountId: string } }>("/api/v1/accounts/:accountId", async (req) =>
    getAccount(db, req.params.accountId),
  );
}
