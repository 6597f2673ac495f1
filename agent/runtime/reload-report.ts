/**
 * What one config reload did, as `GET /api/v1/status` shows it under `reload` and the
 * log and metrics tell it: applied (with the keys and the devices reopened), unchanged,
 * refused because the new file is invalid (CT_RELOAD_REFUSED, every problem with
 * file:line, key and the fix), or refused because it changes keys only a restart can
 * apply (CT_RELOAD_RESTART_NEEDED, each key with its line).
 */
import type { ConfigPath, ConfigProblem } from "../../config/problems.js";
import { readYaml } from "../../config/yaml-source.js";
import type { ConfigChange } from "./reload-diff.js";

export type ReloadTrigger = "signal" | "file" | "api";

export type ReloadResult = "applied" | "unchanged" | "refused" | "restart-needed";

export interface ReloadReport {
  /** ISO time the reload finished. */
  at: string;
  trigger: ReloadTrigger;
  result: ReloadResult;
  /** CT_RELOAD_REFUSED or CT_RELOAD_RESTART_NEEDED when the running config stayed. */
  code?: "CT_RELOAD_REFUSED" | "CT_RELOAD_RESTART_NEEDED";
  /** The loader's own code when the file was refused (CT_CONFIG_INVALID, CT_CONFIG_YAML…). */
  cause?: string;
  message: string;
  /** Each problem with file, line, column and key. Empty when applied or unchanged. */
  problems: ConfigProblem[];
  /** What differed from the running config (applied, or would have been). */
  changes: ConfigChange[];
  /** Devices closed and reopened with their new settings. */
  devicesRestarted: string[];
  /** A device that could not be reopened: the rest of the reload stands; the driver keeps retrying. */
  deviceErrors: { device: string; error: string }[];
}

/** Names of the YAML keys that the loaded config spells differently. */
const YAML_NAMES: Record<string, string> = { caFile: "ca", certFile: "cert", keyFile: "key" };

/**
 * A restart-only change, pointed at its line in the new file. The values are not shown:
 * the key, the password and the token are among these keys.
 */
export function restartProblems(changes: readonly ConfigChange[], file: string, text: string): ConfigProblem[] {
  const src = readYaml(text, file);
  return changes.map((c) => ({
    ...src.problem(yamlPathOf(c.path), "", "key"),
    message:
      "changes only when the agent restarts; the running agent keeps its current value " +
      "(restart it, e.g. systemctl restart cardterm, when GET /api/v1/status shows nothing pending)",
  }));
}

/** "server.tls.caFile" → ["server", "tls", "ca"]; "readers[1]" → ["readers", 1]; "keepForMs" → "keepFor". */
export function yamlPathOf(path: string): ConfigPath {
  const segments: (string | number)[] = [];
  for (const part of path.split(".")) {
    const m = /^([^[]+)((?:\[\d+\])*)$/.exec(part);
    if (!m) continue;
    const name = m[1]!;
    segments.push(YAML_NAMES[name] ?? name.replace(/Ms$/, ""));
    for (const index of m[2]!.matchAll(/\[(\d+)\]/g)) segments.push(Number(index[1]));
  }
  return segments;
}
