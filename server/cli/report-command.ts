/** `cardterm-hq report daily|liability|shortfalls|alerts|terminals`. */
import { formatMoney } from "../../rules/money.js";
import { dailyReport } from "../backoffice/report-daily.js";
import {
  alertReport,
  liabilityReport,
  shortfallReport,
  type TerminalReportRow,
  terminalReport,
} from "../backoffice/report-ledger.js";
import { operatorsVersions } from "../ledger/terminal-status.js";
import { print, usage, type Values, withDb } from "./args.js";
import { table } from "./table.js";

export async function report(v: Values, sub: string | undefined, rest: string[]): Promise<void> {
  if (rest.length > 0) throw usage(`report ${sub} takes no arguments: ${rest.join(" ")}`);
  if (sub === "daily") return daily(v);
  if (sub === "liability") {
    const l = await withDb(v, "report liability", liabilityReport);
    return print(v, l, () =>
      table(
        ["accounts", "liability", "owed by members", "net", "bonus issued", "points"],
        [
          [
            l.accounts,
            formatMoney(l.liability),
            formatMoney(l.owed),
            formatMoney(l.net),
            formatMoney(l.bonusIssued),
            l.pointsOutstanding,
          ],
        ],
      ),
    );
  }
  if (sub === "shortfalls") {
    const rows = await withDb(v, "report shortfalls", (db) => shortfallReport(db, { open: v.open }));
    return print(v, rows, () =>
      table(
        ["recorded", "txn", "card", "account", "amount", "balance now"],
        rows.map((r) => [
          r.recordedAt,
          r.txnId,
          r.cardId,
          r.accountId,
          formatMoney(r.amount),
          r.balanceNow === null ? null : formatMoney(r.balanceNow),
        ]),
      ),
    );
  }
  if (sub === "alerts") {
    const rows = await withDb(v, "report alerts", (db) => alertReport(db, {}));
    return print(v, rows, () =>
      table(
        ["at", "kind", "terminal", "seq", "cleared", "detail"],
        rows.map((r) => [r.at, r.kind, r.terminalId, r.seq, r.clearedAt, r.detail]),
      ),
    );
  }
  if (sub === "terminals") {
    // With the operators document each till holds (its heartbeat): which tills lack an operator change.
    const rows = await withDb(v, "report terminals", async (db) => {
      const held = await operatorsVersions(db);
      return (await terminalReport(db)).map((r) => ({ ...r, operatorsVersion: held.get(r.terminalId) ?? null }));
    });
    return print(v, rows, () =>
      table(
        [
          "terminal",
          "store",
          "acked",
          "presence",
          "heartbeat",
          "pending",
          "policy",
          "hotlist",
          "journal",
          "operators",
          "behind",
        ],
        rows.map((r) => [
          r.terminalId,
          r.storeId,
          r.ackedSeq,
          r.presence,
          r.heartbeatAt,
          r.pending,
          r.policyVersion,
          r.hotlistVersion,
          journalCell(r),
          r.operatorsVersion,
          r.behind ? "BEHIND" : "",
        ]),
      ),
    );
  }
  throw usage(`unknown report: ${sub ?? "(none)"}; daily, liability, shortfalls, alerts or terminals`);
}

/** "FAILED at seq 2 (entry-edited), gaps #2": the terminals report's journal column; empty when the till never said. */
function journalCell(r: TerminalReportRow): string {
  const gaps = r.openGaps.length > 0 ? `, gaps ${r.openGaps.map((s) => `#${s}`).join(" ")}` : "";
  if (!r.integrity) return gaps.slice(2);
  if (r.integrity.ok) return `ok${gaps}`;
  const at = r.integrity.failedSeq === null ? "" : ` at seq ${r.integrity.failedSeq}`;
  return `FAILED${at} (${r.integrity.reason})${gaps}`;
}

async function daily(v: Values): Promise<void> {
  if ((v.terminal?.length ?? 0) > 1) throw usage("report daily takes one --terminal");
  const r = await withDb(v, "report daily", (db) =>
    dailyReport(db, { from: v.from, to: v.to, storeId: v.store, terminalId: v.terminal?.[0] }),
  );
  print(v, r, () => {
    const rows = r.rows.map((x) => [
      x.businessDay,
      x.storeId,
      x.terminalId ?? "(head office)",
      x.kind,
      x.mode,
      x.count,
      formatMoney(x.gross),
      formatMoney(x.discount),
      formatMoney(x.net),
      formatMoney(x.bonus),
      x.points,
    ]);
    for (const [kind, t] of Object.entries(r.totals)) {
      rows.push([
        "total",
        null,
        null,
        kind,
        null,
        t.count,
        formatMoney(t.gross),
        formatMoney(t.discount),
        formatMoney(t.net),
        formatMoney(t.bonus),
        t.points,
      ]);
    }
    return table(
      ["day", "store", "terminal", "kind", "mode", "count", "gross", "discount", "net", "bonus", "points"],
      rows,
    );
  });
}
