/**
 * An independent ESC/POS decoder for tests: what would a printer put on paper?
 *
 * Written from the Epson ESC/POS command reference (TM thermal printers), not from
 * receiptline, so a test that renders with receiptline and decodes here checks the bytes
 * against the spec rather than against themselves. It walks the stream command by command,
 * lays text out on a grid of 12-dot columns (Font A; Kanji 24 dots; GS ! multiplies),
 * decodes text in the selected code page — GB18030 while Kanji mode (FS &) is on — and
 * collects cuts, drawer kicks, barcodes, QR codes and raster images. A command it does not
 * know is reported in `unknown`, never skipped silently.
 */
import iconv from "iconv-lite";

export interface TextRun {
  line: number;
  text: string;
  /** First 12-dot column the run occupies, and how many columns it covers. */
  column: number;
  columns: number;
  bold: boolean;
  inverted: boolean;
  underline: boolean;
  /** GS ! / ESC ! magnification. */
  width: number;
  height: number;
  kanji: boolean;
}

export type PaperEvent =
  | { kind: "line"; text: string }
  | { kind: "qr"; data: string }
  | { kind: "barcode"; data: string; type: number }
  | { kind: "raster"; width: number; height: number }
  | { kind: "cut" }
  | { kind: "drawer"; pin: number };

export interface Decoded {
  /** Printed text lines, columns placed by print position, trailing spaces trimmed. */
  lines: string[];
  runs: TextRun[];
  events: PaperEvent[];
  cuts: number;
  drawerKicks: number;
  barcodes: string[];
  qrCodes: string[];
  rasters: number;
  /** Real-time status requests (DLE EOT n) found in the stream. */
  statusQueries: number[];
  /** Commands or bytes this decoder does not know, with their offset. */
  unknown: string[];
}

const DOT = 12;
const NUL = 0x00;
const HT = 0x09;
const LF = 0x0a;
const CR = 0x0d;
const DLE = 0x10;
const ESC = 0x1b;
const FS = 0x1c;
const GS = 0x1d;

/** Single-byte code pages by ESC t n (Epson page numbers). */
const CODE_PAGES: Record<number, string> = { 0: "cp437", 2: "cp850", 16: "windows1252", 17: "cp866", 19: "cp858" };

/** Parameter counts of the fixed-length commands after ESC, FS and GS (ESC/POS "Command list"). */
const ESC_FIXED = arity({ 0: "@2im", 1: "! -3aEGMRtV{dJe", 2: "$\\c" });
const FS_FIXED = arity({ 0: "&.", 1: "-!CW", 2: "S" });
const GS_FIXED = arity({ 1: "!BabHfhwrI", 2: "LWP" });

function arity(byCount: Record<number, string>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [n, chars] of Object.entries(byCount)) for (const c of chars) out[c] = Number(n);
  return out;
}

interface Cell {
  ch: string;
  cont?: true;
}

class Decoder {
  private i = 0;
  private readonly out: Decoded = {
    lines: [],
    runs: [],
    events: [],
    cuts: 0,
    drawerKicks: 0,
    barcodes: [],
    qrCodes: [],
    rasters: 0,
    statusQueries: [],
    unknown: [],
  };
  // printer state
  private kanji = false;
  private codePage = 0;
  private bold = false;
  private inverted = false;
  private underline = false;
  private scaleW = 1;
  private scaleH = 1;
  private leftMargin = 0;
  private areaWidth = 576;
  private align = 0;
  // the line being composed
  private x = 0;
  private cells: Cell[] = [];
  private positioned = false;
  private run: TextRun | null = null;
  private qrStore = "";

  constructor(private readonly b: Buffer) {}

  decode(): Decoded {
    while (this.i < this.b.length) this.step();
    if (this.cells.length > 0) this.feed();
    return this.out;
  }

  private step(): void {
    const c = this.b[this.i]!;
    if (c === ESC) this.esc();
    else if (c === GS) this.gs();
    else if (c === FS) this.fs();
    else if (c === DLE) this.dle();
    else this.byte(c);
  }

  private byte(c: number): void {
    this.i++;
    if (c === LF) this.feed();
    else if (c === HT) this.x = (Math.floor(this.x / (8 * DOT)) + 1) * 8 * DOT;
    else if (c === CR) return;
    else if (c < 0x20 || c === 0x7f) this.report(this.i - 1, `control byte 0x${hex(c)}`);
    else this.text(c);
  }

  // ---- text -------------------------------------------------------------------------

