/**
 * `cardterm doctor` (docs/doctor.md): one table a field technician reads at the customer's site —
 * config, readers, printer, broker, server and clock, disk, journal — each row PASS, WARN
 * or FAIL with the fix and the error code, and how it was checked. It works beside a
 * running agent (asking it for the devices it holds) and without one (opening them).
 *
 * Exit codes: 0 nothing failed (warnings allowed); 1 a row failed; 2 usage, or the config
 * file cannot be read at all.
 */
import type { AgentConfig, Language } from "../../config/agent-config.js";
import type { CommandSpec, ParsedInput } from "../../lib/cli/command-spec.js";
import { UsageError } from "../../lib/cli/command-spec.js";
import { runSome } from "../../lib/cli/run-cli.js";
import { isCardtermError } from "../../protocol/errors.js";
import { AgentApi, type AgentProbe } from "../doctor/agent-probe.js";
import { type AgentAnswer, buildChecks, labelOf, rowLabel } from "../doctor/build-checks.js";
import { checkConfig } from "../doctor/config-check.js";
import { printResult, type ResultPrinter } from "../doctor/doctor-print.js";
import { type DoctorRow, sayIn } from "../doctor/doctor-row.js";
import { readPin } from "../doctor/read-pin.js";
import { type DoctorReport, renderJson, renderTable } from "../doctor/render-table.js";
import { exitCodeOf, runChecks } from "../doctor/run-checks.js";
import { silentLogger } from "../logger.js";
import { createPrinter } from "../receipts/printer-registry.js";
import type { SelfTestReceiptData } from "../receipts/receipt-data.js";
import { selfTestData } from "../receipts/receipt-setup.js";
import { AGENT_VERSION } from "../version.js";
import { DEFAULT_CONFIG } from "./common-options.js";

export interface DoctorIo {
  out: (text: string) => void;
  err: (text: string) => void;
  now?: () => number;
  /** Asks for the operator's PIN (--operator); default: typed at the terminal, unseen. */
  pin?: (prompt: string) => Promise<string>;
}

const CONSOLE: DoctorIo = { out: (t) => console.log(t), err: (t) => console.error(t) };

function doctorSpec(io: DoctorIo): CommandSpec {
  return {
    path: "doctor",
    summary: "check config, readers, printer, broker, server clock, disk and journal: PASS/WARN/FAIL with the fix",
    options: [
      { flags: "-c, --config <file>", help: `the agent's config (default ${DEFAULT_CONFIG})` },
      { flags: "--lang <lang>", help: "zh-CN or en (default: the terminal's language)" },
      { flags: "--json", help: "the report as JSON" },
      { flags: "--print", help: "print the result as the self-test page (instead of the plain page)" },
      { flags: "--no-print", help: "no self-test page" },
      { flags: "--wait-tap <seconds>", help: "ask for a card on each reader within N seconds" },
      {
        flags: "--operator <id>",
        help: "log in to the running agent as this technician or supervisor (asks for the PIN)",
      },
      { flags: "--timeout <seconds>", help: "each check's time limit (default 10)" },
      { flags: "--disk-warn-mb <n>", help: "warn below this much free space (default 500)" },
      { flags: "--disk-fail-mb <n>", help: "fail below this much free space (default 100)" },
    ],
    examples: [
      "cardterm doctor",
      "cardterm doctor --config /etc/cardterm/cardterm.yaml --wait-tap 20 --lang en",
      "cardterm doctor --json --no-print > doctor.json",
    ],
    run: (input) => doctor(input, io),
  };
}

export const DOCTOR_COMMAND: CommandSpec = doctorSpec(CONSOLE);

/** `cardterm doctor …` from an argument list (tests call this). */
export function doctorCommand(args: string[], io: DoctorIo = CONSOLE): Promise<number> {
  return runSome("cardterm", [doctorSpec(io)], ["doctor", ...args], io);
}

async function doctor(input: ParsedInput, io: DoctorIo): Promise<number> {
  const opts = parse(input);
  if (typeof opts === "string") throw new UsageError(opts);
  const now = io.now ?? Date.now;
  let outcome: Awaited<ReturnType<typeof checkConfig>>;
  try {
    outcome = await checkConfig(opts.config);
  } catch (err) {
    if (!isCardtermError(err)) throw err;
    io.err(err.message);
    return 2;
  }
  const { config } = outcome;
  const lang: Language = opts.lang ?? config?.terminal.language ?? "zh-CN";
  const say = sayIn(lang);
  const configRow: DoctorRow = { check: "config", label: rowLabel(lang, "config"), ...outcome.finding(say), ms: 0 };
  const report: DoctorReport = {
    terminalId: config?.terminal.id ?? null,
    configFile: opts.config,
    at: new Date(now()).toISOString(),
    agent: { running: false, url: "" },
    rows: [configRow],
    exitCode: 1,
  };
  if (config) await examine(config, report, opts, lang, io, now);
  else report.rows.push(...skippedRows(lang));
  report.exitCode = exitCodeOf(report.rows);
  io.out(opts.json ? renderJson(report) : renderTable(report, lang));
  return report.exitCode;
}

