/**
 * The till as the POS app meets it, for the card-operation, supervisor-only and
 * operator-session tests: the embedded broker (aedes), the real central server on PGlite
 * with the demo chain, and the agent with the demo operators (each with an operator card
 * too), an API token, the preview printer — all on loopback, all stopped at the end.
 */
import { randomBytes } from "node:crypto";
import { type RunningAgent, startAgent } from "../../agent/agent.js";
import { DEMO_OPERATOR_PINS, DEMO_OPERATORS } from "../../agent/demo/demo-operators.js";
import { startEmbeddedBroker } from "../../agent/demo/embedded-broker.js";
import { silentLogger } from "../../agent/logger.js";
import type { AgentConfig } from "../../config/agent-config.js";
import { SimulatedReader } from "../../drivers/readers/simulated-reader.js";
import { type HqServer, startHqServer } from "../../server/hq-server.js";
import { testAgentConfig } from "../helpers/agent-config.js";
import { freePort } from "../helpers/free-port.js";
import { tempDir } from "../helpers/temp-dir.js";
import { waitFor } from "../helpers/wait-for.js";

export const API_TOKEN = "pos-app-token-till-rig-0123";
/** Operator cards: the cashier's and the supervisor's, as a reader would read them. */
export const OPERATOR_CARDS = { cashier: "C0FFEE01", supervisor: "B055B055" } as const;
export const PINS = DEMO_OPERATOR_PINS;

export interface Reply {
  status: number;
  // biome-ignore lint/suspicious/noExplicitAny: replies are checked field by field with t.match
  body: any;
  headers: Headers;
}

export interface TillRig {
  agent: RunningAgent;
  hq: HqServer;
  previewDir: string;
  /** The simulated reader: `tap(uid)` is a card on it. */
  reader: SimulatedReader;
  call(
    method: string,
    path: string,
    body?: unknown,
    session?: string,
    headers?: Record<string, string>,
  ): Promise<Reply>;
  /** Logs in by PIN; returns the session token. */
  login(operatorId: "001" | "900"): Promise<string>;
}

export async function startTillRig(
  t: { teardown(fn: () => unknown): void },
  over: { idleTimeoutMs?: number; tapTimeoutMs?: number } = {},
): Promise<TillRig> {
  const broker = await startEmbeddedBroker(await freePort());
  t.teardown(() => broker.close());
  const key = randomBytes(32);
  const hq = await startHqServer({
    mqttUrl: broker.url,
    seedDemo: { terminals: [{ id: "T001", keyHex: key.toString("hex") }] },
    reconnectPeriodMs: 200,
    log: silentLogger(),
  });
  t.teardown(() => hq.close());
  const dataDir = await tempDir(t);
  const previewDir = `${dataDir}/receipts`;
  const operators = DEMO_OPERATORS.map((o) => ({
    ...o,
    cardUid: o.role === "cashier" ? OPERATOR_CARDS.cashier : OPERATOR_CARDS.supervisor,
  }));
  const base = testAgentConfig({
    dataDir,
    mqttUrl: broker.url,
    key,
    apiToken: API_TOKEN,
    operators,
    printer: { type: "preview", previewDir, paperWidth: 80 },
  });
  const config: AgentConfig = {
    ...base,
    api: { ...base.api, idleTimeoutMs: over.idleTimeoutMs ?? base.api.idleTimeoutMs },
    tapTimeoutMs: over.tapTimeoutMs ?? base.tapTimeoutMs,
  };
  const agent = await startAgent(config, {
    log: silentLogger(),
    backoff: { baseMs: 100, capMs: 400 },
    ackTimeoutMs: 2000,
    receiptWaitMs: 10_000,
  });
  t.teardown(() => agent.close());
  const reader = agent.readers.find((r): r is SimulatedReader => r instanceof SimulatedReader);
  if (!reader) throw new Error("the rig's agent has no simulated reader");

  const call: TillRig["call"] = async (method, path, body, session, headers = {}) => {
    const h: Record<string, string> = { authorization: `Bearer ${API_TOKEN}`, ...headers };
    if (body !== undefined) h["content-type"] = "application/json";
    if (session) h["x-cardterm-session"] = session;
    const res = await fetch(`${agent.url}${path}`, {
      method,
      headers: h,
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const text = await res.text();
    const json = res.headers.get("content-type")?.includes("json") && text ? JSON.parse(text) : text;
    return { status: res.status, body: json, headers: res.headers };
  };
  const login: TillRig["login"] = async (operatorId) => {
    const r = await call("POST", "/api/v1/sessions", { operatorId, pin: PINS[operatorId] });
    if (r.status !== 200) throw new Error(`log-in of ${operatorId} failed: ${JSON.stringify(r.body)}`);
    return r.body.session as string;
  };
  await waitFor("agent connected with the policy", async () => {
    const s = (await call("GET", "/api/v1/status")).body;
    return s.broker.connected && s.policy.policy !== null;
  });
  return { agent, hq, previewDir, reader, call, login };
}
