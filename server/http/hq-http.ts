/**
 * The head-office HTTP API inside cardterm-hq (docs/back-office.md): JSON under /api/v1, every
 * error `{ code, message }` with a stable code, a bearer admin token on every route but the
 * OpenAPI document and /healthz. Bound to 127.0.0.1 unless told otherwise, and it will not
 * listen beyond loopback without a token.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import { isIP } from "node:net";
import Fastify, { type FastifyInstance, type FastifyRequest } from "fastify";
import type { Logger } from "pino";
import { CardtermError, httpStatus, isCardtermError } from "../../protocol/errors.js";
import { refusedField, STRICT_AJV_OPTIONS, validationRefusal } from "../../protocol/request-validation.js";
import type { Actor } from "../backoffice/actor.js";
import type { Db } from "../db/db.js";
import { hqOpenApiDocument } from "./openapi.js";
import { cardRoutes } from "./routes-cards.js";
import { memberRoutes } from "./routes-members.js";
import { officeRoutes } from "./routes-office.js";
import { reportRoutes } from "./routes-reports.js";

export interface HqHttpOptions {
  /** Default 127.0.0.1. */
  host?: string | undefined;
  /** 0 = any free port. */
  port: number;
  /** The admin token; required unless the host is a loopback address. */
  token?: string | undefined;
}

export interface HqApiDeps {
  db: Db;
  /** Called after a change that terminals must learn of (hotlist, policy); awaited before the reply. */
  published: () => Promise<void>;
  token: string | undefined;
  log: Logger;
  timeZone?: string | undefined;
  version?: string | undefined;
}

export interface HqHttp {
  url: string;
  port: number;
  close(): Promise<void>;
}

export function isLoopback(host: string): boolean {
  return host === "localhost" || host === "::1" || (isIP(host) === 4 && host.startsWith("127."));
}

/** Refuses an API open to the network without a token, and a token too short to be one. */
export function checkHttpOptions(opts: HqHttpOptions): void {
  const host = opts.host ?? "127.0.0.1";
  if (!opts.token && !isLoopback(host)) {
    throw new CardtermError(
      "CT_CONFIG_INVALID",
      `the head-office API would listen on ${host} without a token: give --http-token-file or CARDTERM_HQ_HTTP_TOKEN, or bind 127.0.0.1`,
    );
  }
  if (opts.token !== undefined && opts.token.length < 16) {
    throw new CardtermError("CT_CONFIG_INVALID", "the head-office API token must be at least 16 characters");
  }
}

export async function startHqHttp(opts: HqHttpOptions, deps: Omit<HqApiDeps, "token">): Promise<HqHttp> {
  checkHttpOptions(opts);
  const host = opts.host ?? "127.0.0.1";
  const app = buildHqApi({ ...deps, token: opts.token });
  await app.listen({ host, port: opts.port });
  const address = app.server.address();
  const port = typeof address === "object" && address ? address.port : opts.port;
  deps.log.info({ host, port, auth: opts.token ? "bearer" : "none (loopback)" }, "head-office API listening");
  return { url: `http://${host.includes(":") ? `[${host}]` : host}:${port}`, port, close: () => app.close() };
}

export function buildHqApi(deps: HqApiDeps): FastifyInstance {
  // Types are never coerced ("100" is not 100) and unknown fields are refused, not dropped
  // (nothing coerced, no unknown field: protocol/request-validation.ts): the same validator
  // options as the till's API.
  const app = Fastify({ logger: false, bodyLimit: 256 * 1024, ajv: { customOptions: STRICT_AJV_OPTIONS } });
  const expected = deps.token === undefined ? undefined : digest(deps.token);
  app.addHook("onRequest", async (req) => {
    if (expected === undefined || req.url === "/healthz" || req.url.startsWith("/api/v1/openapi.json")) return;
    const m = /^Bearer (\S+)$/.exec(req.headers.authorization ?? "");
    if (!m || !timingSafeEqual(digest(m[1]!), expected)) {
      throw new CardtermError("CT_UNAUTHORIZED", "send the admin token as Authorization: Bearer <token>");
    }
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
      return reply
        .status(e.statusCode && e.statusCode !== 404 ? e.statusCode : 400)
        .send({ code: "CT_BAD_REQUEST", message: e.message });
    }
    deps.log.error({ err: e.message }, "head-office API request failed");
    return reply.status(500).send({ code: "CT_INTERNAL", message: "internal error; see the cardterm-hq log" });
  });
  app.setNotFoundHandler((req, reply) =>
    reply.status(404).send({ code: "CT_NOT_FOUND", message: `no route ${req.method} ${req.url.split("?")[0]}` }),
  );
  app.get("/healthz", async () => ({ ok: true }));
  app.get("/api/v1/openapi.json", async () => hqOpenApiDocument(deps.version ?? "1"));
  memberRoutes(app, deps);
  cardRoutes(app, deps);
  officeRoutes(app, deps);
  reportRoutes(app, deps);
  return app;
}

/** preValidation of a route whose body is optional: none at all (a bare `curl -X POST`) is `{}`, still checked. */
export async function noBodyIsEmpty(req: FastifyRequest): Promise<void> {
  req.body ??= {};
}

/** Who is calling: the X-Cardterm-Actor header names the person (recorded in the audit log). */
export function actorOf(req: FastifyRequest): Actor {
  const header = req.headers["x-cardterm-actor"];
  return { id: typeof header === "string" && header !== "" ? header : "hq-admin", via: "http" };
}

function digest(token: string): Buffer {
  return createHash("sha256").update(token).digest();
}
