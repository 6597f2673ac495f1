/**
 * Receipt rendering: receiptline markup → ESC/POS bytes for the printer, SVG and PNG for
 * previews. The same layout engine produces all three, so the preview is the receipt.
 *
 * Why receiptline and not `escpos` / `@node-escpos/core`
 * (docs/architecture.md#what-the-parts-underneath-do): `escpos` 2.x/3.0-alpha breaks against
 * serialport 13 and usb 3 and corrupts the drawer command; `@node-escpos/core` sends a
 * non-Epson QR command and its status reading fails on split TCP reads. receiptline only lays
 * out — it does no IO, which the drivers own — and it knows the CJK code pages (GB18030 with FS
 * &) and renders SVG from the same markup. Its ESC/POS output is a string of byte values (iconv
 * "binary"), turned into a Buffer with latin1 below.
 *
 * The command set is receiptline's "generic" ESC/POS, adjusted for the Chinese-market
 * printers this product targets:
 * - QR codes use the native Epson `GS ( k` command (model 2) instead of a raster image,
 *   so the printer draws a sharp symbol and the payload is readable in the bytes;
 * - ruled lines use ASCII `-`, `|` and `+` instead of box-drawing glyphs from Epson's code
 *   page 1 (Katakana), which GB18030 printers map to other characters;
 * - the job ends with a cut only, not `GS r` (a status reply nobody reads would sit in the
 *   socket's receive buffer).
 */
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import type { Resvg as ResvgClass } from "@resvg/resvg-js";
import { type BaseCommand, commands, type Encoding, type QRCode, transform } from "receiptline";

export type PaperWidth = 58 | 80;
export type Language = "zh-CN" | "en";
/**
 * The printer's character set. GB18030 (Kanji mode via `FS &`) is what the Chinese-market
 * printers print, for both receipt languages: member and store names are Chinese whatever
 * language the labels are in, and ASCII is the same bytes. cp437 (`ESC t 0`) and cp1252
 * (`ESC t 16`) are for international models without a Chinese font: the yen sign is 9D
 * or A5 there, and Chinese prints as `?`.
 */
export const CHARSETS = ["gb18030", "cp437", "cp1252"] as const;
export type Charset = (typeof CHARSETS)[number];

export interface RenderOptions {
  paperWidth: PaperWidth;
  /** The wording of the receipt (chosen by the template); it does not change the bytes. */
  language: Language;
  /** Default "gb18030". */
  charset?: Charset;
}

/** Characters per line of the 12×24-dot device font: 576 dots on 80 mm paper, 384 on 58 mm. */
export function charsPerLine(paperWidth: PaperWidth): number {
  return paperWidth === 80 ? 48 : 32;
}

/** The layout both outputs share; the yen sign is normalised for the code page. */
function prepare(markup: string, opts: RenderOptions): { doc: string; encoding: Encoding; cpl: number } {
  const encoding: Encoding = opts.charset ?? "gb18030";
  // U+00A5 is a 4-byte GB18030 sequence that many printer fonts lack; the full-width
  // U+FFE5 (A3 A4) is in GB2312 and prints everywhere. cp437 has ¥ at 0x9D.
  const text = encoding === "gb18030" ? markup.replaceAll("¥", "￥") : markup;
  // A final newline ends the last line; receiptline would print it as one more empty line.
  const doc = text.replace(/\r?\n$/, "");
  return { doc, encoding, cpl: charsPerLine(opts.paperWidth) };
}

/** Cash drawer pins of the RJ-11 drawer port: pin 2 is the usual one, pin 5 a second drawer. */
export type DrawerPin = 2 | 5;

/** `ESC p m t1 t2`: pulse the drawer pin for 50 ms on, 500 ms off (ESC/POS "ESC p"). */
export function drawerPulse(pin: DrawerPin): Buffer {
  return Buffer.from([0x1b, 0x70, pin === 2 ? 0 : 1, 25, 250]);
}

/** Render markup as ESC/POS bytes, ending with a feed and partial cut (exactly one). */
export function renderEscPos(markup: string, opts: RenderOptions): Buffer {
  const { doc, encoding, cpl } = prepare(markup, opts);
  // A document that ends with its own cut line (`=`) must not be cut twice.
  const cutting = !/(^|\n)=+[\t ]*\s*$/.test(doc);
  const out = transform(doc, { cpl, encoding, command: escposCommands(), cutting, gradient: false, spacing: true });
  return binaryStringToBuffer(out);
}

