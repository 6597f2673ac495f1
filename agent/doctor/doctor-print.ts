/**
 * `cardterm doctor --print`: the doctor's result on paper, as the self-test page with its
 * rows under the page's own lines. Printed once, after every row is known, and instead of
 * the printer row's plain test page (one sheet, not two: the result page shows the same
 * paper width, code page, Chinese text and codes the plain page would).
 *
 * Without the agent: straight to the printer, not through the durable print queue. A
 * diagnostic page is not a receipt anyone is owed — one that failed must not come out of
 * the printer by surprise when the agent starts and drains its queue.
 * Beside the running agent (it holds the printer): the rows are sent to it
 * (`POST /api/v1/receipts/self-test` with a body), and it prints them on its own page.
 */
import type { AgentConfig, Language } from "../../config/agent-config.js";
import type { PrintResult, ReceiptPrinter } from "../../drivers/printer/receipt-printer.js";
import type { SelfTestDoctorRow, SelfTestReceiptData } from "../receipts/receipt-data.js";
import { receiptLayout } from "../receipts/receipt-setup.js";
import { receiptMarkup } from "../receipts/receipt-templates.js";
import { SELF_TEST_BODY_LIMITS, type SelfTestDoctorWireRow } from "../receipts/self-test-body.js";
import type { SelfTestOutcome } from "./agent-probe.js";
import { type DoctorRow, sayIn } from "./doctor-row.js";

export function printSelfTestPage(
  printer: ReceiptPrinter,
  config: AgentConfig,
  data: SelfTestReceiptData,
): Promise<PrintResult> {
  const markup = receiptMarkup({ template: "self-test", data }, receiptLayout(config));
  return printer.print({ id: `doctor-${data.terminalId}-${Date.parse(data.at)}`, markup });
}

/** Where the result page goes: the printer itself, or the running agent. */
export type ResultPrinter =
  | { via: "direct"; open: () => ReceiptPrinter }
  | { via: "agent"; selfTest: (rows: SelfTestDoctorWireRow[]) => Promise<SelfTestOutcome> };

const NEEDS_LOGIN = new Set(["CT_UNAUTHORIZED", "CT_FORBIDDEN"]);

/** Prints the result page; the printer row says whether that worked (it is edited in place). */
export async function printResult(
  config: AgentConfig,
  rows: DoctorRow[],
  data: SelfTestReceiptData,
  to: ResultPrinter,
  lang: Language,
): Promise<void> {
  const say = sayIn(lang);
  const row = rows.find((r) => r.check === "printer");
  if (!row || row.verdict === "FAIL" || row.verdict === "SKIP") return;
  const outcome = await (to.via === "agent"
    ? to.selfTest(wireRows(data.doctor ?? []))
    : direct(to.open(), config, data));
  if (outcome.printed === true) {
    row.detail += `; ${say("诊断结果已打印", "result printed")}${outcome.previewPng ? ` (${outcome.previewPng})` : ""}`;
    return;
  }
  if (outcome.code && NEEDS_LOGIN.has(outcome.code)) {
    // The printer is not at fault: the agent prints for a technician or supervisor only.
    if (row.verdict === "PASS") row.verdict = "WARN";
    row.code = outcome.code as DoctorRow["code"];
    row.detail += `; ${say("诊断结果未打印：需要登录", "result not printed: a log-in is needed")}`;
    row.fix = say(
      "以技术员或店长身份运行：cardterm doctor --operator 工号（会询问密码）",
      "run it as a technician or supervisor: cardterm doctor --operator ID (asks for the PIN)",
    );
    return;
  }
  const why = outcome.printed === "queued" ? say("在队列中等待", "waiting in the queue") : (outcome.error ?? "");
  row.verdict = "FAIL";
  row.code = "CT_PRINTER_OFFLINE";
  row.detail += `; ${say("诊断结果未打印", "result not printed")}: ${why}`;
  row.fix = say("检查打印机电源、连线和纸", "check the printer's power, cable and paper");
}

async function direct(
  printer: ReceiptPrinter,
  config: AgentConfig,
  data: SelfTestReceiptData,
): Promise<SelfTestOutcome> {
  try {
    const r = await printSelfTestPage(printer, config, data);
    return { jobId: "self-test", printed: true, ...(r.previewPng ? { previewPng: r.previewPng } : {}) };
  } catch (err) {
    return { jobId: "self-test", printed: false, error: (err as Error).message.replace(/^CT_[A-Z_]+:\s*/, "") };
  } finally {
    await printer.close();
  }
}

/** The page's rows as the API takes them: within its bounds (a long detail is cut, not refused). */
export function wireRows(rows: SelfTestDoctorRow[]): SelfTestDoctorWireRow[] {
  return rows.slice(0, SELF_TEST_BODY_LIMITS.rows).map((r) => ({
    name: clip(r.label, SELF_TEST_BODY_LIMITS.name),
    result: r.verdict,
    detail: clip(r.detail, SELF_TEST_BODY_LIMITS.detail),
    ...(r.code ? { code: r.code } : {}),
  }));
}

/** Within `max` characters, control characters (a newline in a detail) as spaces. */
function clip(text: string, max: number): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: they would reach the printer as commands.
  const clean = text.replace(/[\u0000-\u001f\u007f-\u009f]/g, " ");
  return clean.length <= max ? clean : `${clean.slice(0, max - 1)}…`;
}
