/**
 * The technician's self-test page: agent version, config file, readers, broker and
 * server link, this box's addresses and time, the printer's settings — and a print test:
 * the full line width, Chinese and the yen sign in the printer's character set, a QR code
 * and a CODE128 barcode. A technician who sees all of it printed knows the printer, the
 * paper width and the code page are right.
 */
import type { SelfTestReceiptData } from "./receipt-data.js";
import { type DocLine, formatTime, type ReceiptDoc, type ReceiptLayout } from "./receipt-layout.js";
import { COMMON_LABELS } from "./txn-rows.js";

const LABELS = {
  "zh-CN": {
    title: "打印机自检",
    version: "版本",
    config: "配置文件",
    host: "主机名",
    ip: "IP",
    readers: "读卡器",
    broker: "消息服务器",
    connected: "已连接",
    disconnected: "未连接",
    unknown: "未知",
    server: "最后联机",
    never: "从未",
    printer: "打印机",
    paper: "纸宽",
    charset: "字符集",
    drawer: "钱箱",
    journal: "待上传交易",
    queued: "待打印小票",
    sample: "中文测试 ¥12.34 ABCabc 0123",
    none: "无",
    doctor: "诊断结果",
  },
  en: {
    title: "SELF-TEST",
    version: "Version",
    config: "Config",
    host: "Host",
    ip: "IP",
    readers: "Readers",
    broker: "Broker",
    connected: "connected",
    disconnected: "not connected",
    unknown: "unknown",
    server: "Last contact",
    never: "never",
    printer: "Printer",
    paper: "Paper",
    charset: "Charset",
    drawer: "Drawer",
    journal: "Unsynced",
    queued: "Queued",
    sample: "中文测试 ¥12.34 ABCabc 0123",
    none: "none",
    doctor: "Doctor",
  },
} as const;

export function selfTestDoc(
  data: SelfTestReceiptData,
  layout: Pick<ReceiptLayout, "language" | "timeZone"> & { cpl: number },
): ReceiptDoc {
  const l = LABELS[layout.language];
  const c = COMMON_LABELS[layout.language];
  const connected = data.broker.connected === null ? l.unknown : data.broker.connected ? l.connected : l.disconnected;
  const count = (n: number | null) => (n === null ? l.unknown : String(n));
  const body: DocLine[] = [
    { label: c.time, value: formatTime(data.at, layout.timeZone) },
    { label: c.terminal, value: data.terminalId },
    { label: l.version, value: data.agentVersion },
    { label: l.config, value: data.configFile },
    { label: l.host, value: data.hostname },
    ...(data.addresses.length > 0
      ? data.addresses.map((a) => ({ label: l.ip, value: a }))
      : [{ label: l.ip, value: l.none }]),
    "rule",
    { text: l.readers, bold: true },
    ...(data.readers.length > 0
      ? data.readers.map((r) => ({ label: r.id, value: `${r.type} ${r.state}`, ownWidth: true }))
      : [{ text: l.none }]),
    "rule",
    { label: l.broker, value: connected },
    { text: data.broker.url },
    {
      label: l.server,
      value: data.server.lastContactAt ? formatTime(data.server.lastContactAt, layout.timeZone) : l.never,
    },
    { label: l.journal, value: count(data.journalPending) },
    { label: l.queued, value: count(data.receiptsQueued) },
    ...doctorLines(data, l.doctor, layout.cpl),
    "rule",
    { label: l.printer, value: data.printer.type },
    { label: l.paper, value: `${data.printer.paperWidth} mm, ${layout.cpl}` },
    { label: l.charset, value: data.printer.charset },
    { label: l.drawer, value: data.printer.drawer },
    "rule",
    { text: ruler(layout.cpl) },
    { text: l.sample },
  ];
  return {
    storeName: data.storeName,
    title: l.title,
    reprint: data.reprint,
    body,
    qr: `SELFTEST ${data.terminalId}`,
    barcode: data.terminalId,
    thanks: false,
  };
}

/** `cardterm doctor --print`: each row's verdict, and under a failure or warning its code and detail. */
function doctorLines(data: SelfTestReceiptData, title: string, cpl: number): DocLine[] {
  if (!data.doctor || data.doctor.length === 0) return [];
  const lines: DocLine[] = ["rule", { text: title, bold: true }];
  for (const row of data.doctor) {
    lines.push({ label: row.label, value: row.verdict, ownWidth: true });
    if (row.verdict === "FAIL" || row.verdict === "WARN") {
      const text = `${row.code ? `${row.code} ` : ""}${row.detail}`;
      // Two lines at most: the table on screen has the whole text and the fix.
      lines.push({ text: text.length > 2 * cpl ? `${text.slice(0, 2 * cpl - 1)}…` : text });
    }
  }
  return lines;
}

/** 1234567890123… exactly one line wide: a wrong paper width shows as a wrapped ruler. */
function ruler(cpl: number): string {
  let s = "";
  for (let i = 1; i <= cpl; i++) s += String(i % 10);
  return s;
}
