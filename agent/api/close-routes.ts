/**
 * The daily close (日结) over the local API:
 *
 *   GET  /api/v1/close?day=YYYY-MM-DD&format=json|csv|xlsx   the close, rebuilt from the journal
 *   POST /api/v1/close/print {day, operatorId?}               the 日结单 to the receipt printer
 *
 * `day` defaults to today (the terminal's business day). Errors are `{code, message}`
 * like the rest of the API; they are sent here rather than thrown so the routes answer
 * the same whichever error handler the app that mounts them has.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { JournalEntry } from "../../protocol/journal-entry.js";
import { CLOSE_FORMATS, type CloseFormat, closeFile, isBusinessDay } from "../close/close-output.js";
import { closeReceiptData } from "../close/close-receipt-data.js";
import type { DailyCloseReport } from "../close/close-report.js";
import { buildDailyClose } from "../close/daily-close.js";
import type { DailyCloseReceiptData } from "../receipts/receipt-data.js";

export interface CloseRouteDeps {
  entriesOf(day: string): Promise<JournalEntry[]>;
  ackedSeq(): number;
  terminalId: string;
  /** Today's business day in the terminal's time zone. */
  today(): string;
  print?(data: DailyCloseReceiptData): Promise<unknown>;
  /** Printed at the top of the 日结单. Default: empty. */
  storeName?: string;
  /** Clock for the report's time. Default: Date.now. */
  now?(): number;
  /**
   * The logged-in operator who asks for the print, named on the slip. When given it wins
   * over a body's `operatorId`: the slip says who printed it, not who they claim to be.
   */
  operatorOf?(req: FastifyRequest): string | undefined;
}

export function registerCloseRoutes(app: FastifyInstance, deps: CloseRouteDeps): void {
  const build = async (day: string): Promise<DailyCloseReport> => {
    // ackedSeq first: an entry acknowledged meanwhile then reads as unsynced, never the reverse.
    const ackedSeq = deps.ackedSeq();
    return buildDailyClose(await deps.entriesOf(day), {
      terminalId: deps.terminalId,
      businessDay: day,
      ackedSeq,
      generatedAt: new Date((deps.now ?? Date.now)()).toISOString(),
    });
  };

  app.get<{ Querystring: { day?: string; format?: string } }>("/api/v1/close", async (req, reply) => {
    const day = req.query.day ?? deps.today();
    const format = req.query.format ?? "json";
    if (!isBusinessDay(day))
      return badRequest(reply, `day ${JSON.stringify(day)} is not a date like 2026-11-22`, "day");
    if (!isFormat(format)) return badRequest(reply, `format must be one of ${CLOSE_FORMATS.join(", ")}`, "format");
    const report = await build(day);
    if (format === "json") return report;
    const file = closeFile(report, format);
    return reply
      .header("content-type", file.contentType)
      .header("content-disposition", `attachment; filename="${file.fileName}"`)
      .send(file.body);
  });

  app.post<{ Body: { day?: unknown; operatorId?: unknown } | undefined }>("/api/v1/close/print", async (req, reply) => {
    const print = deps.print;
    if (!print) {
      return reply.status(404).send({ code: "CT_NOT_FOUND", message: "this terminal has no receipt printer" });
    }
    const problem = printBodyProblem(req.body);
    if (problem) return badRequest(reply, problem.message, problem.field);
    const day = req.body?.day ?? deps.today();
    const operatorId = deps.operatorOf?.(req) ?? (req.body?.operatorId as string | undefined) ?? "-";
    if (!isBusinessDay(day))
      return badRequest(reply, `day ${JSON.stringify(day)} is not a date like 2026-11-22`, "day");
    const data = closeReceiptData(await build(day), { storeName: deps.storeName ?? "", operatorId });
    return { day, printed: await print(data) };
  });
}

function isFormat(format: string): format is CloseFormat {
  return (CLOSE_FORMATS as readonly string[]).includes(format);
}

/** The print body as closePrintBodySchema has it, checked by hand (see the top): unknown fields refused. */
function printBodyProblem(body: unknown): { field?: string; message: string } | undefined {
  if (body === undefined || body === null) return undefined;
  if (typeof body !== "object" || Array.isArray(body))
    return { message: "the body must be an object { day?, operatorId? }" };
  const b = body as Record<string, unknown>;
  const extra = Object.keys(b).find((k) => !(k in closePrintBodySchema.properties));
  if (extra !== undefined)
    return { field: extra, message: `${extra} is not a known field; the fields allowed here are day, operatorId` };
  if ("day" in b && !isBusinessDay(b.day)) return { field: "day", message: "day must be a date like 2026-11-22" };
  const id = b.operatorId;
  if ("operatorId" in b && (typeof id !== "string" || id.length < 1 || id.length > 64)) {
    return { field: "operatorId", message: "operatorId must be text of 1–64 characters" };
  }
  return undefined;
}

/** What POST /api/v1/close/print takes, for the OpenAPI document (openapi.ts). */
export const closePrintBodySchema = {
  type: "object",
  additionalProperties: false,
  properties: {
    day: { type: "string", pattern: "^[0-9]{4}-[0-9]{2}-[0-9]{2}$", description: "Business day; default today" },
    operatorId: {
      type: "string",
      minLength: 1,
      maxLength: 64,
      description: "Named on the slip when no operator is logged in (a logged-in one wins)",
    },
  },
} as const;

function badRequest(reply: FastifyReply, message: string, field?: string): FastifyReply {
  return reply
    .status(400)
    .send({ code: "CT_BAD_REQUEST", message: `CT_BAD_REQUEST: ${message}`, ...(field === undefined ? {} : { field }) });
}
