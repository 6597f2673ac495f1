/**
 * Device paths (serial and keyboard readers, serial and USB printers) that are not usable
 * on this box now. Not a load error: a reader may be plugged in after the agent starts,
 * and the driver reopens it. `cardterm config check` reports them, at the line of `path:`,
 * unless told it runs elsewhere (--elsewhere: a copy checked on a laptop).
 */
import { statSync } from "node:fs";
import { printerPathProblem } from "./printer-checks.js";
import type { ConfigProblem } from "./problems.js";
import type { YamlSource } from "./yaml-source.js";

export type Stat = (path: string) => { isCharacterDevice(): boolean };

/** Problems for the device paths in the (schema-valid) YAML data. */
export function devicePathProblems(data: unknown, src: YamlSource, stat: Stat = statSync): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const d = (data ?? {}) as { readers?: unknown; printer?: { type?: unknown; path?: unknown } };
  if (Array.isArray(d.readers)) {
    d.readers.forEach((r: { type?: unknown; path?: unknown } | null, i) => {
      if ((r?.type !== "serial-id" && r?.type !== "keyboard-wedge") || typeof r.path !== "string") return;
      const message = readerPathProblem(r.path, r.type, stat);
      if (message) problems.push(src.problem(["readers", i, "path"], message));
    });
  }
  const p = d.printer;
  if ((p?.type === "serial" || p?.type === "usb") && typeof p.path === "string") {
    const message = printerPathProblem(p.path, p.type, stat);
    if (message) problems.push(src.problem(["printer", "path"], message));
  }
  return problems;
}

function readerPathProblem(path: string, type: "serial-id" | "keyboard-wedge", stat: Stat): string | undefined {
  const wedge = type === "keyboard-wedge";
  try {
    if (!stat(path).isCharacterDevice()) return `${path} is not ${wedge ? "an input device" : "a serial device"}`;
    return undefined;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ENOENT") return `${path} does not exist; is the reader plugged in? (ls -l /dev/serial/by-id/)`;
    if (code === "EACCES") {
      return `${path} cannot be opened: permission denied (add the agent's user to ${wedge ? "input" : "dialout"}; docs/deploy.md)`;
    }
    return `${path} cannot be checked: ${(err as Error).message}`;
  }
}