  private text(first: number): void {
    if (first < 0x80) {
      this.put(String.fromCharCode(first), 1);
      return;
    }
    if (this.kanji) {
      const len = this.gbLength(this.i - 1);
      const bytes = this.b.subarray(this.i - 1, this.i - 1 + len);
      this.i += len - 1;
      const ch = iconv.decode(bytes, "gb18030");
      if (first === 0x80 || first === 0xff || ch.includes("\ufffd")) {
        this.report(this.i - len, `invalid GB18030 sequence ${bytes.toString("hex")}`);
      }
      this.put(ch, 2);
      return;
    }
    const page = CODE_PAGES[this.codePage];
    if (!page) this.report(this.i - 1, `byte 0x${hex(first)} in unsupported code page ${this.codePage}`);
    this.put(iconv.decode(Buffer.from([first]), page ?? "latin1"), 1);
  }

  /** GB18030: a lead byte 81–FE, then 40–FE (two bytes) or 30–39 xx 30–39 (four bytes). */
  private gbLength(at: number): number {
    const second = this.b[at + 1] ?? 0;
    if (second >= 0x30 && second <= 0x39) return 4;
    return 2;
  }

  private put(ch: string, cellsPerChar: number): void {
    const width = cellsPerChar * this.scaleW;
    const col = Math.round((this.leftMargin + this.x) / DOT);
    this.cells[col] = { ch };
    for (let k = 1; k < width; k++) this.cells[col + k] = { ch: "", cont: true };
    this.x += width * DOT;
    this.addToRun(ch, col, width);
  }

  private addToRun(ch: string, column: number, columns: number): void {
    const line = this.out.lines.length;
    const style = {
      bold: this.bold,
      inverted: this.inverted,
      underline: this.underline,
      width: this.scaleW,
      height: this.scaleH,
      kanji: this.kanji,
    };
    const r = this.run;
    if (r && r.line === line && r.column + r.columns === column && sameStyle(r, style)) {
      r.text += ch;
      r.columns += columns;
      return;
    }
    this.run = { line, text: ch, column, columns, ...style };
    this.out.runs.push(this.run);
  }

  private feed(): void {
    let text = "";
    for (let k = 0; k < this.cells.length; k++) {
      const cell = this.cells[k];
      text += cell === undefined ? " " : cell.ch;
    }
    text = text.replace(/\s+$/, "");
    if (!this.positioned && this.align !== 0) {
      const free = Math.max(0, Math.floor(this.areaWidth / DOT) - this.cells.length);
      text = " ".repeat(this.align === 1 ? Math.floor(free / 2) : free) + text;
    }
    this.out.lines.push(text);
    this.out.events.push({ kind: "line", text });
    this.cells = [];
    this.x = 0;
    this.positioned = false;
    this.run = null;
  }

  // ---- commands ---------------------------------------------------------------------

  private esc(): void {
    const at = this.i;
    const cmd = String.fromCharCode(this.b[at + 1] ?? 0);
    const n = ESC_FIXED[cmd];
    if (cmd === "p") this.drawer(at, 5);
    else if (cmd === "*") this.bitImage(at);
    else if (n === undefined) this.unknownCommand(at, `ESC ${printable(cmd)}`);
    else {
      this.i = at + 2 + n;
      this.applyEsc(cmd, this.params(at + 2, n));
    }
  }

  private unknownCommand(at: number, what: string): void {
    this.i = at + 2;
    this.report(at, what);
  }

  private applyEsc(cmd: string, p: number[]): void {
    const v = p[0] ?? 0;
    const w = (p[0] ?? 0) | ((p[1] ?? 0) << 8);
    switch (cmd) {
      case "@":
        this.reset();
        return;
      case "!":
        this.bold = (v & 0x08) !== 0;
        this.scaleH = v & 0x10 ? 2 : 1;
        this.scaleW = v & 0x20 ? 2 : 1;
        this.underline = (v & 0x80) !== 0;
        return;
      case "-":
        this.underline = (v & 0x03) !== 0;
        return;
      case "E":
      case "G":
        this.bold = (v & 1) === 1;
        return;
      case "a":
        this.align = v >= 0x30 ? v - 0x30 : v;
        return;
      case "t":
        this.codePage = v;
        return;
      case "$":
        this.x = w;
        this.positioned = true;
        return;
      case "\\":
        this.x += w > 0x7fff ? w - 0x10000 : w;
        this.positioned = true;
        return;
      case "i":
      case "m":
        this.cut();
        return;
      case "d":
      case "e":
        if (this.cells.length > 0) this.feed();
        for (let k = 0; k < v; k++) this.feed();
        return;
      default:
        return; // spacing, fonts, upside-down, etc.: no effect on decoded text
    }
  }

