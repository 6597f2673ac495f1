/** A print job's exact bytes for a printer's settings: the receipt, then the drawer pulse. */
import type { PrintJob } from "./receipt-printer.js";
import {
  type Charset,
  type DrawerPin,
  drawerPulse,
  type Language,
  type PaperWidth,
  renderEscPos,
} from "./render-receipt.js";

/** How a printer renders its jobs: every driver's options include these. */
export interface JobSettings {
  paperWidth: PaperWidth;
  /** Default gb18030. */
  charset?: Charset;
  /** The drawer pin pulsed after jobs with `openDrawer`; absent: no drawer is wired. */
  drawerPin?: DrawerPin;
  /** Also keep PNG/SVG/ESC-POS previews of every job here. */
  previewDir?: string;
}

/** Just the rendering settings of a driver's options (absent keys keep their defaults). */
export function jobSettingsOf(options: JobSettings): JobSettings {
  return {
    paperWidth: options.paperWidth,
    ...(options.charset === undefined ? {} : { charset: options.charset }),
    ...(options.drawerPin === undefined ? {} : { drawerPin: options.drawerPin }),
    ...(options.previewDir === undefined ? {} : { previewDir: options.previewDir }),
  };
}

/**
 * The receipt, then the drawer pulse when the job asks for it and a drawer is wired. The
 * pulse comes after the cut: the drawer opens as the receipt is torn off, and a printer
 * that stops half-way through the receipt has not opened the till.
 */
export function renderJob(job: PrintJob, settings: JobSettings, language: Language): Buffer {
  const bytes = renderEscPos(job.markup, { paperWidth: settings.paperWidth, language, charset: settings.charset });
  if (!job.openDrawer || settings.drawerPin === undefined) return bytes;
  return Buffer.concat([bytes, drawerPulse(settings.drawerPin)]);
}
