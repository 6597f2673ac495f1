/**
 * The till as the POS app meets it, for the card-operation, supervisor-only and
 * operator-session tests: the shared rig (test/helpers/rig.ts) with the embedded broker,
 * the central server on PGlite with the demo chain, and the agent with the demo operators
 * (each with an operator card too), an API token and the preview printer.
 */
import type { RunningAgent } from "../../agent/agent.js";
import { DEMO_OPERATOR_PINS, DEMO_OPERATORS } from "../../agent/demo/demo-operators.js";
import type { SimulatedReader } from "../../drivers/readers/simulated-reader.js";
import type { HqServer } from "../../server/hq-server.js";
import { startRig } from "../helpers/rig.js";
import type { TillApi } from "../helpers/till-api.js";

export type { Reply } from "../helpers/till-api.js";

export const API_TOKEN = "pos-app-token-till-rig-0123";
/** Operator cards: the cashier's and the supervisor's, as a reader would read them. */
export const OPERATOR_CARDS = { cashier: "C0FFEE01", supervisor: "B055B055" } as const;
export const PINS = DEMO_OPERATOR_PINS;

export interface TillRig {
  agent: RunningAgent;
  hq: HqServer;
  previewDir: string;
  /** The simulated reader: `tap(uid)` is a card on it. */
  reader: SimulatedReader;
  call: TillApi["call"];
  /** Logs in by PIN; returns the session token. */
  login(operatorId: "001" | "900"): Promise<string>;
}

export async function startTillRig(
  t: { teardown(fn: () => unknown): void },
  over: { idleTimeoutMs?: number; tapTimeoutMs?: number } = {},
): Promise<TillRig> {
  const operators = DEMO_OPERATORS.map((o) => ({
    ...o,
    cardUid: o.role === "cashier" ? OPERATOR_CARDS.cashier : OPERATOR_CARDS.supervisor,
  }));
  const rig = await startRig(t, {
    agent: {
      apiToken: API_TOKEN,
      operators,
      preview: true,
      ...over,
      deps: { receiptWaitMs: 10_000 },
    },
  });
  const { agent, hq, reader, api, previewDir } = rig;
  return { agent, hq, previewDir, reader, call: api.call, login: (id) => api.login(id) };
}