/** Render markup as an SVG image of the paper (12 px per character column). */
export function renderSvg(markup: string, opts: RenderOptions): string {
  const { doc, encoding, cpl } = prepare(markup, opts);
  return transform(doc, { cpl, encoding, command: "svg", spacing: true });
}

/**
 * User text (a store or member name) for a markup column: receiptline's special characters
 * escaped, control characters and line breaks turned into spaces, outer spaces trimmed
 * (they would change the column's alignment).
 */
export function markupText(text: string): string {
  return text
    .replace(/\p{Cc}+/gu, " ")
    .trim()
    .replace(/[\\|{}\-=_"`^~]/g, (c) => `\\${c}`);
}

/** User text for a property value such as `{code:…}`. */
export function markupValue(text: string): string {
  return text
    .replace(/\p{Cc}+/gu, " ")
    .trim()
    .replace(/[\\|{};]/g, (c) => `\\${c}`);
}

/**
 * receiptline returns each byte as one UTF-16 code unit (0–255). A code unit above 255
 * means a raw `{command:…}` carried text that was never encoded: refuse rather than let
 * latin1 silently drop the high byte.
 */
export function binaryStringToBuffer(s: string): Buffer {
  for (let i = 0; i < s.length; i++) {
    if (s.charCodeAt(i) > 0xff) {
      throw new RangeError(`ESC/POS output holds a non-byte character U+${s.charCodeAt(i).toString(16)} at ${i}`);
    }
  }
  return Buffer.from(s, "latin1");
}

const GS = "\x1d";
const QR_LEVEL = { l: 48, m: 49, q: 50, h: 51 } as const;

/** Epson `GS ( k` QR code, model 2: select model, module size, error level, store, print. */
function nativeQr(symbol: QRCode): string {
  const data = Buffer.from(symbol.data, "utf8").toString("latin1");
  if (data.length === 0) return "";
  const store = data.length + 3;
  const size = Math.min(16, Math.max(1, symbol.cell));
  return (
    `${GS}(k\x04\x00\x31\x41\x32\x00` +
    `${GS}(k\x03\x00\x31\x43${String.fromCharCode(size)}` +
    `${GS}(k\x03\x00\x31\x45${String.fromCharCode(QR_LEVEL[symbol.level] ?? 48)}` +
    `${GS}(k${String.fromCharCode(store & 0xff, store >> 8)}\x31\x50\x30${data}` +
    `${GS}(k\x03\x00\x31\x51\x30`
  );
}

/** Epson code page 1 box-drawing bytes receiptline uses for rules → ASCII. */
const RULE_CHARS: Record<string, string> = { "\x95": "-", "\x96": "|" };
const RULE_PREFIX = "\x1cC\x00\x1c.\x1bt\x01";

function asciiRules(rule: string): string {
  return rule.replace(RULE_PREFIX, "").replace(/[\x8f-\x9f]/g, (c) => RULE_CHARS[c] ?? "+");
}

function escposCommands(): BaseCommand {
  const base = commands.generic;
  return {
    ...base,
    qrcode: (symbol: QRCode) => nativeQr(symbol),
    hr(width: number) {
      return asciiRules(base.hr.call(this, width));
    },
    vr(widths: number[], height: number) {
      return asciiRules(base.vr.call(this, widths, height));
    },
    vrstart(widths: number[]) {
      return asciiRules(base.vrstart.call(this, widths));
    },
    vrstop(widths: number[]) {
      return asciiRules(base.vrstop.call(this, widths));
    },
    vrhr(w1: number[], w2: number[], dl: number, dr: number) {
      return asciiRules(base.vrhr.call(this, w1, w2, dl, dr));
    },
    close(this: BaseCommand) {
      return this.cutting ? this.cut() : "";
    },
  };
}

// ---- PNG previews ----------------------------------------------------------------------

export interface PreviewFonts {
  /** A monospace font for Latin text, e.g. DejaVu Sans Mono (fonts-dejavu-core). */
  latin: { file: string; family: string } | null;
  /** A font with Chinese glyphs, e.g. WenQuanYi Micro Hei (fonts-wqy-microhei). */
  cjk: { file: string; family: string } | null;
}

/** The Debian package that gives PNG previews their Chinese glyphs. */
export const CJK_FONT_PACKAGE = "fonts-wqy-microhei";

const LATIN_CANDIDATES = [
  { file: "/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf", family: "DejaVu Sans Mono" },
  { file: "/usr/share/fonts/truetype/liberation/LiberationMono-Regular.ttf", family: "Liberation Mono" },
];
const CJK_CANDIDATES = [
  { file: "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", family: "WenQuanYi Micro Hei Mono" },
  { file: "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", family: "WenQuanYi Zen Hei Mono" },
  { file: "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc", family: "Noto Sans Mono CJK SC" },
];

let systemFonts: PreviewFonts | undefined;

let resvgClass: typeof ResvgClass | undefined;

/**
 * The rasteriser, loaded on the first PNG: only the preview printer (and tests) draw
 * receipts as images, so a till printing on paper never loads the native module
 * (bench/footprint.ts). Synchronous, as svgToPng is: resvg-js is a CommonJS package.
 */
function loadResvg(): typeof ResvgClass {
  resvgClass ??= (createRequire(import.meta.url)("@resvg/resvg-js") as { Resvg: typeof ResvgClass }).Resvg;
  return resvgClass;
}

/** The fonts found on this box (looked up once). */
export function findPreviewFonts(): PreviewFonts {
  systemFonts ??= {
    latin: LATIN_CANDIDATES.find((f) => existsSync(f.file)) ?? null,
    cjk: CJK_CANDIDATES.find((f) => existsSync(f.file)) ?? null,
  };
  return systemFonts;
}

const CJK_TEXT = /[\u3000-\u9fff\uff00-\uffef]/;

/**
 * Rasterise a receipt SVG to PNG on white, with a margin like the paper's. Fonts are loaded
 * from known files rather than by scanning every system font on each call. Without a CJK
 * font the Chinese glyphs would silently be blank, so the PNG then carries a banner
 * naming the missing package.
 */
export function svgToPng(svg: string, fonts: PreviewFonts = findPreviewFonts()): Buffer {
  const Resvg = loadResvg();
  const files = [fonts.latin?.file, fonts.cjk?.file].filter((f): f is string => f !== undefined);
  const family = fonts.latin?.family ?? fonts.cjk?.family ?? "monospace";
  const missingCjk = fonts.cjk === null && CJK_TEXT.test(svg);
  const notice = missingCjk ? `no CJK font: apt-get install ${CJK_FONT_PACKAGE}` : null;
  const resvg = new Resvg(onPaper(svg, notice), {
    background: "#ffffff",
    font: {
      loadSystemFonts: false,
      fontFiles: files,
      defaultFontFamily: family,
      monospaceFamily: family,
      sansSerifFamily: fonts.cjk?.family ?? family,
    },
    logLevel: "off",
  });
  return resvg.render().asPng();
}

const SVG_SIZE = /^<svg width="(\d+)px" height="(\d+)px"/;
const MARGIN = 16;
const BANNER = 28;

/** Nest the receipt in a larger SVG: a margin all round and, if given, a red notice on top. */
function onPaper(svg: string, notice: string | null): string {
  const m = SVG_SIZE.exec(svg);
  const width = Number(m?.[1] ?? 384);
  const height = Number(m?.[2] ?? 0);
  const top = MARGIN + (notice ? BANNER : 0);
  const inner = svg.replace(/^<svg /, `<svg x="${MARGIN}" y="${top}" `);
  const outerW = width + 2 * MARGIN;
  const outerH = height + top + MARGIN;
  const banner = notice
    ? `<rect x="0" y="0" width="${outerW}" height="${BANNER}" fill="#c00"/>` +
      `<text x="8" y="19" font-family="monospace" font-size="14" fill="#fff">${escapeXml(notice)}</text>`
    : "";
  return (
    `<svg width="${outerW}px" height="${outerH}px" viewBox="0 0 ${outerW} ${outerH}" xmlns="http://www.w3.org/2000/svg">` +
    `${banner}${inner}</svg>`
  );
}

function escapeXml(s: string): string {
  return s.replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c] ?? c);
}
