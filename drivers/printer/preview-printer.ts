/**
 * The preview printer: renders each receipt to `<previewDir>/<job>.png`, `.svg` and `.bin`
 * (the exact ESC/POS bytes a network printer would get, drawer pulse included). It is the demo's printer and the
 * technician's way to see a receipt without paper; the network printer reuses
 * `writePreviews` when it is asked to keep previews too.
 */
import { createHash } from "node:crypto";
import { mkdir, rename, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { CardtermError } from "../../protocol/errors.js";
import { type JobSettings, jobSettingsOf, renderJob } from "./job-bytes.js";
import type { PrinterState, PrinterStatus, PrintJob, PrintResult, ReceiptPrinter } from "./receipt-printer.js";
import {
  type Charset,
  CJK_FONT_PACKAGE,
  findPreviewFonts,
  type Language,
  type PaperWidth,
  renderEscPos,
  renderSvg,
  svgToPng,
} from "./render-receipt.js";

/** The part of a pino logger the printers use. */
export interface PrinterLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

export interface PrinterDeps {
  language: Language;
  /** Epoch milliseconds; injected so tests control time. */
  now?: () => number;
  log?: PrinterLog;
}

/** What the preview printer is told: where the files go, how to render. */
export interface PreviewPrinterOptions extends JobSettings {
  previewDir: string;
}

export interface PreviewFiles {
  previewPng: string;
  previewSvg: string;
  previewBin: string;
}

/** A PrintResult that also names the ESC/POS file. */
export type PreviewPrintResult = PrintResult & PreviewFiles;

const UNSAFE = /[^A-Za-z0-9._-]/g;

/**
 * A file name stem for a job id: only [A-Za-z0-9._-], no leading dot, at most 100
 * characters. When anything had to change, a hash of the original id is appended so two
 * ids that sanitise alike (`a/b`, `a_b`) never overwrite each other's files.
 */
export function previewFileStem(jobId: string): string {
  const safe = jobId.replace(UNSAFE, "_").replace(/^\.+/, "_").slice(0, 100);
  if (safe === jobId && safe.length > 0) return safe;
  const hash = createHash("sha256").update(jobId).digest("hex").slice(0, 8);
  return `${safe || "job"}-${hash}`;
}

/** Render a job and write PNG, SVG and ESC/POS next to each other (each written atomically). */
export async function writePreviews(
  dir: string,
  job: PrintJob,
  opts: { paperWidth: PaperWidth; language: Language; charset?: Charset; bytes?: Buffer },
): Promise<PreviewFiles & { bytes: number }> {
  const render = { paperWidth: opts.paperWidth, language: opts.language, charset: opts.charset };
  const bin = opts.bytes ?? renderEscPos(job.markup, render);
  const svg = renderSvg(job.markup, render);
  const png = svgToPng(svg);
  await mkdir(dir, { recursive: true });
  const stem = join(dir, previewFileStem(job.id));
  const files = { previewPng: `${stem}.png`, previewSvg: `${stem}.svg`, previewBin: `${stem}.bin` };
  await Promise.all([
    writeAtomic(files.previewPng, png),
    writeAtomic(files.previewSvg, svg),
    writeAtomic(files.previewBin, bin),
  ]);
  return { ...files, bytes: bin.length };
}

/** Write to a temp name and rename, so a reader never sees half a PNG. */
async function writeAtomic(path: string, data: Buffer | string): Promise<void> {
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, data);
  await rename(tmp, path);
}

/** Status detail about PNG fonts: the CJK font is the one that goes missing on fresh boxes. */
export function fontDetail(): string | undefined {
  return findPreviewFonts().cjk ? undefined : `PNG previews lack Chinese glyphs: apt-get install ${CJK_FONT_PACKAGE}`;
}

export class PreviewPrinter implements ReceiptPrinter {
  readonly type = "preview";
  private state: PrinterState = "ready";
  private detail: string;
  private lastPrintAt: string | null = null;
  private closed = false;

  constructor(
    readonly id: string,
    private readonly options: PreviewPrinterOptions,
    private readonly deps: PrinterDeps,
  ) {
    this.detail = this.readyDetail();
  }

  async print(job: PrintJob): Promise<PreviewPrintResult> {
    if (this.closed) throw new CardtermError("CT_PRINTER_OFFLINE", `printer ${this.id} is closed`);
    try {
      const settings = jobSettingsOf(this.options);
      const result = await writePreviews(this.options.previewDir, job, {
        paperWidth: this.options.paperWidth,
        language: this.deps.language,
        charset: settings.charset,
        bytes: renderJob(job, settings, this.deps.language),
      });
      if (!this.closed) {
        this.state = "ready";
        this.detail = this.readyDetail();
      }
      this.lastPrintAt = new Date((this.deps.now ?? Date.now)()).toISOString();
      return result;
    } catch (err) {
      const message = `cannot write receipt previews to ${this.options.previewDir}: ${(err as Error).message}`;
      if (!this.closed) {
        this.state = "offline";
        this.detail = message;
      }
      this.deps.log?.warn({ job: job.id, err: (err as Error).message }, "receipt preview not written");
      throw new CardtermError("CT_PRINTER_OFFLINE", message, { cause: err, details: { mayHavePrinted: false } });
    }
  }

  status(): PrinterStatus {
    return { id: this.id, type: this.type, state: this.state, lastPrintAt: this.lastPrintAt, detail: this.detail };
  }

  async close(): Promise<void> {
    this.closed = true;
    this.state = "closed";
    this.detail = "closed";
  }

  private readyDetail(): string {
    const fonts = fontDetail();
    return `writes receipts to ${this.options.previewDir}${fonts ? `; ${fonts}` : ""}`;
  }
}
