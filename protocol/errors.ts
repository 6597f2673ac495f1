/**
 * One error class for the whole product, a stable code per failure.
 *
 * Codes are part of the technician's contract: they appear in logs, in API replies
 * (`{ code, message }`) and in docs/errors.md. A test checks that every code here is
 * documented there, so adding a code means writing its line for the technician.
 *
 * Each code is declared once, in ERRORS: what it means, the HTTP status both APIs answer
 * it with (500 for a code no request should meet: a defect if one does), and whether
 * retrying can help.
 */

interface ErrorSpec {
  /** One line: what went wrong (docs/errors.md has the technician's longer text). */
  meaning: string;
  /** The status of an API reply carrying this code. */
  http: number;
  /** Retrying later can help: I/O that may come back (a device, the disk, the link). */
  retry: boolean;
}

export const ERRORS = {
  // configuration (never retried)
  CT_CONFIG_INVALID: { meaning: "the configuration file is invalid", http: 500, retry: false },
  CT_CONFIG_NOT_FOUND: { meaning: "the configuration file does not exist or cannot be read", http: 500, retry: false },
  CT_CONFIG_YAML: { meaning: "the configuration file is not valid YAML", http: 500, retry: false },
  CT_CONFIG_VERSION: {
    meaning: "the configuration file is in a newer config format than this agent reads",
    http: 500,
    retry: false,
  },
  CT_RELOAD_REFUSED: {
    meaning: "a changed configuration file is invalid; the running agent keeps its current config",
    http: 500,
    retry: false,
  },
  CT_RELOAD_RESTART_NEEDED: {
    meaning: "a changed configuration file changes keys only a restart applies; nothing was applied",
    http: 500,
    retry: false,
  },
  // money and input
  CT_AMOUNT_INVALID: { meaning: "an amount is not a valid decimal of at most two places", http: 400, retry: false },
  CT_BAD_REQUEST: { meaning: "a request to the till's or head office's API is malformed", http: 400, retry: false },
  CT_NOT_FOUND: { meaning: "the requested object does not exist", http: 404, retry: false },
  // devices
  CT_READER_LOST: { meaning: "a card reader was lost and is being reopened", http: 500, retry: true },
  CT_READER_UNAVAILABLE: { meaning: "a configured card reader cannot be used on this box", http: 500, retry: false },
  // Not 408: Chromium resends a request answered 408 on a kept-alive connection, so a sale
  // whose tap wait ended (timed out, or cancelled at the console) was silently asked again
  // and charged the next card tapped (test/e2e/console-at-till.test.ts).
  CT_NO_TAP: { meaning: "no card was tapped in time", http: 409, retry: false },
  CT_PRINTER_OFFLINE: { meaning: "the receipt printer does not answer", http: 500, retry: true },
  CT_PRINTER_NOT_READY: {
    meaning: "the receipt printer answers but cannot print (paper out, cover open)",
    http: 500,
    retry: false,
  },
  // journal and store
  CT_STORE_WRITE_FAILED: {
    meaning: "the durable store could not be written (disk full or I/O error)",
    http: 503,
    retry: true,
  },
  CT_JOURNAL_CORRUPT: { meaning: "the journal failed verification; approvals are refused", http: 503, retry: false },
  // link to the central server
  CT_SERVER_TIMEOUT: { meaning: "the central server did not answer in time", http: 504, retry: true },
  CT_MESSAGE_INVALID: { meaning: "an MQTT message was malformed and was dropped", http: 500, retry: false },
  CT_MESSAGE_REFUSED: {
    meaning:
      "a message failed its seal check (no seal, a wrong key, outside the time window, replayed) and was refused",
    http: 500,
    retry: false,
  },
  // Head office refused the till (docs/security.md): the service is unavailable until someone fixes it.
  CT_TERMINAL_NOT_REGISTERED: {
    meaning: "head office does not know this till, or holds another key for it",
    http: 503,
    retry: false,
  },
  CT_BROKER_UNREACHABLE: {
    meaning: "the MQTT broker cannot be reached, or refused the connection",
    http: 500,
    retry: false,
  },
  // diagnostics (`cardterm doctor`)
  CT_CLOCK_SKEW: { meaning: "this box's clock is far from the central server's", http: 503, retry: false },
  CT_DISK_LOW: { meaning: "little free space is left where the journal is kept", http: 500, retry: false },
  CT_CHECK_TIMEOUT: {
    meaning: "a diagnostic check did not finish in time (a device or service that hangs)",
    http: 500,
    retry: false,
  },
  // head-office back office (cardterm-hq commands and its HTTP API)
  CT_CONFLICT: {
    meaning: "the change does not fit the current state (a card already lost, an id already taken)",
    http: 409,
    retry: false,
  },
  CT_UNAUTHORIZED: {
    meaning: "an API was called without its token or session, or with a wrong or expired one",
    http: 401,
    retry: false,
  },
  // operators at the till
  CT_LOGIN_FAILED: {
    meaning: "an operator log-in was refused (wrong number or PIN, or locked)",
    http: 401,
    retry: false,
  },
  CT_FORBIDDEN: { meaning: "the operator logged in may not do this operation", http: 403, retry: false },
  CT_NO_OPERATORS: {
    meaning: "no operators are configured: the till takes sales without any log-in",
    http: 500,
    retry: false,
  },
  CT_POLICY_INVALID: { meaning: "a policy document to publish is invalid", http: 400, retry: false },
  // decisions (declines): shown to cashiers
  CT_DECLINED: { meaning: "the transaction was declined", http: 500, retry: false },
  // anything else: a defect, reported with the log line that explains it
  CT_INTERNAL: { meaning: "an unexpected internal error; the agent log has the details", http: 500, retry: false },
} as const satisfies Record<string, ErrorSpec>;

export type ErrorCode = keyof typeof ERRORS;

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

/**
 * The HTTP status both APIs answer a code with (the till's local API, head office's):
 * one table, so a client sees the same status for the same failure at either.
 */
export function httpStatus(code: ErrorCode): number {
  return ERRORS[code].http;
}
