/**
 * The `regex` line format of ID readers (serial and keyboard wedge), checked when the
 * driver is built: a pattern that can never match is a permanent config error, not
 * something to retry (docs/architecture.md#rules-of-the-house).
 */
import { CardtermError } from "../../protocol/errors.js";

interface PatternConfig {
  id: string;
  pattern?: string;
}

export function compileIdPattern(config: PatternConfig): RegExp {
  if (!config.pattern) invalidReaderConfig(config, "format regex needs a pattern");
  if (!config.pattern.includes("(?<id>")) invalidReaderConfig(config, "pattern has no named group (?<id>…)");
  try {
    return new RegExp(config.pattern);
  } catch (err) {
    return invalidReaderConfig(config, `pattern does not compile: ${err instanceof Error ? err.message : String(err)}`);
  }
}

export function invalidReaderConfig(config: { id: string }, why: string): never {
  throw new CardtermError("CT_CONFIG_INVALID", `reader ${config.id}: ${why}`, { details: { reader: config.id } });
}
