/** The one error a refused config file raises: a banner listing every problem, the problems in details. */
import { CardtermError, type ErrorCode } from "../protocol/errors.js";
import { type ConfigProblem, formatProblems } from "./problems.js";

export type ConfigErrorCode = "CT_CONFIG_INVALID" | "CT_CONFIG_YAML" | "CT_CONFIG_VERSION";

export function refuse(code: ConfigErrorCode & ErrorCode, file: string, problems: ConfigProblem[]): never {
  const n = problems.length;
  const what =
    code === "CT_CONFIG_YAML"
      ? "is not valid YAML"
      : code === "CT_CONFIG_VERSION"
        ? "is in a config format this agent cannot read"
        : `has ${n} problem${n === 1 ? "" : "s"}`;
  const banner = `configuration file ${file} ${what}; the agent will not start until ${n === 1 ? "it is" : "they are"} fixed:\n${indent(formatProblems(problems))}`;
  throw new CardtermError(code, banner, { details: { file, problems } });
}

function indent(text: string): string {
  return text
    .split("\n")
    .map((l) => `  ${l}`)
    .join("\n");
}
