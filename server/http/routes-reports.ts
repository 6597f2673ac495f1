/** /api/v1/reports: daily, liability, shortfalls, alerts, terminals. */
import type { FastifyInstance } from "fastify";
import { dailyReport } from "../backoffice/report-daily.js";
import { alertReport, liabilityReport, shortfallReport, terminalReport } from "../backoffice/report-ledger.js";
import type { HqApiDeps } from "./hq-http.js";
import { boolParam, intParam, type Query } from "./query.js";

export function reportRoutes(app: FastifyInstance, { db }: HqApiDeps): void {
  app.get<{ Querystring: Query }>("/api/v1/reports/daily", async (req) =>
    dailyReport(db, {
      from: req.query.from,
      to: req.query.to,
      storeId: req.query.storeId,
      terminalId: req.query.terminalId,
    }),
  );
  app.get("/api/v1/reports/liability", async () => liabilityReport(db));
  app.get<{ Querystring: Query }>("/api/v1/reports/shortfalls", async (req) => ({
    shortfalls: await shortfallReport(db, { open: boolParam(req.query, "open") }),
  }));
  app.get<{ Querystring: Query }>("/api/v1/reports/alerts", async (req) => ({
    alerts: await alertReport(db, { kind: req.query.kind, limit: intParam(req.query, "limit", 100) }),
  }));
  app.get("/api/v1/reports/terminals", async () => ({ terminals: await terminalReport(db) }));
}
