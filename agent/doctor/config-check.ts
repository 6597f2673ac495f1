/**
 * The config row: the same loader the agent starts with (config/load-config.ts), so the
 * doctor says exactly what `cardterm config check` and the agent would. An invalid file
 * FAILs with its first problems as file:line:column — every other row needs the config
 * and is skipped. A file that cannot be read at all is not a row: the command exits 2.
 */
import type { AgentConfig } from "../../config/agent-config.js";
import { type ConfigProblem, formatProblems, loadConfig } from "../../config/load-config.js";
import { type CardtermError, isCardtermError } from "../../protocol/errors.js";
import type { Finding, Say } from "./doctor-row.js";

/** Problems shown in the row; the rest are counted (`cardterm config check` lists them all). */
const SHOWN = 3;

/** The row is worded later, in the config's own language (or --lang). */
export type ConfigOutcome = { config: AgentConfig | null; finding: (say: Say) => Finding };

/** Throws CT_CONFIG_NOT_FOUND when the file cannot be read (exit 2). */
export async function checkConfig(file: string, env?: NodeJS.ProcessEnv): Promise<ConfigOutcome> {
  const warnings: string[] = [];
  try {
    const config = await loadConfig(file, { onWarning: (w) => warnings.push(w), ...(env ? { env } : {}) });
    const summary = describe(config);
    if (warnings.length === 0) return { config, finding: () => ({ verdict: "PASS", via: "direct", detail: summary }) };
    return {
      config,
      finding: (say) => ({
        verdict: "WARN",
        via: "direct",
        detail: `${summary}; ${warnings.join("; ")}`,
        fix: say(
          `把配置文件升级到当前格式：cardterm config migrate ${file}`,
          `update the file to the current format: cardterm config migrate ${file}`,
        ),
      }),
    };
  } catch (err) {
    if (isCardtermError(err, "CT_CONFIG_NOT_FOUND") || !isCardtermError(err)) throw err;
    return { config: null, finding: (say) => refused(err, file, say) };
  }
}

function refused(err: CardtermError, file: string, say: Say): Finding {
  const problems = (err.details?.problems ?? []) as ConfigProblem[];
  const shown = formatProblems(problems.slice(0, SHOWN));
  const more =
    problems.length > SHOWN
      ? say(`（另有 ${problems.length - SHOWN} 处）`, ` (and ${problems.length - SHOWN} more)`)
      : "";
  return {
    verdict: "FAIL",
    via: "direct",
    code: err.code,
    detail: `${shown.replaceAll("\n", " | ")}${more}`,
    fix: say(
      `按所列行号改正配置文件，再检查：cardterm config check ${file}`,
      `correct each line listed, then check again: cardterm config check ${file}`,
    ),
  };
}

/** "terminal T001, 2 readers, printer network". */
function describe(config: AgentConfig): string {
  const n = config.readers.length;
  return `${config.source}: terminal ${config.terminal.id}, ${n} reader${n === 1 ? "" : "s"}, printer ${config.printer.type}`;
}
