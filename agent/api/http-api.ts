/**
 * The local HTTP API for the POS app, on 127.0.0.1 (default port 7070). Every error is
 * `{ code, message }` with a stable code; a declined sale is not an error but a decision.
 */
import Fastify, { type FastifyInstance, type FastifyRequest } from "fastify";
import { httpStatus, isCardtermError } from "../../protocol/errors.js";
import { refusedField, STRICT_AJV_OPTIONS, validationRefusal } from "../../protocol/request-validation.js";
import type { Logger } from "../logger.js";
import type { PrintQueue, ReceiptOutcome } from "../receipts/print-queue.js";
import type { SelfTestDoctorRow } from "../receipts/receipt-data.js";
import { parseSelfTestBody } from "../receipts/self-test-body.js";
import type { SaleService } from "../sale/sale-service.js";
import { type ApiAuth, installAuth, operatorFor } from "./api-auth.js";
import { type CardRouteDeps, cardRoutes } from "./card-routes.js";
import { type EventHub, eventRoutes } from "./events.js";
import { openApiDocument } from "./openapi.js";
import { saleRoute } from "./sale-route.js";
import { type TillRouteDeps, tillRoutes } from "./till-routes.js";
import { noBodySchema } from "./till-schemas.js";

export interface ApiDeps {
  sales: SaleService;
  auth: ApiAuth;
  events: EventHub;
  /** Top-up, refund, void, balance, sessions (till-routes.ts). */
  till?: Omit<TillRouteDeps, "auth" | "events">;
  /** Card issue, loss, replace, … (card-routes.ts). */
  cards?: Omit<CardRouteDeps, "auth" | "events">;
  /** More routes from other modules (the daily close, the web console). */
  extend?: (app: FastifyInstance) => void;
  status: () => Record<string, unknown>;
  /** Filled with `METHOD /path` of each route as it is added (paths as OpenAPI writes them): tests check each. */
  routes?: string[];
  /** Kept receipts: list, reprint, and the technician's self-test page. */
  receipts?: {
    queue: Pick<PrintQueue, "list" | "reprint">;
    /** The page, with `cardterm doctor --print`'s rows under its own lines when given. */
    selfTest: (doctor?: SelfTestDoctorRow[]) => Promise<ReceiptOutcome>;
  };
  version: string;
  log: Logger;
}

export function buildApi(deps: ApiDeps): FastifyInstance {
  // Force-close on shutdown: an open event stream must not hold the agent's exit.
  // Bodies are never coerced ("25.00" is not 25 fen) and unknown fields are refused, not
  // dropped (protocol/request-validation.ts).
  const app = Fastify({
    logger: false,
    bodyLimit: 64 * 1024,
    forceCloseConnections: true,
    ajv: { customOptions: STRICT_AJV_OPTIONS },
  });

  app.setErrorHandler((caught, _req, reply) => {
    const err = validationRefusal(caught) ?? caught;
    if (isCardtermError(err)) {
      const field = refusedField(err);
      return reply
        .status(httpStatus(err.code))
        .send({ code: err.code, message: err.message, ...(field === undefined ? {} : { field }) });
    }
    const e = err as { statusCode?: number; message: string };
    if (e.statusCode !== undefined && e.statusCode < 500) {
      return reply.status(400).send({ code: "CT_BAD_REQUEST", message: e.message });
    }
    deps.log.error({ err: e.message }, "API request failed");
    return reply.status(500).send({ code: "CT_INTERNAL", message: "internal error; see the agent log" });
  });

  app.addHook("onRoute", (r) => {
    for (const method of [r.method].flat()) {
      if (method !== "HEAD") deps.routes?.push(`${method} ${r.url.replace(/:(\w+)/g, "{$1}")}`);
    }
  });
  installAuth(app, deps.auth);
  app.get("/healthz", async () => ({ ok: true }));
  app.get("/api/v1/openapi.json", async () => openApiDocument(deps.version));
  app.get("/api/v1/status", async () => deps.status());
  saleRoute(app, deps); // sale-route.ts: the sale, its tap and decision events
  eventRoutes(app, deps.events);
  if (deps.till) tillRoutes(app, { ...deps.till, auth: deps.auth, events: deps.events });
  if (deps.cards) cardRoutes(app, { ...deps.cards, auth: deps.auth, events: deps.events });
  if (deps.receipts) receiptRoutes(app, deps.receipts, deps.auth);
  deps.extend?.(app);
  return app;
}

function receiptRoutes(app: FastifyInstance, receipts: NonNullable<ApiDeps["receipts"]>, auth: ApiAuth): void {
  app.get("/api/v1/receipts", async () => ({
    receipts: receipts.queue.list().map((j) => ({
      jobId: j.id,
      template: j.request.template,
      createdAt: j.createdAt,
      state: j.state,
      prints: j.prints,
      printedAt: j.printedAt,
      attempts: j.attempts,
      lastError: j.lastError,
    })),
  }));
  // A POST with no body at all is an empty one; anything in it is still checked.
  const noBodyIsEmpty = async (req: FastifyRequest) => {
    req.body ??= {};
  };
  app.post<{ Params: { jobId: string } }>(
    "/api/v1/receipts/:jobId/reprint",
    { schema: { body: noBodySchema }, preValidation: noBodyIsEmpty },
    async (req) => receipts.queue.reprint(req.params.jobId),
  );
  app.post("/api/v1/receipts/self-test", async (req) => {
    operatorFor(req, auth, "selftest"); // a technician's or supervisor's (permissions.ts)
    // Checked by hand, never coerced, unknown keys refused naming the field (self-test-body.ts).
    return receipts.selfTest(parseSelfTestBody(req.body));
  });
}
