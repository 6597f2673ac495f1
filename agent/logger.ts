/**
 * Structured logs (pino), a child logger per component. Card numbers are masked by the
 * callers (maskCardId) and keys, PINs and passwords are redacted here as a second line
 * of defence: they must never reach a log file.
 */
import { pino } from "pino";

export type Logger = pino.Logger;

export function createLogger(
  opts: { level?: string; name?: string; destination?: pino.DestinationStream } = {},
): Logger {
  return pino(
    {
      name: opts.name ?? "cardterm",
      level: opts.level ?? process.env.CARDTERM_LOG_LEVEL ?? "info",
      redact: {
        paths: ["key", "*.key", "password", "*.password", "pin", "*.pin", "keyHex", "*.keyHex"],
        censor: "[redacted]",
      },
    },
    opts.destination,
  );
}

/** A logger that writes nothing, for tests that do not look at logs. */
export function silentLogger(): Logger {
  return pino({ level: "silent" });
}
