/**
 * Who is calling the local API (docs/operators.md):
 * - the POS app (or the web console) proves itself with the API token, when the config
 *   sets one (`Authorization: Bearer …`); /healthz, the OpenAPI document and the console's
 *   static files need none;
 * - the Host header must name this box (127.0.0.1, localhost, [::1] or the configured
 *   host), so a web page elsewhere cannot reach the till through DNS rebinding;
 * - the operator is the session given in `X-Cardterm-Session`; without configured
 *   operators every request works as the terminal's default operator.
 */
import { timingSafeEqual } from "node:crypto";
import type { FastifyInstance, FastifyRequest } from "fastify";
import { CardtermError } from "../../protocol/errors.js";
import type { Permission } from "../operators/permissions.js";
import type { OperatorSessions } from "../operators/sessions.js";

export interface ApiAuth {
  token: string | null;
  /** The configured listen address, accepted as a Host besides the loopback names. */
  host: string;
  sessions: OperatorSessions;
  defaultOperatorId: string;
}

const OPEN_PATHS = ["/healthz", "/api/v1/openapi.json"];
const LOOPBACK = new Set(["127.0.0.1", "localhost", "[::1]", "::1"]);

export function installAuth(app: FastifyInstance, auth: ApiAuth): void {
  app.addHook("onRequest", async (req) => {
    const hostname = (req.headers.host ?? "").replace(/:\d+$/, "");
    const anyHost = auth.host === "0.0.0.0" || auth.host === "::"; // on the LAN on purpose: the token guards it
    if (!anyHost && !LOOPBACK.has(hostname) && hostname !== auth.host) {
      throw new CardtermError("CT_FORBIDDEN", `requests must be addressed to this till, not ${hostname || "no host"}`);
    }
    const path = req.url.split("?")[0]!;
    if (!path.startsWith("/api/") || OPEN_PATHS.includes(path) || auth.token === null) return;
    if (!tokenMatches(req.headers.authorization, auth.token)) {
      throw new CardtermError("CT_UNAUTHORIZED", "the API token is missing or wrong (Authorization: Bearer …)");
    }
  });
}

function tokenMatches(header: string | undefined, token: string): boolean {
  const given = Buffer.from(header?.replace(/^Bearer\s+/i, "") ?? "");
  const expected = Buffer.from(token);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

export function sessionToken(req: FastifyRequest): string | undefined {
  const value = req.headers["x-cardterm-session"];
  return typeof value === "string" ? value : undefined;
}

/** The operator doing this request, checked for `permission`. */
export function operatorFor(req: FastifyRequest, auth: ApiAuth, permission: Permission): string {
  if (!auth.sessions.loginRequired) return auth.defaultOperatorId;
  const session = auth.sessions.use(sessionToken(req));
  auth.sessions.require(session, permission);
  return session.operator.id;
}
