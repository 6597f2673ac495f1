/**
 * GET /metrics for Prometheus. The same Host rule as every route (api-auth.ts), and the
 * API token when the config sets one: the figures (sales volume, offline exposure) are
 * the chain's business, and a till whose API listens on the LAN for a scraper listens
 * for everyone else too. Prometheus sends it with `authorization: { credentials_file: … }`
 * in the scrape config (docs/metrics.md). Without a token configured the route is as
 * open as the rest of the API (loopback only by default).
 */
import { timingSafeEqual } from "node:crypto";
import type { FastifyInstance } from "fastify";
import { CardtermError } from "../../protocol/errors.js";
import { CONTENT_TYPE } from "./metrics-exposition.js";

export interface MetricsRouteDeps {
  render: () => string;
  /** The API token in force now (a reload may change it); null: none asked. */
  token: () => string | null;
}

export function registerMetricsRoute(app: FastifyInstance, deps: MetricsRouteDeps): void {
  app.get("/metrics", async (req, reply) => {
    const token = deps.token();
    if (token !== null && !bearerMatches(req.headers.authorization, token)) {
      throw new CardtermError("CT_UNAUTHORIZED", "the API token is missing or wrong (Authorization: Bearer …)");
    }
    return reply.header("content-type", CONTENT_TYPE).header("cache-control", "no-store").send(deps.render());
  });
}

function bearerMatches(header: string | undefined, token: string): boolean {
  const m = /^Bearer\s+(.+)$/i.exec(header ?? "");
  const given = Buffer.from(m?.[1] ?? "");
  const wanted = Buffer.from(token);
  return given.length === wanted.length && timingSafeEqual(given, wanted);
}
