/**
 * The printer checks a JSON Schema cannot make: durations (timeout, statusInterval,
 * keepFor), `drawerPin` without `drawerKick: true`, and the logo file — readable, a PNG,
 * and small enough for the paper. Called from config/value-checks.ts with its tools.
 */
import { isAbsolute, resolve } from "node:path";
import type { ConfigPath, ConfigProblem } from "./problems.js";

export interface PrinterCheckTools {
  get(path: ConfigPath): unknown;
  report(path: ConfigPath, message: string, extra?: Partial<ConfigProblem>, at?: "key"): void;
  /** Check a duration at path (and own the path); absent is fine. */
  duration(path: ConfigPath, minMs: number): void;
  readFile(path: string): Buffer | string;
  baseDir: string;
  /** false: the logo file is not read (a copy checked away from the till). */
  lookups: boolean;
}

export interface PrinterLogo {
  file: string;
  png: Buffer;
}

/** Printer dots per line (a 12-dot font: 48 × 12 on 80 mm, 32 × 12 on 58 mm). */
const DOTS = { 58: 384, 80: 576 } as const;
/** Taller logos cost paper and seconds on every receipt. */
export const MAX_LOGO_HEIGHT = 400;

const DEVICE_TYPES = new Set(["network", "serial", "usb"]);
const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** Run the checks; returns the logo when one is given and fit to print. */
export function checkPrinter(t: PrinterCheckTools): PrinterLogo | undefined {
  const type = t.get(["printer", "type"]);
  if (typeof type !== "string" || type === "none") return undefined;
  if (DEVICE_TYPES.has(type)) {
    t.duration(["printer", "timeout"], 1);
    t.duration(["printer", "statusInterval"], 1);
  }
  t.duration(["printer", "keepFor"], 1);
  if (t.get(["printer", "drawerPin"]) !== undefined && t.get(["printer", "drawerKick"]) !== true) {
    t.report(
      ["printer", "drawerPin"],
      "drawerPin is only used with drawerKick: true (add it, or remove drawerPin)",
      {},
      "key",
    );
  }
  return checkLogo(t);
}

function checkLogo(t: PrinterCheckTools): PrinterLogo | undefined {
  const path: ConfigPath = ["printer", "logo"];
  const ref = t.get(path);
  if (typeof ref !== "string" || ref === "" || !t.lookups) return undefined;
  const file = isAbsolute(ref) ? ref : resolve(t.baseDir, ref);
  let png: Buffer;
  try {
    const content = t.readFile(file);
    png = typeof content === "string" ? Buffer.from(content, "latin1") : content;
  } catch (err) {
    t.report(path, `cannot read the logo ${file}: ${readError(err)}`);
    return undefined;
  }
  const problem = logoProblem(png, t.get(["printer", "paperWidth"]) === 58 ? 58 : 80);
  if (problem) {
    t.report(path, `the logo ${file} ${problem}`, { expected: "a PNG, black on white" });
    return undefined;
  }
  return { file, png };
}

/** What is wrong with a logo PNG for this paper, from its header (IHDR), or undefined. */
export function logoProblem(png: Buffer, paperWidth: 58 | 80): string | undefined {
  if (png.length < 24 || !png.subarray(0, 8).equals(PNG_SIGNATURE) || png.toString("latin1", 12, 16) !== "IHDR") {
    return "is not a PNG file (convert it, e.g. `convert logo.jpg -monochrome logo.png`)";
  }
  const width = png.readUInt32BE(16);
  const height = png.readUInt32BE(20);
  const dots = DOTS[paperWidth];
  if (width === 0 || height === 0) return "is empty (0 pixels wide or high)";
  if (width > dots) return `is ${width} pixels wide; ${paperWidth} mm paper prints at most ${dots}`;
  if (height > MAX_LOGO_HEIGHT)
    return `is ${height} pixels high; at most ${MAX_LOGO_HEIGHT} (it prints on every receipt)`;
  return undefined;
}

function readError(err: unknown): string {
  const code = (err as NodeJS.ErrnoException)?.code;
  if (code === "ENOENT") return "no such file";
  if (code === "EACCES" || code === "EPERM") return "permission denied (the agent's user must be able to read it)";
  if (code === "EISDIR") return "it is a directory";
  return err instanceof Error ? err.message : String(err);
}

/**
 * A serial or USB printer path that is not usable now, for `cardterm config check` (not a
 * load error: a printer may be switched on after the agent starts).
 */
export function printerPathProblem(
  path: string,
  type: "serial" | "usb",
  stat: (p: string) => { isCharacterDevice(): boolean },
): string | undefined {
  try {
    if (!stat(path).isCharacterDevice())
      return `${path} is not a device (a USB printer is /dev/usb/lp0 or a udev link to it)`;
    return undefined;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ENOENT") return `${path} does not exist; is the printer plugged in and switched on?`;
    if (code === "EACCES") {
      return `${path} cannot be opened: permission denied (add the agent's user to ${type === "usb" ? "lp" : "dialout"})`;
    }
    return `${path} cannot be checked: ${(err as Error).message}`;
  }
}
