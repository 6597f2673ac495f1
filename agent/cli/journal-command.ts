/**
 * `cardterm journal verify | list | export --csv` — the technician's and the auditor's
 * view of the journal on the box. Read-only: safe while the agent runs (journal.json is
 * replaced by atomic renames; an append in progress on journal.log reads as a torn tail
 * and is simply not shown).
 */
import { parseArgs } from "node:util";
import { loadConfig } from "../../config/load-config.js";
import { maskCardId } from "../../protocol/card.js";
import type { JournalEntry } from "../../protocol/journal-entry.js";
import { formatMoney } from "../../protocol/money.js";
import { JournalArchive } from "../journal/journal-archive.js";
import { TerminalLedger } from "../journal/terminal-ledger.js";

const USAGE = `usage:
  cardterm journal verify --config FILE          check chain, sequence and MACs; exit 1 if broken
  cardterm journal list --config FILE [--day YYYY-MM-DD]   entries (archive and pending)
  cardterm journal export --csv --config FILE [--day YYYY-MM-DD]   CSV to stdout`;

export async function journalCommand(args: string[], out: (line: string) => void = console.log): Promise<number> {
  const [sub, ...rest] = args;
  const { values } = parseArgs({
    args: rest,
    options: { config: { type: "string", short: "c" }, day: { type: "string" }, csv: { type: "boolean" } },
  });
  if (!sub || !values.config || !["verify", "list", "export"].includes(sub)) {
    console.error(USAGE);
    return 2;
  }
  const config = await loadConfig(values.config);
  const { dataDir, id, key } = config.terminal;
  const ledger = await TerminalLedger.open({ dataDir, terminalId: id, key, readOnly: true });
  const integrity = ledger.checkIntegrity();
  if (sub === "verify") {
    const s = ledger.summary();
    if (!integrity.ok) {
      console.error(`CT_JOURNAL_CORRUPT: ${dataDir}/journal: ${integrity.problem}`);
      return 1;
    }
    out(`journal OK: terminal ${id}, next #${s.nextSeq}, acknowledged through #${s.ackedSeq}, ${s.pending} pending`);
    return 0;
  }
  const archive = new JournalArchive(`${dataDir}/archive`, config.archiveDays);
  const days = values.day ? [values.day] : undefined;
  const entries = [
    ...(await archive.read(days)),
    ...ledger.pending().filter((e) => !days || days.includes(e.businessDay)),
  ];
  const pendingFrom = ledger.summary().ackedSeq;
  if (sub === "export") {
    if (!values.csv) {
      console.error("cardterm journal export needs --csv");
      return 2;
    }
    out(CSV_HEADER);
    for (const e of entries) out(csvRow(e, e.seq > pendingFrom));
    return 0;
  }
  for (const e of entries) out(listLine(e, e.seq > pendingFrom));
  if (!integrity.ok) console.error(`warning: CT_JOURNAL_CORRUPT: ${integrity.problem}`);
  return 0;
}

const CSV_HEADER = "seq,txn_id,business_day,at,kind,mode,operator,card,gross,discount,net,bonus,points,synced";

function csvRow(e: JournalEntry, pending: boolean): string {
  const cells = [
    e.seq,
    e.txnId,
    e.businessDay,
    e.at,
    e.kind,
    e.mode,
    e.operatorId,
    maskCardId(e.cardId),
    formatMoney(e.gross),
    formatMoney(e.discount),
    formatMoney(e.net),
    formatMoney(e.bonus),
    e.pointsEarned,
    pending ? "no" : "yes",
  ];
  return cells.map((c) => csvCell(String(c))).join(",");
}

/** Quote a CSV cell when it needs it, and defuse spreadsheet formulas (=, +, -, @). */
function csvCell(value: string): string {
  const safe = /^[=+\-@]/.test(value) && !/^-?\d+(\.\d+)?$/.test(value) ? `'${value}` : value;
  return /[",\n]/.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe;
}

function listLine(e: JournalEntry, pending: boolean): string {
  return [
    `#${String(e.seq).padStart(6, "0")}`,
    e.at,
    e.kind.padEnd(6),
    e.mode.padEnd(7),
    maskCardId(e.cardId).padEnd(18),
    formatMoney(e.net).padStart(10),
    pending ? "pending" : "synced",
  ].join("  ");
}