async function examine(
  config: AgentConfig,
  report: DoctorReport,
  opts: Options,
  lang: Language,
  io: DoctorIo,
  now: () => number,
) {
  const api = new AgentApi(config);
  const probe = await api.probe(Math.min(opts.timeoutMs, 3_000));
  const agent = answerOf(api, probe);
  report.agent = {
    running: probe.running,
    url: api.url,
    ...(agent.status ? { version: agent.status.version } : {}),
    ...(agent.refused ? { problem: `${agent.refused.code}: ${agent.refused.message}` } : {}),
  };
  if (opts.operator && agent.status) {
    const pin = await (io.pin ?? readPin)(`PIN (${opts.operator}): `);
    const refusal = await api.login(opts.operator, pin, opts.timeoutMs);
    if (refusal) report.agent.problem = `CT_LOGIN_FAILED: ${refusal}`;
  }
  // With --print the result itself is the page, instead of the printer row's plain one:
  // printed after the checks (below), by the running agent when there is one (doctor-print.ts).
  const printAtEnd = opts.print && config.printer.type !== "none";
  const checks = buildChecks(config, agent, () => page(config, now, null), {
    lang,
    testPrint: !opts.noPrint && !printAtEnd,
    waitMs: Math.min(opts.timeoutMs - 1_000, 5_000),
    now,
    prompt: (text) => io.err(text),
    ...(opts.waitTapMs ? { waitTapMs: opts.waitTapMs } : {}),
    ...(opts.disk ? { disk: opts.disk } : {}),
  });
  const rows = await runChecks(checks, { lang, timeoutMs: opts.timeoutMs, now });
  report.rows.push(...rows);
  // Still logged in: the agent prints the result page for the technician (--operator) too.
  if (printAtEnd) await printResult(config, report.rows, page(config, now, report.rows), resultPrinter(), lang);
  await api.logout(opts.timeoutMs);

  function resultPrinter(): ResultPrinter {
    if (agent.status) return { via: "agent", selfTest: (doctor) => api.selfTest(opts.timeoutMs, doctor) };
    const log = silentLogger();
    return {
      via: "direct",
      open: () => createPrinter(config.printer, { language: config.terminal.language, now, log }),
    };
  }
}

function answerOf(api: AgentApi, probe: AgentProbe): AgentAnswer {
  if (!probe.running) return { api, status: null };
  if ("status" in probe) return { api, status: probe.status };
  return { api, status: null, refused: { code: probe.refused.code, message: probe.refused.message } };
}

/** The self-test page, with the doctor's rows when there are any. */
function page(config: AgentConfig, now: () => number, rows: DoctorRow[] | null): SelfTestReceiptData {
  const data = selfTestData({
    config,
    version: AGENT_VERSION,
    at: now(),
    readers: config.readers.map((r) => ({
      id: r.id,
      type: r.type,
      state: rows?.find((x) => x.check === `reader:${r.id}`)?.verdict ?? "agent stopped",
    })),
    brokerConnected: rows ? rows.find((x) => x.check === "broker")?.verdict !== "FAIL" : null,
    lastContactAt: null,
    journalPending: null,
    receiptsQueued: null,
  });
  // On paper in the receipt's language, whatever --lang the screen used.
  const lang = config.terminal.language;
  if (rows)
    data.doctor = rows.map((r) => ({
      label: labelOf(r.check, lang),
      verdict: r.verdict,
      detail: r.detail,
      ...(r.code ? { code: r.code } : {}),
    }));
  return data;
}

/** Without a valid config nothing else can be checked: said, not hidden. */
function skippedRows(lang: Language): DoctorRow[] {
  const say = sayIn(lang);
  const detail = say("需要有效的配置", "needs a valid config");
  return (["reader", "printer", "broker", "server", "disk", "journal"] as const).map((row) => ({
    check: row,
    label: rowLabel(lang, row),
    verdict: "SKIP",
    via: "direct",
    detail,
    ms: 0,
  }));
}

interface Options {
  config: string;
  lang?: Language;
  json: boolean;
  print: boolean;
  noPrint: boolean;
  waitTapMs?: number;
  operator?: string;
  timeoutMs: number;
  disk?: { warnBytes: number; failBytes: number };
}

/** The options, or what is wrong with them. */
function parse(input: ParsedInput): Options | string {
  const values = input.values as Record<string, string | boolean | undefined>;
  const lang = values.lang as string | undefined;
  if (lang !== undefined && lang !== "zh-CN" && lang !== "en") return `--lang must be zh-CN or en, not ${lang}`;
  if (values.print && values["no-print"]) return "--print and --no-print exclude each other";
  const numbers: Record<string, number | undefined> = {};
  for (const name of ["wait-tap", "timeout", "disk-warn-mb", "disk-fail-mb"]) {
    const raw = values[name] as string | undefined;
    if (raw === undefined) continue;
    if (!/^\d+$/.test(raw)) return `--${name} needs a whole number, not ${raw}`;
    numbers[name] = Number(raw);
  }
  const warnMb = numbers["disk-warn-mb"];
  const failMb = numbers["disk-fail-mb"];
  const mb = 2 ** 20;
  return {
    config: (values.config as string | undefined) ?? DEFAULT_CONFIG,
    ...(lang ? { lang } : {}),
    json: values.json === true,
    print: values.print === true,
    noPrint: values["no-print"] === true,
    ...(numbers["wait-tap"] ? { waitTapMs: numbers["wait-tap"] * 1000 } : {}),
    ...(typeof values.operator === "string" ? { operator: values.operator } : {}),
    timeoutMs: Math.max(2, numbers.timeout ?? 10) * 1000,
    ...(warnMb !== undefined || failMb !== undefined
      ? {
          disk: {
            warnBytes: (warnMb ?? Math.max(500, failMb ?? 0)) * mb,
            failBytes: (failMb ?? Math.min(100, warnMb ?? 100)) * mb,
          },
        }
      : {}),
  };
}
