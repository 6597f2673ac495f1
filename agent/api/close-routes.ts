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
    if (!isBusinessDay(day)) return badRequest(reply, `day ${JSON.stringify(day)} is not a date like 2026-11-22`);
    if (!isFormat(format)) return badRequest(reply, `format must be one of ${CLOSE_FORMATS.join(", ")}`);
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
    const day = req.body?.day ?? deps.today();
    const operatorId = deps.operatorOf?.(req) ?? req.body?.operatorId ?? "-";
    if (!isBusinessDay(day)) return badRequest(reply, `day ${JSON.stringify(day)} is not a date like 2026-11-22`);
    if (typeof operatorId !== "string") return badRequest(reply, "operatorId must be a string");
    const data = closeReceiptData(await build(day), { storeName: deps.storeName ?? "", operatorId });
    return { day, printed: await print(data) };
  });
}

function isFormat(format: string): format is CloseFormat {
  return (CLOSE_FORMATS as readonly string[]).includes(format);
}

function badRequest(reply: FastifyReply, message: string): FastifyReply {
  return reply.status(400).send({ code: "CT_BAD_REQUEST", message: `CT_BAD_REQUEST: ${message}` });
}
