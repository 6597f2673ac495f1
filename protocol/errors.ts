/**
 * One error class for the whole product, a stable code per failure.
 *
 * Codes are part of the technician's contract: they appear in logs, in API replies
 * (`{ code, message }`) and in docs/errors.md. A test checks that every code here is
 * documented there, so adding a code means writing its line for the technician.
 */

export const ERROR_CODES = {
  // configuration (permanent: never retried)
  CT_CONFIG_INVALID: "the configuration file is invalid",
  CT_CONFIG_NOT_FOUND: "the configuration file does not exist or cannot be read",
  CT_CONFIG_YAML: "the configuration file is not valid YAML",
  CT_CONFIG_VERSION: "the configuration file is in a newer config format than this agent reads",
  CT_RELOAD_REFUSED: "a changed configuration file is invalid; the running agent keeps its current config",
  CT_RELOAD_RESTART_NEEDED: "a changed configuration file changes keys only a restart applies; nothing was applied",
  // money and input
  CT_AMOUNT_INVALID: "an amount is not a valid decimal of at most two places",
  CT_BAD_REQUEST: "a request to the local API is malformed",
  CT_NOT_FOUND: "the requested object does not exist",
  // devices (transient: retried with backoff)
  CT_READER_LOST: "a card reader was lost and is being reopened",
  CT_READER_UNAVAILABLE: "a configured card reader cannot be used on this box",
  CT_NO_TAP: "no card was tapped in time",
  CT_PRINTER_OFFLINE: "the receipt printer does not answer",
  CT_PRINTER_NOT_READY: "the receipt printer answers but cannot print (paper out, cover open)",
  // journal and store
  CT_STORE_WRITE_FAILED: "the durable store could not be written (disk full or I/O error)",
  CT_JOURNAL_CORRUPT: "the journal failed verification; approvals are refused",
  // link to the central server
  CT_SERVER_TIMEOUT: "the central server did not answer in time",
  CT_MESSAGE_INVALID: "an MQTT message was malformed and was dropped",
  CT_MESSAGE_REFUSED:
    "a message failed its seal check (no seal, a wrong key, outside the time window, replayed) and was refused",
  CT_TERMINAL_NOT_REGISTERED: "head office does not know this till, or holds another key for it",
  CT_BROKER_UNREACHABLE: "the MQTT broker cannot be reached, or refused the connection",
  // diagnostics (`cardterm doctor`)
  CT_CLOCK_SKEW: "this box's clock is far from the central server's",
  CT_DISK_LOW: "little free space is left where the journal is kept",
  CT_CHECK_TIMEOUT: "a diagnostic check did not finish in time (a device or service that hangs)",
  // head-office back office (cardterm-hq commands and its HTTP API)
  CT_CONFLICT: "the change does not fit the current state (a card already lost, an id already taken)",
  CT_UNAUTHORIZED: "an API was called without its token or session, or with a wrong or expired one",
  // operators at the till
  CT_LOGIN_FAILED: "an operator log-in was refused (wrong number or PIN, or locked)",
  CT_FORBIDDEN: "the operator logged in may not do this operation",
  CT_NO_OPERATORS: "no operators are configured: the till takes sales without any log-in",
  CT_POLICY_INVALID: "a policy document to publish is invalid",
  // decisions (declines): shown to cashiers
  CT_DECLINED: "the transaction was declined",
  // anything else: a defect, reported with the log line that explains it
  CT_INTERNAL: "an unexpected internal error; the agent log has the details",
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

/** Failures worth retrying (IO that may come back); everything else is permanent. */
const TRANSIENT: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  "CT_READER_LOST",
  "CT_PRINTER_OFFLINE",
  "CT_STORE_WRITE_FAILED",
  "CT_SERVER_TIMEOUT",
]);

export class CardtermError extends Error {
  readonly code: ErrorCode;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown; details?: Record<string, unknown> }) {
    super(`${code}: ${message}`, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = "CardtermError";
    this.code = code;
    this.details = options?.details;
  }
}

export function isCardtermError(err: unknown, code?: ErrorCode): err is CardtermError {
  return err instanceof CardtermError && (code === undefined || err.code === code);
}

export function isTransient(err: unknown): boolean {
  return err instanceof CardtermError && TRANSIENT.has(err.code);
}
