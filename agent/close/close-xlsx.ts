/**
 * The daily close as an .xlsx workbook: sheet 1 "日结" is the close laid out for a person
 * (the same figures as the CSV, docs/daily-close.md), sheet 2 "交易明细" lists the day's
 * transactions (card numbers masked) so a figure can be traced to its entries.
 * Money cells are numbers with a 2-decimal format, written from integer fen as text.
 */
import { formatMoney } from "../../rules/money.js";
import { KIND_LABEL, LABEL, MODE_LABEL, PAYMENT_LABEL, PAYMENT_PART_LABEL, VOID_LABEL } from "./close-labels.js";
import type { DailyCloseReport, PaymentTotals, Totals } from "./close-report.js";
import { type Cell, type Sheet, xlsx } from "./xlsx-package.js";

const text = (t: string | null): Cell => ({ text: t ?? "-" });
const bold = (t: string): Cell => ({ text: t, bold: true });
const int = (n: number): Cell => ({ number: String(n) });
const money = (minor: number): Cell => ({ number: formatMoney(minor), money: true });

const TOTALS_HEAD = [
  "项目",
  "笔数",
  "原价",
  "折扣",
  "储值金额",
  "赠送",
  "入卡",
  "出卡",
  "储值净变动",
  "积分发放",
  "积分抵扣",
  "抵扣金额",
];

export function closeXlsx(report: DailyCloseReport): Buffer {
  return xlsx([summarySheet(report), transactionsSheet(report)]);
}

function totalsRow(label: string, t: Totals): Cell[] {
  return [
    text(label),
    int(t.count),
    money(t.gross),
    money(t.discount),
    money(t.net),
    money(t.bonus),
    money(t.credit),
    money(t.debit),
    money(t.balanceChange),
    int(t.pointsEarned),
    int(t.pointsRedeemed),
    money(t.redeemedMinor),
  ];
}

function paymentRow(p: PaymentTotals): Cell[] {
  return [
    text(PAYMENT_LABEL[p.payment]),
    int(p.topups.count),
    money(p.topups.paid),
    money(p.topups.bonus),
    int(p.voided.count),
    money(p.voided.paid),
    int(p.takings.count),
    money(p.takings.paid),
  ];
}

function summarySheet(r: DailyCloseReport): Sheet {
  const p = PAYMENT_PART_LABEL;
  const rows: Cell[][] = [
    [bold(LABEL.title)],
    [text(LABEL.terminal), text(r.terminalId)],
    [text(LABEL.day), text(r.businessDay)],
    [text(LABEL.ackedSeq), int(r.ackedSeq)],
    [text(`${LABEL.firstTxnAt} (UTC)`), text(r.firstTxnAt)],
    [text(`${LABEL.lastTxnAt} (UTC)`), text(r.lastTxnAt)],
    ...(r.duplicatesDropped > 0 ? [[text(LABEL.duplicates), int(r.duplicatesDropped)]] : []),
    [],
    TOTALS_HEAD.map(bold),
    totalsRow(LABEL.total, r.total),
    [bold("按交易类型")],
    ...r.byKind.map((k) => totalsRow(KIND_LABEL[k.kind], k)),
    ...(["sale", "topup"] as const).map((of) => totalsRow(VOID_LABEL[of], r.voids[of])),
    [bold("按操作员")],
    ...r.byOperator.flatMap((o) => [
      totalsRow(`${LABEL.operator} ${o.operatorId}`, o.total),
      ...o.byKind.map((k) => totalsRow(`  ${KIND_LABEL[k.kind]}`, k)),
    ]),
    [bold("在线/离线")],
    ...(["online", "offline"] as const).map((m) => totalsRow(MODE_LABEL[m], r.byMode[m])),
    totalsRow(LABEL.unsynced, r.unsynced),
    [],
    [bold("充值收款")],
    [
      "收款方式",
      `${p.topup}笔数`,
      `${p.topup}金额`,
      "赠送",
      `${p.void}笔数`,
      `${p.void}金额`,
      `${p.takings}笔数`,
      `${p.takings}金额`,
    ].map(bold),
    ...r.byPayment.map(paymentRow),
    [text(LABEL.bonusGiven), money(r.bonusGiven)],
  ];
  return { name: "日结", widths: [22, 8, 12, 12, 12, 12, 12, 12, 12, 10, 10, 12], rows };
}

const TXN_HEAD = [
  "流水号",
  "交易号",
  "时间 (UTC)",
  "类型",
  "方式",
  "操作员",
  "卡号",
  "原价",
  "折扣",
  "储值金额",
  "赠送",
  "储值净变动",
  "积分发放",
  "积分抵扣",
  "收款方式",
  "原交易号",
  "已上传",
];

function transactionsSheet(r: DailyCloseReport): Sheet {
  const rows: Cell[][] = [
    TXN_HEAD.map(bold),
    ...r.transactions.map((t) => [
      int(t.seq),
      text(t.txnId),
      text(t.at),
      text(t.voidOf ? VOID_LABEL[t.voidOf] : KIND_LABEL[t.kind]),
      text(MODE_LABEL[t.mode]),
      text(t.operatorId),
      text(t.card),
      money(t.gross),
      money(t.discount),
      money(t.net),
      money(t.bonus),
      money(t.balanceChange),
      int(t.pointsEarned),
      int(t.pointsRedeemed),
      t.payment ? text(PAYMENT_LABEL[t.payment]) : null,
      t.originalTxnId ? text(t.originalTxnId) : null,
      text(t.synced ? "是" : "否"),
    ]),
  ];
  return { name: "交易明细", widths: [8, 26, 26, 10, 6, 10, 20, 10, 10, 10, 10, 10, 8, 8, 8, 26, 6], rows };
}
