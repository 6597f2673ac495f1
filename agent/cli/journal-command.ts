/**
 * `cardterm journal verify | list | export --csv` — the technician's and the auditor's
 * view of the journal on the box. Read-only: safe while the agent runs (journal.json is
 * replaced by atomic renames; an append in progress on journal.log reads as a torn tail
 * and is simply not shown).
 */
import { loadConfig } from "../../config/load-config.js";
import type { CommandSpec, ParsedInput } from "../../lib/cli/command-spec.js";
import { flagOf, textOf } from "../../lib/cli/command-spec.js";
import { runSome } from "../../lib/cli/run-cli.js";
import type { JournalEntry } from "../../protocol/journal-entry.js";
import { maskCardId } from "../../rules/card.js";
import { formatMoney } from "../../rules/money.js";
import { JournalArchive } from "../journal/journal-archive.js";
import { TerminalLedger } from "../journal/terminal-ledger.js";
import { CONFIG_OPTION, CONSOLE_OUTPUT } from "./common-options.js";

type Out = (line: string) => void;
const DAY_OPTION = { flags: "--day <YYYY-MM-DD>", help: "only this business day" };

function journalSpec(sub: "verify" | "list" | "export", out: Out): CommandSpec {
  const specs = {
    verify: {
      summary: "check the chain, sequence and MACs of the journal; exit 1 if broken",
      options: [CONFIG_OPTION],
      examples: ["cardterm journal verify --config /etc/cardterm/cardterm.yaml"],
    },
    list: {
      summary: "list the journal's entries (archived and pending)",
      options: [CONFIG_OPTION, DAY_OPTION],
      examples: ["cardterm journal list --config /etc/cardterm/cardterm.yaml --day 2026-11-22"],
    },
    export: {
      summary: "the journal's entries as CSV on stdout",
      options: [CONFIG_OPTION, DAY_OPTION, { flags: "--csv", help: "as CSV (the only format)", required: true }],
      examples: ["cardterm journal export --csv --config /etc/cardterm/cardterm.yaml > journal.csv"],
    },
  };
  return { path: `journal ${sub}`, ...specs[sub], run: (input) => journal(sub, input, out) };
}

export const JOURNAL_COMMANDS: readonly CommandSpec[] = (["verify", "list", "export"] as const).map((sub) =>
  journalSpec(sub, console.log),
);

/** `cardterm journal …` from an argument list (tests call this). */
export function journalCommand(args: string[], out: Out = console.log): Promise<number> {
  const bound = (["verify", "list", "export"] as const).map((sub) => journalSpec(sub, out));
  return runSome("cardterm", bound, ["journal", ...args], CONSOLE_OUTPUT);
}

async function journal(sub: string, input: ParsedInput, out: Out): Promise<number> {
  const values = { config: textOf(input, "config") as string, day: textOf(input, "day"), csv: flagOf(input, "csv") };
  const config = await loadConfig(values.config);
  const { dataDir, id, key } = config.terminal;
  const ledger = await TerminalLedger.open({ dataDir, terminalId: id, key, readOnly: true });
  const integrity = ledger.checkIntegrity();
  if (sub === "verify") {
    const s = ledger.summary();
    if (!integrity.ok) {
      const at = integrity.failedSeq === null ? "" : ` at seq ${integrity.failedSeq}`;
      console.error(
        `CT_JOURNAL_CORRUPT: ${dataDir}/journal: ${integrity.problem} (integrity failed${at}: ${integrity.reason})`,
      );
      const gaps = ledger.gaps().map((g) => `#${g.seq}`);
      console.error(
        `${s.pending} entries still verify and are uploaded by the agent${gaps.length > 0 ? `; no verifiable entry for ${gaps.join(", ")}` : ""}`,
      );
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
