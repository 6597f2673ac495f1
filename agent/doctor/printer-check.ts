/**
 * The printer's row: its status (ready, paper near end, paper out, cover open, offline —
 * ESC/POS DLE EOT, drivers/printer/escpos-status.ts) and a test print: the self-test page
 * (agent/receipts/self-test-receipt.ts), which shows the paper width, the code page and
 * the QR and barcode at once. `--no-print` skips the page.
 *
 * With the agent running, the printer is its: the status comes from the agent and the page
 * is printed by it (POST /api/v1/receipts/self-test), in turn with its receipts.
 */
import type { AgentConfig } from "../../config/agent-config.js";
import type { ConfigProblem } from "../../config/load-config.js";
import { formatProblems } from "../../config/load-config.js";
import type { PrinterStatus, ReceiptPrinter } from "../../drivers/printer/receipt-printer.js";
import type { ErrorCode } from "../../protocol/errors.js";
import type { ReceiptOutcome } from "../receipts/print-queue.js";
import { noPrinter, printerAddress, type Words } from "../receipts/printer-registry.js";
import type { SelfTestReceiptData } from "../receipts/receipt-data.js";
import type { AgentStatusView, SelfTestOutcome } from "./agent-probe.js";
import { printSelfTestPage } from "./doctor-print.js";
import type { CheckContext, DoctorCheck, Finding, Say, Via } from "./doctor-row.js";
import { sayIn } from "./doctor-row.js";

export interface PrinterCheckOptions {
  config: AgentConfig;
  label: string;
  agent: AgentStatusView | null;
  /** The running agent prints its self-test page. */
  agentSelfTest?: () => Promise<SelfTestOutcome>;
  /** The config's complaint about a serial or USB printer's path (file:line), if any. */
  pathProblem?: ConfigProblem;
  open: () => ReceiptPrinter;
  /** Print the self-test page (false with --no-print, or when --print prints the result instead). */
  testPrint: boolean;
  page: () => SelfTestReceiptData;
}

export function printerCheck(o: PrinterCheckOptions): DoctorCheck {
  return {
    check: "printer",
    label: o.label,
    via: o.agent ? "agent" : "direct",
    run: (ctx) => {
      const nothing = noPrinter(o.config.printer);
      if (nothing) return skipped(nothing, ctx);
      return o.agent ? viaAgent(o, o.agent, ctx) : direct(o, ctx);
    },
  };
}

async function skipped(why: Words, ctx: CheckContext): Promise<Finding> {
  return { verdict: "SKIP", via: "direct", detail: sayIn(ctx.lang)(why.zh, why.en) };
}

async function viaAgent(o: PrinterCheckOptions, agent: AgentStatusView, ctx: CheckContext): Promise<Finding> {
  const say = sayIn(ctx.lang);
  const status = judge(agent.printer, "agent", say, o.config);
  const waiting = agent.printer.queue?.pending ?? 0;
  const queued = waiting > 0 ? say(`${waiting} 张小票等待打印`, `${waiting} receipt(s) waiting`) : "";
  const found = { ...status, detail: [status.detail, queued].filter(Boolean).join("; ") };
  if (!o.testPrint || found.verdict === "FAIL") return found;
  const outcome: SelfTestOutcome = await o.agentSelfTest!().catch((err: Error) => failedOutcome(err));
  if (outcome.code && NEEDS_LOGIN.has(outcome.code)) return needsLogin(found, outcome, say);
  return withPrint(found, outcome, say);
}

const NEEDS_LOGIN = new Set(["CT_UNAUTHORIZED", "CT_FORBIDDEN"]);

/**
 * With operators configured, the agent prints the self-test page only for a technician or
 * supervisor (agent/operators/permissions.ts). The printer is not at fault: a warning
 * that says how to log in.
 */
function needsLogin(found: Finding, outcome: SelfTestOutcome, say: Say): Finding {
  return {
    verdict: found.verdict === "PASS" ? "WARN" : found.verdict,
    via: found.via,
    ...(outcome.code ? { code: outcome.code as ErrorCode } : {}),
    detail: `${found.detail}; ${say("自检页未打印：需要登录", "self-test page not printed: a log-in is needed")} (${outcome.error ?? ""})`,
    fix: say(
      "以技术员或店长身份运行：cardterm doctor --operator 工号（会询问密码）",
      "run it as a technician or supervisor: cardterm doctor --operator ID (asks for the PIN)",
    ),
  };
}