  private gs(): void {
    const at = this.i;
    const cmd = String.fromCharCode(this.b[at + 1] ?? 0);
    const n = GS_FIXED[cmd];
    if (cmd === "V") this.gsCut(at);
    else if (cmd === "k") this.barcode(at);
    else if (cmd === "(") this.gsExtended(at);
    else if (cmd === "8") this.gs8(at);
    else if (cmd === "v") this.rasterV(at);
    else if (n === undefined) this.unknownCommand(at, `GS ${printable(cmd)}`);
    else {
      this.i = at + 2 + n;
      this.applyGs(cmd, this.params(at + 2, n));
    }
  }

  private applyGs(cmd: string, p: number[]): void {
    const v = p[0] ?? 0;
    const w = v | ((p[1] ?? 0) << 8);
    if (cmd === "!") {
      this.scaleW = ((v >> 4) & 7) + 1;
      this.scaleH = (v & 7) + 1;
    } else if (cmd === "B") this.inverted = (v & 1) === 1;
    else if (cmd === "L") this.leftMargin = w;
    else if (cmd === "W") this.areaWidth = w;
  }

  /** GS V m / GS V m n: m 0,1,48,49 cut now; 65,66,97,98,103,104 feed n then cut. */
  private gsCut(at: number): void {
    const m = this.b[at + 2] ?? 0;
    this.i = at + 3 + ([0, 1, 48, 49].includes(m) ? 0 : 1);
    this.cut();
  }

  private cut(): void {
    if (this.cells.length > 0) this.feed();
    this.out.cuts++;
    this.out.events.push({ kind: "cut" });
  }

  private drawer(at: number, length: number): void {
    const pin = this.b[at + 2] ?? 0;
    this.i = at + length;
    this.out.drawerKicks++;
    this.out.events.push({ kind: "drawer", pin: pin & 1 });
  }

  /** GS k m: m 0–6 data up to NUL; m 65–79 a length byte then data. */
  private barcode(at: number): void {
    const m = this.b[at + 2] ?? 0;
    let data: Buffer;
    if (m <= 6) {
      const end = this.b.indexOf(NUL, at + 3);
      const stop = end < 0 ? this.b.length : end;
      data = this.b.subarray(at + 3, stop);
      this.i = stop + 1;
    } else {
      const n = this.b[at + 3] ?? 0;
      data = this.b.subarray(at + 4, at + 4 + n);
      this.i = at + 4 + n;
    }
    const text = m === 73 ? code128Text(data) : data.toString("latin1");
    this.out.barcodes.push(text);
    this.out.events.push({ kind: "barcode", data: text, type: m });
  }

  /** GS ( x pL pH …: QR (GS ( k cn=49), graphics (GS ( L), anything else reported. */
  private gsExtended(at: number): void {
    const fn = String.fromCharCode(this.b[at + 2] ?? 0);
    const len = (this.b[at + 3] ?? 0) | ((this.b[at + 4] ?? 0) << 8);
    const body = this.b.subarray(at + 5, at + 5 + len);
    this.i = at + 5 + len;
    if (fn === "k") {
      this.twoD(at, body);
      return;
    }
    if (fn === "L") {
      this.graphics(body);
      return;
    }
    if (fn === "A" || fn === "E" || fn === "H") return; // beeper, settings, response: no paper effect
    this.report(at, `GS ( ${printable(fn)}`);
  }

  private twoD(at: number, body: Buffer): void {
    const cn = body[0];
    const fn = body[1];
    if (cn !== 49) {
      this.report(at, `GS ( k cn=${cn} (2D code other than QR)`);
      return;
    }
    if (fn === 80) this.qrStore = body.subarray(3).toString("utf8");
    if (fn === 81) {
      if (this.cells.length > 0) this.feed();
      this.out.qrCodes.push(this.qrStore);
      this.out.events.push({ kind: "qr", data: this.qrStore });
    }
  }

  /** GS ( L / GS 8 L: fn 112 stores a raster image (a b x y in the body). */
  private graphics(body: Buffer): void {
    const fn = body[1];
    if (fn !== 112 && fn !== 113) return; // print / density settings
    const w = (body[6] ?? 0) | ((body[7] ?? 0) << 8);
    const h = (body[8] ?? 0) | ((body[9] ?? 0) << 8);
    this.raster(w, h);
  }

  private gs8(at: number): void {
    if (this.b[at + 2] !== 0x4c) {
      this.i = at + 3;
      this.report(at, `GS 8 ${printable(String.fromCharCode(this.b[at + 2] ?? 0))}`);
      return;
    }
    if (at + 7 > this.b.length) {
      this.i = this.b.length;
      this.report(at, "GS 8 L cut short at end of data");
      return;
    }
    const len = this.b.readUInt32LE(at + 3);
    const body = this.b.subarray(at + 7, at + 7 + len);
    this.i = at + 7 + len;
    this.graphics(body);
  }

