/**
 * `cardterm close --config FILE [--day YYYY-MM-DD] [--csv FILE | --xlsx FILE | --json]` —
 * the daily close (日结) of this terminal, rebuilt from the journal on the box. Read-only
 * (the ledger is opened readOnly), so it is safe beside the running agent and can be run
 * as often as wanted: the same journal gives the same figures and the same file bytes.
 */
import { writeFile } from "node:fs/promises";
import { loadConfig } from "../../config/load-config.js";
import type { CommandSpec, ParsedInput } from "../../lib/cli/command-spec.js";
import { flagOf, textOf, UsageError } from "../../lib/cli/command-spec.js";
import { runSome } from "../../lib/cli/run-cli.js";
import { formatMoney } from "../../rules/money.js";
import { closeFile, isBusinessDay } from "../close/close-output.js";
import type { DailyCloseReport, Totals } from "../close/close-report.js";
import { closeSource } from "../close/close-source.js";
import { buildDailyClose } from "../close/daily-close.js";
import { JournalArchive } from "../journal/journal-archive.js";
import { TerminalLedger } from "../journal/terminal-ledger.js";
import { formatTime } from "../receipts/receipt-layout.js";
import { businessDay } from "../sale/business-day.js";
import { CONFIG_OPTION, CONSOLE_OUTPUT } from "./common-options.js";

export const CLOSE_COMMAND: CommandSpec = {
  path: "close",
  summary: "the daily close (日结) rebuilt from the journal: a summary, CSV, XLSX or JSON",
  options: [
    CONFIG_OPTION,
    { flags: "--day <YYYY-MM-DD>", help: "the business day (default: today in the terminal's time zone)" },
    { flags: "--csv <file>", help: "write the close as CSV to FILE", conflicts: ["xlsx", "json"] },
    { flags: "--xlsx <file>", help: "write the close as an XLSX workbook to FILE", conflicts: ["csv", "json"] },
    { flags: "--json", help: "print the full report as JSON", conflicts: ["csv", "xlsx"] },
  ],
  examples: [
    "cardterm close --config /etc/cardterm/cardterm.yaml",
    "cardterm close --config /etc/cardterm/cardterm.yaml --day 2026-11-22 --xlsx close-2026-11-22.xlsx",
  ],
  run: (input) => close(input),
};

/** `cardterm close …` from an argument list (tests call this). */
export function closeCommand(
  args: string[],
  out: (line: string) => void = console.log,
  now: () => number = Date.now,
): Promise<number> {
  const bound = { ...CLOSE_COMMAND, run: (input: ParsedInput) => close(input, out, now) };
  return runSome("cardterm", [bound], ["close", ...args], CONSOLE_OUTPUT);
}

async function close(
  input: ParsedInput,
  out: (line: string) => void = console.log,
  now: () => number = Date.now,
): Promise<number> {
  const day0 = textOf(input, "day");
  if (day0 !== undefined && !isBusinessDay(day0))
    throw new UsageError(`--day ${JSON.stringify(day0)} is not a date like 2026-11-22`);
  const values = {
    config: textOf(input, "config") as string,
    day: day0,
    csv: textOf(input, "csv"),
    xlsx: textOf(input, "xlsx"),
    json: flagOf(input, "json") || undefined,
  };
  const config = await loadConfig(values.config);
  const { dataDir, id, key, timeZone } = config.terminal;
  const day = values.day ?? businessDay(now(), timeZone);
  const ledger = await TerminalLedger.open({ dataDir, terminalId: id, key, readOnly: true });
  const integrity = ledger.checkIntegrity();
  // A journal that fails verification still shows its close (the figures are wanted all
  // the more), with a warning: the entries it could read are not vouched for.
  if (!integrity.ok) console.error(`warning: CT_JOURNAL_CORRUPT: ${integrity.problem}`);
  const source = closeSource(ledger, new JournalArchive(`${dataDir}/archive`, config.archiveDays));
  const report = buildDailyClose(await source.entriesOf(day), {
    terminalId: id,
    businessDay: day,
    ackedSeq: source.ackedSeq(),
    generatedAt: new Date(now()).toISOString(),
  });
  if (values.json) {
    out(closeFile(report, "json").body.toString("utf8").trimEnd());
  } else if (values.csv !== undefined || values.xlsx !== undefined) {
    const format = values.csv !== undefined ? "csv" : "xlsx";
    const path = (values.csv ?? values.xlsx) as string;
    await writeFile(path, closeFile(report, format).body);
    out(`daily close of ${id} for ${day} written to ${path} (${report.total.count} transactions)`);
  } else {
    for (const line of summaryLines(report, timeZone)) out(line);
  }
  return 0;
}

/** The close for the terminal: times in the store's zone, like its receipts and the console. */
function summaryLines(r: DailyCloseReport, timeZone: string): string[] {
  const at = (iso: string | null) => (iso === null ? "-" : formatTime(iso, timeZone));
  const line = (label: string, count: number, fen: number) =>
    `  ${label.padEnd(16)} ${String(count).padStart(5)}  ${formatMoney(fen).padStart(12)}`;
  // One kind: its amount. Kinds mixed (operator, online/offline): the signed change of
  // stored value, so a sale and its void net to 0 rather than add up.
  const row = (label: string, t: Totals) => line(label, t.count, t.net);
  const mixed = (label: string, t: Totals) => line(label, t.count, t.balanceChange);
  const unsynced =
    r.unsynced.count === 0 ? "all uploaded" : `${r.unsynced.count} not uploaded yet, from #${r.unsynced.firstSeq}`;
  return [
    `daily close: terminal ${r.terminalId}, business day ${r.businessDay}, acknowledged through #${r.ackedSeq}`,
    `  first ${at(r.firstTxnAt)}  last ${at(r.lastTxnAt)}`,
    `  ${"".padEnd(16)} ${"count".padStart(5)}  ${"amount".padStart(12)}`,
    ...r.byKind.map((k) => row(k.kind, k)),
    ...r.byPayment.map((p) => line(`topup ${p.payment}`, p.takings.count, p.takings.paid)),
    `  stored value change by operator and mode:`,
    ...r.byOperator.map((o) => mixed(`operator ${o.operatorId}`, o.total)),
    mixed("online", r.byMode.online),
    mixed("offline", r.byMode.offline),
    `  stored value: +${formatMoney(r.total.credit)} -${formatMoney(r.total.debit)} = ${formatMoney(r.total.balanceChange)}`,
    `  bonus given ${formatMoney(r.bonusGiven)}, points given ${r.total.pointsEarned}, points used ${r.total.pointsRedeemed}`,
    `  ${unsynced}`,
  ];
}
