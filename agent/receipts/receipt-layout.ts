/**
 * The layout every receipt shares, as receiptline markup (node_modules/receiptline/
 * README.md, "Grammar"): the chain's logo, the store name large, the chain's header
 * lines, the title with the OFFLINE and REPRINT marks, label/value sections, the
 * transaction id as a QR code (and as text, for printers that cannot draw it), the
 * chain's footer lines, thanks, the cut.
 *
 * A template only says what goes on its receipt (a `ReceiptDoc`); this file decides how it
 * fits the paper. Every piece of user or config text is escaped so a name like `A|B {x}`
 * cannot change the layout, and a label/value pair too wide for one line is printed as
 * two rather than wrapped mid-value.
 */
import { charsPerLine, markupText, markupValue, type PaperWidth } from "../../drivers/printer/render-receipt.js";
import { formatMoney, type Minor } from "../../rules/money.js";

export type ReceiptLanguage = "zh-CN" | "en";

/** The chain's and the terminal's settings for every receipt. */
export interface ReceiptLayout {
  language: ReceiptLanguage;
  paperWidth: PaperWidth;
  /** IANA zone of the store for printed times; without it times are printed in UTC. */
  timeZone?: string;
  /** Lines under the store name (address, phone), centred. */
  header?: readonly string[];
  /** Lines above the thank-you line (returns policy, hotline), centred. */
  footer?: readonly string[];
  /** The chain's logo as a base64 PNG, printed at the top. */
  logoBase64?: string;
}

export type DocLine =
  /**
   * A label on the left, a value on the right; `big` doubles the size (the amount paid).
   * Labels share one column; an `ownWidth` label (a service or operator name, open-ended
   * text) sizes only its own row.
   */
  | { label: string; value: string; big?: boolean; ownWidth?: boolean }
  /** A line of text, centred. */
  | { text: string; bold?: boolean }
  /** A section rule. */
  | "rule";

export interface ReceiptDoc {
  storeName: string;
  title: string;
  offline?: boolean;
  reprint?: boolean;
  body: DocLine[];
  /** Printed as a QR code and as text under it (the transaction id). */
  qr?: string;
  /** Printed as a CODE128 barcode with its text (e.g. on the self-test page). */
  barcode?: string;
  /** Say thank you (not on reports). Default true. */
  thanks?: boolean;
}

/** Both languages carry both words: a cashier and an auditor must read them at a glance. */
export const OFFLINE_MARK = "离线交易 OFFLINE";
export const REPRINT_MARK = "REPRINT 重印";

const THANKS = { "zh-CN": "谢谢惠顾", en: "Thank you" } as const;

export function docMarkup(doc: ReceiptDoc, layout: ReceiptLayout): string {
  const cpl = charsPerLine(layout.paperWidth);
  const labelWidth = labelColumn(doc.body, cpl);
  const lines = [
    ...header(doc, layout, cpl),
    `{width:${labelWidth} *}`,
    "-",
    ...doc.body.flatMap((line, i) => [
      ...bodyLine(line, cpl, labelWidth),
      // A double-height amount with a row right under it reads as one block: rule it off.
      ...(line !== "rule" && "big" in line && line.big && i + 1 < doc.body.length && doc.body[i + 1] !== "rule"
        ? ["-"]
        : []),
    ]),
    ...(doc.body.at(-1) === "rule" ? [] : ["-"]),
    ...footer(doc, layout),
    "=",
  ];
  return `${lines.join("\n")}\n`;
}

function header(doc: ReceiptDoc, layout: ReceiptLayout, cpl: number): string[] {
  // ^^^ doubles width and height; a name too wide for that is only made taller.
  const size = columns(doc.storeName) * 2 <= cpl ? "^^^" : "^^";
  const lines = [
    "{width:auto}",
    ...(layout.logoBase64 ? [`{image:${layout.logoBase64}}`] : []),
    `${size}${markupText(doc.storeName)}`,
    ...(layout.header ?? []).map(centred),
    "",
    `"${markupText(doc.title)}"`,
  ];
  if (doc.offline) lines.push(`\`~${markupText(OFFLINE_MARK)}~\``);
  if (doc.reprint) lines.push(`"${markupText(REPRINT_MARK)}"`);
  return lines;
}

function footer(doc: ReceiptDoc, layout: ReceiptLayout): string[] {
  const lines = ["{width:auto}"];
  if (doc.qr) {
    const cell = layout.paperWidth === 80 ? 6 : 5;
    lines.push(`{code:${markupValue(doc.qr)}; option:qrcode,${cell},m}`, markupText(doc.qr));
  }
  if (doc.barcode) lines.push(`{code:${markupValue(doc.barcode)}; option:code128,2,64,hri}`);
  const tail = [
    ...(layout.footer ?? []).map(centred),
    ...(doc.thanks === false ? [] : [markupText(THANKS[layout.language])]),
  ];
  if (tail.length > 0) lines.push("", ...tail);
  return lines;
}

function bodyLine(line: DocLine, cpl: number, labelWidth: number): string[] {
  if (line === "rule") return ["-"];
  if ("text" in line) {
    const texts = wrapWords(line.text, cpl).map(markupText);
    return ["{width:auto}", ...texts.map((t) => (line.bold ? `"${t}"` : centredText(t))), `{width:${labelWidth} *}`];
  }
  if (line.big) return totalRow(line.label, line.value, cpl, labelWidth);
  const width = line.ownWidth ? columns(line.label) : labelWidth;
  if (width + 1 + columns(line.value) <= cpl) {
    const r = row(line.label, line.value);
    return line.ownWidth ? [`{width:${width} *}`, r, `{width:${labelWidth} *}`] : [r];
  }
  // Too wide for one line (a long id on 58 mm): the label, then the value on its own line.
  return ["{width:*}", `${markupText(line.label)} |`, `| ${markupText(line.value)}`, `{width:${labelWidth} *}`];
}

/**
 * Break text at spaces into lines that fit the paper, so English wraps between words;
 * a word longer than a line (or Chinese, which has no spaces) is left to the printer's
 * own wrapping, which breaks anywhere.
 */
export function wrapWords(text: string, cpl: number): string[] {
  if (columns(text) <= cpl) return [text];
  const lines: string[] = [];
  let line = "";
  for (const word of text.split(" ")) {
    const next = line === "" ? word : `${line} ${word}`;
    if (columns(next) <= cpl || line === "") line = next;
    else {
      lines.push(line);
      line = word;
    }
  }
  lines.push(line);
  return lines;
}

/** The label column: as wide as the widest label, but never more than half the paper. */
function labelColumn(body: DocLine[], cpl: number): number {
  const widths = body.flatMap((l) => (l !== "rule" && "label" in l && !l.big && !l.ownWidth ? [columns(l.label)] : []));
  return Math.min(Math.floor(cpl / 2), Math.max(4, ...widths));
}

/**
 * The amount at double size when label and amount fit on one line that way, else at
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

/** A config line centred on its own (a leading space centres a single column). */
function centred(text: string): string {
  return centredText(markupText(text));
}

function centredText(escaped: string): string {
  return escaped === "" ? "" : ` ${escaped} `;
}

/** ¥ and the amount in yuan; negative amounts as -¥12.80. */
export function yuan(fen: Minor): string {
  return fen < 0 ? `-¥${formatMoney(-fen)}` : `¥${formatMoney(fen)}`;
}

/** A signed whole number: +5, -3, 0. */
export function signed(n: number): string {
  return n > 0 ? `+${n}` : String(n);
}

/** Printed width in character columns: CJK and other non-ASCII characters take two. */
export function columns(text: string): number {
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