  /** GS v 0 m xL xH yL yH d…: raster bit image, x bytes wide, y dots high. */
  private rasterV(at: number): void {
    if (this.b[at + 2] !== 0x30) {
      this.i = at + 3;
      this.report(at, "GS v (not 0)");
      return;
    }
    const xBytes = (this.b[at + 4] ?? 0) | ((this.b[at + 5] ?? 0) << 8);
    const y = (this.b[at + 6] ?? 0) | ((this.b[at + 7] ?? 0) << 8);
    this.i = at + 8 + xBytes * y;
    this.raster(xBytes * 8, y);
  }

  /** ESC * m nL nH d…: bit image, one (m 0,1) or three (m 32,33) bytes per column. */
  private bitImage(at: number): void {
    const m = this.b[at + 2] ?? 0;
    const n = (this.b[at + 3] ?? 0) | ((this.b[at + 4] ?? 0) << 8);
    this.i = at + 5 + n * (m >= 32 ? 3 : 1);
    this.raster(n, m >= 32 ? 24 : 8);
  }

  private raster(width: number, height: number): void {
    if (this.cells.length > 0) this.feed();
    this.out.rasters++;
    this.out.events.push({ kind: "raster", width, height });
  }

  private fs(): void {
    const at = this.i;
    const cmd = String.fromCharCode(this.b[at + 1] ?? 0);
    const n = FS_FIXED[cmd];
    if (cmd === "(")
      this.i = at + 5 + ((this.b[at + 3] ?? 0) | ((this.b[at + 4] ?? 0) << 8)); // Kanji settings
    else if (n === undefined) this.unknownCommand(at, `FS ${printable(cmd)}`);
    else {
      this.i = at + 2 + n;
      if (cmd === "&") this.kanji = true;
      if (cmd === ".") this.kanji = false;
    }
  }

  /** DLE EOT n (status), DLE ENQ n (recovery), DLE DC4 1 m t (pulse): real-time commands. */
  private dle(): void {
    const at = this.i;
    const cmd = this.b[at + 1];
    if (cmd === 0x04) this.out.statusQueries.push(this.b[at + 2] ?? 0);
    if (cmd === 0x04 || cmd === 0x05) this.i = at + 3;
    else if (cmd === 0x14 && this.b[at + 2] === 1) this.drawer(at + 1, 4);
    else this.unknownCommand(at, `DLE 0x${hex(cmd ?? 0)}`);
  }

  // ---- helpers ----------------------------------------------------------------------

  private params(from: number, n: number): number[] {
    const p: number[] = [];
    for (let k = 0; k < n; k++) p.push(this.b[from + k] ?? 0);
    if (from + n > this.b.length) this.report(from, "command cut short at end of data");
    return p;
  }

  private reset(): void {
    this.kanji = false;
    this.codePage = 0;
    this.bold = this.inverted = this.underline = false;
    this.scaleW = this.scaleH = 1;
    this.leftMargin = 0;
    this.align = 0;
  }

  private report(at: number, what: string): void {
    this.out.unknown.push(`@${at}: ${what}`);
  }
}

type Style = Omit<TextRun, "line" | "text" | "column" | "columns">;

function sameStyle(a: Style, b: Style): boolean {
  return (
    a.bold === b.bold &&
    a.inverted === b.inverted &&
    a.underline === b.underline &&
    a.width === b.width &&
    a.height === b.height &&
    a.kanji === b.kanji
  );
}

/**
 * GS k 73 data: `{A` `{B` `{C` select a code set; `{{` is a literal brace; in code set C
 * each byte is a pair of digits (ESC/POS reference, GS k, "CODE128").
 */
export function code128Text(data: Buffer): string {
  let set: "A" | "B" | "C" = "B";
  let out = "";
  for (let k = 0; k < data.length; k++) {
    const c = data[k]!;
    if (c === 0x7b) {
      const next = String.fromCharCode(data[++k] ?? 0);
      if (next === "A" || next === "B" || next === "C") set = next;
      else if (next === "{") out += "{";
      continue; // {S shift, {1..{4 FNC: no text
    }
    out += set === "C" ? String(c).padStart(2, "0") : String.fromCharCode(c);
  }
  return out;
}

function hex(n: number): string {
  return n.toString(16).padStart(2, "0");
}

function printable(c: string): string {
  const code = c.charCodeAt(0);
  return code >= 0x21 && code < 0x7f ? c : `0x${hex(code)}`;
}

export function decodeEscPos(bytes: Buffer): Decoded {
  return new Decoder(bytes).decode();
}
