/**
 * The doctor's table as a technician reads it in a terminal: columns aligned by display
 * width (a Chinese character takes two columns), the fix and the error code on their own
 * line under each row that needs one, a count at the end. `--json` gives machines the
 * same rows.
 */
import type { Language } from "../../config/agent-config.js";
import type { DoctorRow } from "./doctor-row.js";

export interface DoctorReport {
  terminalId: string | null;
  configFile: string;
  /** ISO-8601 time of the run. */
  at: string;
  /** Whether the agent was running, and where: device rows were asked of it. */
  agent: { running: boolean; url: string; version?: string; problem?: string };
  rows: DoctorRow[];
  exitCode: number;
}

const HEAD = {
  "zh-CN": {
    title: "cardterm 诊断",
    columns: ["检查项", "结果", "方式", "详情"],
    via: { agent: "代理", direct: "直接", "agent+direct": "代理+直接" },
    fix: "处理",
    agentUp: (url: string, v?: string) => `代理正在运行（${url}${v ? `，版本 ${v}` : ""}）：设备状态向它查询`,
    agentDown: (url: string) => `代理未运行（${url} 无响应）：设备由诊断程序直接打开`,
    summary: (n: Record<string, number>) =>
      `共 ${n.all} 项：通过 ${n.PASS}，警告 ${n.WARN}，失败 ${n.FAIL}，跳过 ${n.SKIP}`,
  },
  en: {
    title: "cardterm doctor",
    columns: ["CHECK", "RESULT", "VIA", "DETAIL"],
    via: { agent: "agent", direct: "direct", "agent+direct": "agent+direct" },
    fix: "fix",
    agentUp: (url: string, v?: string) =>
      `agent running at ${url}${v ? ` (version ${v})` : ""}: devices were asked of it`,
    agentDown: (url: string) => `agent not running (${url} does not answer): devices were opened by the doctor`,
    summary: (n: Record<string, number>) =>
      `${n.all} checks: ${n.PASS} PASS, ${n.WARN} WARN, ${n.FAIL} FAIL, ${n.SKIP} SKIP`,
  },
} as const;

export function renderTable(report: DoctorReport, lang: Language): string {
  const h = HEAD[lang];
  const who = report.terminalId ? ` — ${report.terminalId}` : "";
  const agentLine = report.agent.running
    ? h.agentUp(report.agent.url, report.agent.version)
    : h.agentDown(report.agent.url);
  const lines = [`${h.title}${who}  ${report.at}`, `${report.configFile}`, agentLine];
  if (report.agent.problem) lines.push(report.agent.problem);
  lines.push("");
  const cells = report.rows.map((r) => [r.label, r.verdict, h.via[r.via], r.detail]);
  const widths = [0, 1, 2].map((i) => Math.max(displayWidth(h.columns[i]!), ...cells.map((c) => displayWidth(c[i]!))));
  const line = (c: readonly string[]) =>
    [0, 1, 2].map((i) => padEnd(c[i]!, widths[i]!)).join("  ") + (c[3] ? `  ${c[3]}` : "");
  lines.push(line(h.columns));
  const indent = " ".repeat(widths[0]! + widths[1]! + widths[2]! + 6);
  report.rows.forEach((r, i) => {
    lines.push(line(cells[i]!).trimEnd());
    if (r.fix || (r.code && r.verdict !== "PASS")) {
      const code = r.code ? ` [${r.code}]` : "";
      lines.push(`${indent}→ ${h.fix}: ${r.fix ?? ""}${code}`);
    }
  });
  const n = { all: report.rows.length, PASS: 0, WARN: 0, FAIL: 0, SKIP: 0 };
  for (const r of report.rows) n[r.verdict]++;
  lines.push("", h.summary(n));
  return lines.join("\n");
}

export function renderJson(report: DoctorReport): string {
  return JSON.stringify(report, null, 2);
}

/** Columns a string takes in a terminal: East Asian wide and full-width characters take two. */
export function displayWidth(text: string): number {
  let width = 0;
  for (const ch of text) width += isWide(ch.codePointAt(0)!) ? 2 : 1;
  return width;
}

function padEnd(text: string, width: number): string {
  return text + " ".repeat(Math.max(0, width - displayWidth(text)));
}

function isWide(cp: number): boolean {
  return (
    (cp >= 0x1100 && cp <= 0x115f) || // Hangul Jamo
    (cp >= 0x2e80 && cp <= 0xa4cf) || // CJK radicals … Yi
    (cp >= 0xac00 && cp <= 0xd7a3) || // Hangul syllables
    (cp >= 0xf900 && cp <= 0xfaff) || // CJK compatibility ideographs
    (cp >= 0xfe30 && cp <= 0xfe4f) || // CJK compatibility forms
    (cp >= 0xff00 && cp <= 0xff60) || // full-width forms
    (cp >= 0xffe0 && cp <= 0xffe6) ||
    (cp >= 0x20000 && cp <= 0x3fffd)
  );
}