async function direct(o: PrinterCheckOptions, ctx: CheckContext): Promise<Finding> {
  const say = sayIn(ctx.lang);
  if (o.pathProblem) {
    return { ...offline(say, o.config), detail: formatProblems([o.pathProblem]) };
  }
  const printer = o.open();
  const stop = () => void printer.close();
  ctx.signal.addEventListener("abort", stop, { once: true });
  try {
    const status = printer.refreshStatus ? await printer.refreshStatus() : printer.status();
    const found = judge(status, "direct", say, o.config);
    if (!o.testPrint || found.verdict === "FAIL") return found;
    const outcome = await printSelfTestPage(printer, o.config, o.page()).then(
      (r): ReceiptOutcome => ({
        jobId: "self-test",
        printed: true,
        ...(r.previewPng ? { previewPng: r.previewPng } : {}),
      }),
      (err: Error) => failedOutcome(err),
    );
    return withPrint(found, outcome, say);
  } finally {
    ctx.signal.removeEventListener("abort", stop);
    await printer.close();
  }
}

/** What the printer's state means to the technician. */
function judge(s: PrinterStatus, via: Via, say: Say, config: AgentConfig): Finding {
  switch (s.state) {
    case "ready":
      return { verdict: "PASS", via, detail: say("就绪", "ready") };
    case "unknown":
      return {
        verdict: "WARN",
        via,
        detail: say(
          "已连接，但打印机不回答状态查询（DLE EOT）",
          "connected, but the printer does not answer status queries (DLE EOT)",
        ),
        fix: say(
          "缺纸时将无法提示：如打印机支持，请在其设置中打开实时状态",
          "paper-out will not be noticed: turn real-time status on in the printer's settings, if it has one",
        ),
      };
    case "paper-near-end":
      return {
        verdict: "WARN",
        via,
        detail: say("纸将用完", "paper near end"),
        fix: say("尽快换上新纸卷", "put in a new roll soon"),
      };
    case "paper-out":
      return notReady(
        via,
        say("缺纸", "paper out"),
        say("装上纸卷，合上盖子", "load a paper roll and close the cover"),
      );
    case "cover-open":
      return notReady(
        via,
        say("机盖打开", "cover open"),
        say("合上打印机盖，直到卡住", "close the printer's cover until it clicks"),
      );
    default:
      return { ...offline(say, config), via, detail: (s.detail ?? s.state).replace(/^CT_[A-Z_]+:\s*/, "") };
  }
}

function notReady(via: Via, detail: string, fix: string): Finding {
  return { verdict: "FAIL", via, code: "CT_PRINTER_NOT_READY", detail, fix };
}

function offline(say: Say, config: AgentConfig): Finding {
  const where = printerAddress(config.printer);
  return {
    verdict: "FAIL",
    via: "direct",
    code: "CT_PRINTER_OFFLINE",
    detail: "",
    fix: say(
      `检查打印机电源和连线，以及配置中的地址 ${where}`,
      `check the printer's power and cable, and its address in the config (${where})`,
    ),
  };
}

/** The status row, with the test page's outcome added. */
function withPrint(found: Finding, outcome: ReceiptOutcome, say: Say): Finding {
  if (outcome.printed === true) {
    const preview = outcome.previewPng ? ` (${outcome.previewPng})` : "";
    return { ...found, detail: `${found.detail}; ${say("自检页已打印", "self-test page printed")}${preview}` };
  }
  const why = outcome.printed === "queued" ? say("在队列中等待", "waiting in the queue") : (outcome.error ?? "");
  return {
    verdict: "FAIL",
    via: found.via,
    code: "CT_PRINTER_OFFLINE",
    detail: `${found.detail}; ${say("自检页未打印", "self-test page not printed")}: ${why}`,
    fix: say(
      "检查打印机电源、连线和纸；再试：cardterm receipt self-test",
      "check the printer's power, cable and paper; try again: cardterm receipt self-test",
    ),
  };
}

function failedOutcome(err: Error): ReceiptOutcome {
  return { jobId: "self-test", printed: false, error: err.message.replace(/^CT_[A-Z_]+:\s*/, "") };
}
