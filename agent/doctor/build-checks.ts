/**
 * The doctor's rows for one config: one per reader, then printer, broker, server,
 * operators, disk and journal — each built to ask the running agent or to open the device itself,
 * depending on whether the agent answered (agent-probe.ts).
 */
import type { AgentConfig, Language } from "../../config/agent-config.js";
import { type ConfigProblem, checkDevicePaths } from "../../config/load-config.js";
import type { ReceiptPrinter } from "../../drivers/printer/receipt-printer.js";
import type { CardReader } from "../../drivers/readers/card-reader.js";
import { silentLogger } from "../logger.js";
import { createReader } from "../readers/create-reader.js";
import { createPrinter } from "../receipts/printer-registry.js";
import type { SelfTestReceiptData } from "../receipts/receipt-data.js";
import type { AgentApi, AgentStatusView } from "./agent-probe.js";
import { brokerCheck } from "./broker-check.js";
import { diskCheck } from "./disk-check.js";
import { type DoctorCheck, sayIn } from "./doctor-row.js";
import { journalCheck } from "./journal-check.js";
import { operatorsCheck } from "./operators-check.js";
import { printerCheck } from "./printer-check.js";
import { readerCheck } from "./reader-check.js";
import { serverCheck } from "./server-check.js";

const LABELS = {
  "zh-CN": {
    config: "配置",
    reader: "读卡器",
    printer: "打印机",
    broker: "消息服务器",
    server: "中心服务器",
    operators: "操作员",
    disk: "磁盘",
    journal: "交易日志",
  },
  en: {
    config: "config",
    reader: "reader",
    printer: "printer",
    broker: "broker",
    server: "server",
    operators: "operators",
    disk: "disk",
    journal: "journal",
  },
} as const;

/** A row's name in another language (the self-test page speaks the receipt's). */
export function labelOf(check: string, lang: Language): string {
  const [row, id] = check.split(":", 2) as [keyof (typeof LABELS)["en"], string | undefined];
  return row in LABELS.en ? rowLabel(lang, row, id) : check;
}

export function rowLabel(lang: Language, row: keyof (typeof LABELS)["en"], id?: string): string {
  return id === undefined ? LABELS[lang][row] : `${LABELS[lang][row]} ${id}`;
}

export interface DoctorOptions {
  lang: Language;
  /** Print the self-test page in the printer row. */
  testPrint: boolean;
  /** --wait-tap: ask for a card on each reader within this time. */
  waitTapMs?: number;
  /** How long a connection or an answer may take inside a check. */
  waitMs: number;
  disk?: { warnBytes: number; failBytes: number };
  prompt: (text: string) => void;
  now: () => number;
}

export interface DoctorDevices {
  openReader?: (reader: AgentConfig["readers"][number]) => CardReader;
  openPrinter?: () => ReceiptPrinter;
}

export interface AgentAnswer {
  api: AgentApi;
  /** The running agent's status; null when it is not running (or did not give it). */
  status: AgentStatusView | null;
  /** It runs but refused the doctor (wrong API token) or did not answer: it still holds the devices. */
  refused?: { code: string; message: string };
}

export function buildChecks(
  config: AgentConfig,
  agent: AgentAnswer,
  page: () => SelfTestReceiptData,
  o: DoctorOptions,
  devices: DoctorDevices = {},
): DoctorCheck[] {
  const paths = checkDevicePaths(config);
  const pathOf = (p: string): ConfigProblem | undefined => paths.find((x) => x.path === p);
  const log = silentLogger();
  const status = agent.status;
  const held = agent.refused;
  const readers = config.readers.map((reader, i) =>
    held
      ? heldCheck(`reader:${reader.id}`, rowLabel(o.lang, "reader", reader.id), held, o.lang)
      : readerCheck({
          reader,
          label: rowLabel(o.lang, "reader", reader.id),
          agent: status,
          refreshAgent: async () => {
            const p = await agent.api.probe(o.waitMs);
            return "status" in p ? p.status : null;
          },
          ...(pathOf(`readers[${i}].path`) ? { pathProblem: pathOf(`readers[${i}].path`)! } : {}),
          open: devices.openReader ?? ((r) => createReader(r, o.now, log)),
          settleMs: Math.min(o.waitMs, 5_000),
          ...(o.waitTapMs ? { waitTapMs: o.waitTapMs } : {}),
          prompt: o.prompt,
        }),
  );
  const printerPath = pathOf("printer.path");
  return [
    ...readers,
    held
      ? heldCheck("printer", rowLabel(o.lang, "printer"), held, o.lang)
      : printerCheck({
          config,
          label: rowLabel(o.lang, "printer"),
          agent: status,
          agentSelfTest: () => agent.api.selfTest(o.waitMs),
          ...(printerPath ? { pathProblem: printerPath } : {}),
          open:
            devices.openPrinter ??
            (() => createPrinter(config.printer, { language: config.terminal.language, now: o.now, log })),
          testPrint: o.testPrint,
          page,
        }),
    brokerCheck({ config, label: rowLabel(o.lang, "broker"), agent: status, waitMs: o.waitMs }),
    serverCheck({ config, label: rowLabel(o.lang, "server"), agent: status, waitMs: o.waitMs }),
    operatorsCheck({ config, label: rowLabel(o.lang, "operators"), agent: status }),
    diskCheck({
      dataDir: config.terminal.dataDir,
      label: rowLabel(o.lang, "disk"),
      ...(o.disk ? { limits: o.disk } : {}),
    }),
    journalCheck({ config, label: rowLabel(o.lang, "journal"), agent: status }),
  ];
}

/** A device the running agent holds but would not describe: it cannot be opened here either. */
function heldCheck(
  check: string,
  label: string,
  refused: { code: string; message: string },
  lang: Language,
): DoctorCheck {
  const say = sayIn(lang);
  const unauthorized = refused.code === "CT_UNAUTHORIZED";
  return {
    check,
    label,
    via: "agent",
    run: async () => ({
      verdict: "FAIL",
      via: "agent",
      code: unauthorized ? "CT_UNAUTHORIZED" : "CT_SERVER_TIMEOUT",
      detail: say(
        `代理占用着设备，但没有回答：${refused.message}`,
        `the running agent holds the device but did not answer: ${refused.message}`,
      ),
      fix: unauthorized
        ? say(
            "配置中的 api.token 与运行中的代理不同：修改配置后重启代理（systemctl restart cardterm），或用代理正在用的配置运行诊断",
            "api.token in this config is not the running agent's: restart the agent after changing the config (systemctl restart cardterm), or run the doctor with the agent's config",
          )
        : say(
            "代理没有响应：重启代理（systemctl restart cardterm）",
            "the agent does not respond: restart it (systemctl restart cardterm)",
          ),
    }),
  };
}
