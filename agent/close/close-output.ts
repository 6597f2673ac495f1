/**
 * The close in each of its file formats, with the MIME type and file name that go with
 * it — shared by the CLI and the HTTP route so both hand out the same bytes.
 */
import { closeCsv } from "./close-csv.js";
import type { DailyCloseReport } from "./close-report.js";
import { closeXlsx } from "./close-xlsx.js";

export const CLOSE_FORMATS = ["json", "csv", "xlsx"] as const;
export type CloseFormat = (typeof CLOSE_FORMATS)[number];

export interface CloseFile {
  body: Buffer;
  contentType: string;
  fileName: string;
}

const CONTENT_TYPE: Record<CloseFormat, string> = {
  json: "application/json; charset=utf-8",
  csv: "text/csv; charset=utf-8",
  xlsx: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
};

export function closeFile(report: DailyCloseReport, format: CloseFormat): CloseFile {
  const body =
    format === "csv"
      ? closeCsv(report)
      : format === "xlsx"
        ? closeXlsx(report)
        : Buffer.from(`${JSON.stringify(report, null, 2)}\n`, "utf8");
  return { body, contentType: CONTENT_TYPE[format], fileName: closeFileName(report, format) };
}

/** close-T001-2026-11-22.xlsx; characters a file system or a header would choke on become "_". */
export function closeFileName(
  report: Pick<DailyCloseReport, "terminalId" | "businessDay">,
  format: CloseFormat,
): string {
  const terminal = report.terminalId.replace(/[^A-Za-z0-9._-]/g, "_");
  return `close-${terminal}-${report.businessDay}.${format}`;
}

/** A real calendar day as YYYY-MM-DD (2026-02-30 is not one). */
export function isBusinessDay(day: unknown): day is string {
  if (typeof day !== "string" || !/^[0-9]{4}-[0-9]{2}-[0-9]{2}$/.test(day)) return false;
  const t = Date.parse(`${day}T00:00:00Z`);
  return !Number.isNaN(t) && new Date(t).toISOString().slice(0, 10) === day;
}
