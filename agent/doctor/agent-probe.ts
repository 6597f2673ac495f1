/**
 * Is the agent running on this box, and what does it say? When it runs (systemd), it
 * holds the devices — a serial port or a grabbed input device cannot be opened twice —
 * so the doctor asks it over the local API (`GET /api/v1/status`, with the config's API
 * token) instead of opening them. Connection refused means not running: the doctor then
 * opens the devices itself.
 */
import type { AgentConfig } from "../../config/agent-config.js";
import type { PrinterStatus } from "../../drivers/printer/receipt-printer.js";
import type { ReaderStatus } from "../../drivers/readers/card-reader.js";
import type { ReceiptOutcome } from "../receipts/print-queue.js";
import type { SelfTestDoctorWireRow } from "../receipts/self-test-body.js";

/** The part of the agent's status (agent.ts `status()`) the doctor reads. */
export interface AgentStatusView {
  version: string;
  terminalId: string;
  journal: {
    pending: number;
    integrity: { ok: boolean; problem?: string };
    lastSyncAt: string | null;
    rejected: { seq: number; reason: string }[];
  };
  broker: { connected: boolean; since: string | null; lastError: string | null };
  server: { lastContactAt: string | null };
  readers: ReaderStatus[];
  printer: PrinterStatus & { queue?: { pending: number } };
  /** Whether anyone must log in (config + head office's operators); older agents leave it out. */
  operators?: { loginRequired: boolean };
}

export type AgentProbe =
  | { running: false; url: string }
  | { running: true; url: string; status: AgentStatusView }
  /** It answers, but not with its status (a wrong API token, an error): devices cannot be checked either way. */
  | { running: true; url: string; refused: { httpStatus: number; code: string; message: string } };

export type Fetch = typeof fetch;

/** The API's base URL on this box: a wildcard listen address is reached through loopback. */
export function agentUrl(config: AgentConfig): string {
  const host = config.api.host;
  const local = host === "" || host === "0.0.0.0" ? "127.0.0.1" : host === "::" ? "::1" : host;
  return `http://${local.includes(":") ? `[${local}]` : local}:${config.api.port}`;
}

/** A self-test that was not printed carries the agent's error code (a log-in needed, a printer away). */
export type SelfTestOutcome = ReceiptOutcome & { code?: string };

export class AgentApi {
  readonly url: string;
  /** An operator session (`--operator`): the self-test page is a technician's or supervisor's (permissions.ts). */
  private session: string | undefined;

  constructor(
    private readonly config: AgentConfig,
    private readonly fetchFn: Fetch = fetch,
  ) {
    this.url = agentUrl(config);
  }

  async probe(timeoutMs: number): Promise<AgentProbe> {
    let res: Response;
    try {
      res = await this.call("GET", "/api/v1/status", timeoutMs);
    } catch (err) {
      const code = ((err as Error).cause as NodeJS.ErrnoException | undefined)?.code;
      if (code === "ECONNREFUSED" || code === "ENOTFOUND" || code === "EADDRNOTAVAIL") {
        return { running: false, url: this.url };
      }
      // Something listens but does not answer in time: a hung agent holds the devices all the same.
      return {
        running: true,
        url: this.url,
        refused: { httpStatus: 0, code: "CT_SERVER_TIMEOUT", message: errText(err) },
      };
    }
    const body = (await res.json().catch(() => ({}))) as Record<string, unknown>;
    if (res.ok && typeof body.terminalId === "string") {
      return { running: true, url: this.url, status: body as unknown as AgentStatusView };
    }
    return {
      running: true,
      url: this.url,
      refused: {
        httpStatus: res.status,
        code: typeof body.code === "string" ? body.code : "CT_INTERNAL",
        message: typeof body.message === "string" ? body.message : `HTTP ${res.status}`,
      },
    };
  }

  /**
   * Asks the running agent to print its self-test page through its own print queue; with
   * `doctor`, the doctor's rows under the page's lines (`--print`).
   */
  async selfTest(timeoutMs: number, doctor?: SelfTestDoctorWireRow[]): Promise<SelfTestOutcome> {
    const res = await this.call("POST", "/api/v1/receipts/self-test", timeoutMs, doctor ? { doctor } : undefined);
    const body = (await res.json()) as ReceiptOutcome & { code?: string; message?: string };
    if (!res.ok) {
      return {
        jobId: "self-test",
        printed: false,
        error: body.message ?? `HTTP ${res.status}`,
        ...(body.code ? { code: body.code } : {}),
      };
    }
    return body;
  }

  /** Logs the operator in; later calls carry the session. Resolves to the refusal's message, or null. */
  async login(operatorId: string, pin: string, timeoutMs: number): Promise<string | null> {
    const res = await this.call("POST", "/api/v1/sessions", timeoutMs, { operatorId, pin });
    const body = (await res.json().catch(() => ({}))) as { session?: string; message?: string };
    if (res.ok && body.session) {
      this.session = body.session;
      return null;
    }
    return body.message ?? `HTTP ${res.status}`;
  }

  /** Ends the session, so it does not linger on the till. */
  async logout(timeoutMs: number): Promise<void> {
    if (!this.session) return;
    await this.call("DELETE", "/api/v1/sessions/current", timeoutMs).catch(() => undefined);
    this.session = undefined;
  }

  private call(method: string, path: string, timeoutMs: number, body?: unknown): Promise<Response> {
    const headers: Record<string, string> = {};
    if (this.config.api.token) headers.authorization = `Bearer ${this.config.api.token}`;
    if (this.session) headers["x-cardterm-session"] = this.session;
    if (body !== undefined) headers["content-type"] = "application/json";
    return this.fetchFn(`${this.url}${path}`, {
      method,
      headers,
      signal: AbortSignal.timeout(timeoutMs),
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
  }
}

function errText(err: unknown): string {
  const cause = (err as Error).cause as Error | undefined;
  return cause?.message ?? (err as Error).message;
}
