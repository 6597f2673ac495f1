/**
 * The sale receipt: what the member takes home after a card payment.
 *
 * Produces receiptline markup (see node_modules/receiptline/README.md, "Grammar"); the
 * printer driver renders it for the device. Money is integer fen formatted by
 * protocol/money; the card number is masked (DESIGN §1: full numbers never leave the box);
 * every piece of user-provided text is escaped so a name like `A|B {x}` cannot change
 * the layout. The transaction id is printed as a QR code and as text, so a printer that
 * cannot draw the code still shows it.
 */
import { charsPerLine, markupText, markupValue, type PaperWidth } from "../../drivers/printer/render-receipt.js";
import { maskCardId } from "../../protocol/card.js";
import { formatMoney, type Minor } from "../../protocol/money.js";

export type ReceiptLanguage = "zh-CN" | "en";

export interface SaleReceiptData {
  storeName: string;
  terminalId: string;
  operatorId: string;
  txnId: string;
  seq: number;
  /** ISO-8601 time of approval. */
  at: string;
  cardId: string;
  memberName: string | null;
  cardTypeName: string | null;
  gross: Minor;
  discount: Minor;
  net: Minor;
  pointsEarned: number;
  /** Balance after the sale as the server reported it; null offline (not known for sure). */
  balanceAfter: Minor | null;
  mode: "online" | "offline";
  reprint?: boolean;
}

export interface SaleReceiptOptions {
  language: ReceiptLanguage;
  paperWidth: PaperWidth;
  /** IANA zone of the store for the printed time; without it the time is printed in UTC. */
  timeZone?: string;
}

const LABELS = {
  "zh-CN": {
    title: "消费小票",
    time: "时间",
    terminal: "终端",
    operator: "操作员",
    seq: "流水号",
    member: "会员",
    card: "卡号",
    cardType: "卡类型",
    gross: "原价",
    discount: "折扣",
    net: "实付",
    balance: "余额",
    points: "积分",
    thanks: "谢谢惠顾",
  },
  en: {
    title: "SALE",
    time: "Time",
    terminal: "Terminal",
    operator: "Operator",
    seq: "Seq",
    member: "Member",
    card: "Card",
    cardType: "Type",
    gross: "Amount",
    discount: "Discount",
    net: "Paid",
    balance: "Balance",
    points: "Points",
    thanks: "Thank you",
  },
} as const;

/** The labels of the label/value rows; the widest one sets the label column. */
const ROW_LABELS = [
  "time",
  "terminal",
  "operator",
  "seq",
  "member",
  "card",
  "cardType",
  "gross",
  "discount",
  "balance",
  "points",
] as const;

/** Both languages carry both words: a cashier and an auditor must read them at a glance. */
export const OFFLINE_MARK = "离线交易 OFFLINE";
export const REPRINT_MARK = "REPRINT 重印";

export function saleReceiptMarkup(data: SaleReceiptData, opts: SaleReceiptOptions): string {
  const l = LABELS[opts.language];
  const cpl = charsPerLine(opts.paperWidth);
  const labelWidth = Math.max(...ROW_LABELS.map((k) => columns(l[k])));
  const lines = [
    ...header(data, cpl, l.title),
    // Labels get a fixed column, values the rest: an even split would wrap the time on 58 mm.
    `{width:${labelWidth} *}`,
    "-",
    row(l.time, formatTime(data.at, opts.timeZone)),
    row(l.terminal, data.terminalId),
    row(l.operator, data.operatorId),
    row(l.seq, String(data.seq).padStart(6, "0")),
    "-",
    ...(data.memberName ? [row(l.member, data.memberName)] : []),
    row(l.card, maskCardId(data.cardId)),
    ...(data.cardTypeName ? [row(l.cardType, data.cardTypeName)] : []),
    "-",
    row(l.gross, yuan(data.gross)),
    row(l.discount, data.discount > 0 ? `-${yuan(data.discount)}` : yuan(0)),
    ...totalRow(l.net, yuan(data.net), cpl, labelWidth),
    "-",
    ...(data.balanceAfter === null ? [] : [row(l.balance, yuan(data.balanceAfter))]),
    row(l.points, data.pointsEarned > 0 ? `+${data.pointsEarned}` : String(data.pointsEarned)),
    "-",
    "{width:auto}",
    `{code:${markupValue(data.txnId)}; option:qrcode,${opts.paperWidth === 80 ? 6 : 5},m}`,
    markupText(data.txnId),
    "",
    markupText(l.thanks),
    "=",
  ];
  return `${lines.join("\n")}\n`;
}

function header(data: SaleReceiptData, cpl: number, title: string): string[] {
  // ^^^ doubles width and height; a name too wide for that is only made taller.
  const size = columns(data.storeName) * 2 <= cpl ? "^^^" : "^^";
  const lines = [`${size}${markupText(data.storeName)}`, "", `"${markupText(title)}"`];
  if (data.mode === "offline") lines.push(`\`~${markupText(OFFLINE_MARK)}~\``);
  if (data.reprint) lines.push(`"${markupText(REPRINT_MARK)}"`);
  return lines;
}

/**
 * The amount paid at double size when label and amount fit on one line that way, else at
 * double height only; the label column exactly as wide as the printed label, then the
 * usual widths again.
 */
function totalRow(label: string, value: string, cpl: number, labelWidth: number): string[] {
  const wide = (columns(label) + columns(value)) * 2 + 1 <= cpl;
  const size = wide ? "^^^" : "^^";
  return [
    `{width:${columns(label) * (wide ? 2 : 1)} *}`,
    `${size}${markupText(label)} | ${size}${markupText(value)}`,
    `{width:${labelWidth} *}`,
  ];
}

/** A label on the left, a value on the right. */
function row(label: string, value: string): string {
  return `${markupText(label)} | ${markupText(value)}`;
}

function yuan(fen: Minor): string {
  return `¥${formatMoney(fen)}`;
}

/** Printed width in character columns: CJK and other non-ASCII characters take two. */
function columns(text: string): number {
  let n = 0;
  for (const c of text) n += c.codePointAt(0)! < 0x80 ? 1 : 2;
  return n;
}

/** "2024-05-01 20:34:56" in the store's zone, or "2024-05-01 12:34:56 UTC" without one. */
export function formatTime(iso: string, timeZone?: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  const f = new Intl.DateTimeFormat("en-CA", {
    timeZone: timeZone ?? "UTC",
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
    hour: "2-digit",
    minute: "2-digit",
    second: "2-digit",
    hourCycle: "h23",
  });
  const p = Object.fromEntries(f.formatToParts(date).map((x) => [x.type, x.value]));
  const text = `${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute}:${p.second}`;
  return timeZone ? text : `${text} UTC`;
}
