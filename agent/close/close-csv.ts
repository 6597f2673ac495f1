/**
 * The daily close as CSV for head office: one flat table, one row per figure, with a
 * `section` column (docs/daily-close.md). Flat rather than a header block and sections
 * because an accountant filters and pivots it, and can concatenate the files of many
 * terminals and days into one sheet: every row carries its terminal and business day.
 *
 * UTF-8 with a BOM (Excel on a Chinese Windows otherwise reads it as GBK), CRLF and
 * RFC 4180 quoting; money as decimal yuan strings made from integer fen by formatMoney.
 * The build time is left out: the same entries and ack give the same bytes.
 */
import { formatMoney } from "../../rules/money.js";
import { KIND_LABEL, LABEL, MODE_LABEL, PAYMENT_LABEL, PAYMENT_PART_LABEL, VOID_LABEL } from "./close-labels.js";
import type { DailyCloseReport, Totals } from "./close-report.js";

export const CSV_COLUMNS = [
  "terminal_id",
  "business_day",
  "section",
  "key",
  "detail",
  "label",
  "count",
  "gross",
  "discount",
  "net",
  "bonus",
  "credit",
  "debit",
  "balance_change",
  "points_earned",
  "points_redeemed",
  "redeemed_value",
] as const;

type Column = (typeof CSV_COLUMNS)[number];
type Row = Partial<Record<Column, string | number>>;

const BOM = "\uFEFF";

export function closeCsv(report: DailyCloseReport): Buffer {
  const lines = [CSV_COLUMNS.join(","), ...rowsOf(report).map((row) => csvLine(report, row))];
  return Buffer.from(`${BOM}${lines.join("\r\n")}\r\n`, "utf8");
}

function rowsOf(r: DailyCloseReport): Row[] {
  const info = (key: string, label: string, value: string | number | null): Row => ({
    section: "info",
    key,
    label,
    detail: value ?? "",
  });
  return [
    info("acked_seq", LABEL.ackedSeq, r.ackedSeq),
    info("first_txn_at", LABEL.firstTxnAt, r.firstTxnAt),
    info("last_txn_at", LABEL.lastTxnAt, r.lastTxnAt),
    info("duplicates_dropped", LABEL.duplicates, r.duplicatesDropped),
    totals({ section: "total", key: "all", label: LABEL.total }, r.total),
    { section: "total", key: "bonus_given", label: LABEL.bonusGiven, bonus: formatMoney(r.bonusGiven) },
    ...r.byKind.map((k) => totals({ section: "kind", key: k.kind, label: KIND_LABEL[k.kind] }, k)),
    ...(["sale", "topup"] as const).map((of) =>
      totals({ section: "void", key: of, label: VOID_LABEL[of] }, r.voids[of]),
    ),
    ...r.byOperator.flatMap((o) => [
      totals({ section: "operator", key: o.operatorId, label: `${LABEL.operator} ${o.operatorId}` }, o.total),
      ...o.byKind.map((k) =>
        totals(
          {
            section: "operator",
            key: o.operatorId,
            detail: k.kind,
            label: `${LABEL.operator} ${o.operatorId} ${KIND_LABEL[k.kind]}`,
          },
          k,
        ),
      ),
    ]),
    ...r.byPayment.flatMap((p) =>
      (["topups", "voided", "takings"] as const).map((part) => {
        const detail = part === "topups" ? "topup" : part === "voided" ? "void" : "takings";
        const figures = p[part];
        return {
          section: "payment",
          key: p.payment,
          detail,
          label: `${PAYMENT_LABEL[p.payment]} ${PAYMENT_PART_LABEL[detail]}`,
          count: figures.count,
          net: formatMoney(figures.paid),
          ...("bonus" in figures ? { bonus: formatMoney(figures.bonus) } : {}),
        };
      }),
    ),
    ...(["online", "offline"] as const).map((m) =>
      totals({ section: "mode", key: m, label: MODE_LABEL[m] }, r.byMode[m]),
    ),
    totals({ section: "unsynced", key: "all", label: LABEL.unsynced }, r.unsynced),
    // Only on days with uses, so the files of other days keep their bytes; detail = the uses taken.
    ...(r.countUses.count > 0
      ? [
          {
            section: "count_use",
            key: "all",
            label: LABEL.countUses,
            count: r.countUses.count,
            detail: r.countUses.uses,
          },
        ]
      : []),
    // Likewise only on days a refund or void gave uses back; detail = the uses given back.
    ...(r.countUses.givenBack > 0
      ? [{ section: "count_use", key: "given_back", label: LABEL.countUsesBack, detail: r.countUses.givenBack }]
      : []),
  ];
}

function totals(head: Row, t: Totals): Row {
  return {
    ...head,
    count: t.count,
    gross: formatMoney(t.gross),
    discount: formatMoney(t.discount),
    net: formatMoney(t.net),
    bonus: formatMoney(t.bonus),
    credit: formatMoney(t.credit),
    debit: formatMoney(t.debit),
    balance_change: formatMoney(t.balanceChange),
    points_earned: t.pointsEarned,
    points_redeemed: t.pointsRedeemed,
    redeemed_value: formatMoney(t.redeemedMinor),
  };
}

function csvLine(r: DailyCloseReport, row: Row): string {
  const full: Row = { terminal_id: r.terminalId, business_day: r.businessDay, ...row };
  return CSV_COLUMNS.map((c) => csvCell(String(full[c] ?? ""))).join(",");
}

/**
 * RFC 4180: a cell with a quote, comma, CR or LF is quoted, quotes doubled. A text that
 * a spreadsheet would run as a formula (=, +, -, @ — an operator id typed as "=cmd|…")
 * gets a leading apostrophe; plain numbers like "-25.00" stay numbers.
 */
export function csvCell(value: string): string {
  const safe = /^[=+\-@\t\r]/.test(value) && !/^-?[0-9]+(\.[0-9]+)?$/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe;
}
