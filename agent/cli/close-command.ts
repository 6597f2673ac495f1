/**
 * `cardterm close --config FILE [--day YYYY-MM-DD] [--csv FILE | --xlsx FILE | --json]` —
 * the daily close (日结) of this terminal, rebuilt from the journal on the box. Read-only
 * (the ledger is opened readOnly), so it is safe beside the running agent and can be run
 * as often as wanted: the same journal gives the same figures and the same file bytes.
 */
import { writeFile } from "node:fs/promises";
import { parseArgs } from "node:util";
import { loadConfig } from "../../config/load-config.js";
import { formatMoney } from "../../protocol/money.js";
import { closeFile, isBusinessDay } from "../close/close-output.js";
import type { DailyCloseReport, Totals } from "../close/close-report.js";
import { closeSource } from "../close/close-source.js";
import { buildDailyClose } from "../close/daily-close.js";
import { JournalArchive } from "../journal/journal-archive.js";
import { TerminalLedger } from "../journal/terminal-ledger.js";
import { businessDay } from "../sale/business-day.js";

const USAGE = `usage:
  cardterm close --config FILE [--day YYYY-MM-DD] [--csv FILE | --xlsx FILE | --json]
    the daily close (日结) of a business day (default: today in the terminal's time zone);
    a summary to stdout, or the CSV / XLSX written to FILE, or the full report as JSON`;

export async function closeCommand(
  args: string[],
  out: (line: string) => void = console.log,
  now: () => number = Date.now,
): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      config: { type: "string", short: "c" },
      day: { type: "string" },
      csv: { type: "string" },
      xlsx: { type: "string" },
      json: { type: "boolean" },
    },
  });
  const outputs = [values.csv, values.xlsx, values.json].filter((v) => v !== undefined);
  if (!values.config || outputs.length > 1) {
    console.error(USAGE);
    return 2;
  }
  if (values.day !== undefined && !isBusinessDay(values.day)) {
    console.error(`--day ${JSON.stringify(values.day)} is not a date like 2026-11-22\n${USAGE}`);
    return 2;
  }
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
    for (const line of summaryLines(report)) out(line);
  }
  return 0;
}

function summaryLines(r: DailyCloseReport): string[] {
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
    `  first ${r.firstTxnAt ?? "-"}  last ${r.lastTxnAt ?? "-"}`,
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
