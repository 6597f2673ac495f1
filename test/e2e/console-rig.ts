/**
 * The web console's test rig: the real system as `npm start` runs it — embedded broker
 * (aedes), central server on PGlite with the demo members, the agent with the demo
 * operators, an API token and the preview printer — and the console in front of it.
 *
 * Until the agent mounts the console itself (registerConsoleRoutes in its API), the rig
 * serves the console from a small front server on its own port that passes every /api/
 * request through to the real agent, untouched: same paths, same headers, same bodies,
 * the event stream included. Once the agent serves /console/, the rig uses it directly.
 */
import { Readable } from "node:stream";
import Fastify, { type FastifyInstance } from "fastify";
import type { RunningAgent } from "../../agent/agent.js";
import { registerConsoleRoutes } from "../../agent/console/console-routes.js";
import { DEMO_OPERATOR_PINS, DEMO_OPERATORS } from "../../agent/demo/demo-operators.js";
import type { AgentConfig } from "../../config/agent-config.js";
import { SimulatedReader } from "../../drivers/readers/simulated-reader.js";
import type { HqServer } from "../../server/hq-server.js";
import { launchBrowser, type TestBrowser } from "../helpers/browser.js";
import { startRig } from "../helpers/rig.js";
import { tempDir } from "../helpers/temp-dir.js";
import { waitFor } from "../helpers/wait-for.js";

export const GOLD = { uid: "04A1B2C3", name: "张伟" }; // gold, pays 88%, ¥1,000.00 to start
export const SILVER = { uid: "04D5E6F7", name: "李娜" }; // silver, pays 95%, ¥300.00 to start
export const CASHIER = { id: "001", pin: DEMO_OPERATOR_PINS["001"] };
export const SUPERVISOR = { id: "900", pin: DEMO_OPERATOR_PINS["900"] };
export const API_TOKEN = "console-test-token-0123456789";
/** The cashier's operator card in the rig (the demo operators have none): a tap logs 001 in. */
export const CASHIER_CARD = "0C0FFEE1";

export interface ConsoleRigOptions {
  /** The agent's session idle time-out (api.idleTimeoutMs); default 15 min. */
  idleTimeoutMs?: number;
  /** How long the agent waits for a tap (tapTimeout); default testAgentConfig's 5 s. */
  tapTimeoutMs?: number;
  /** Another printer than the preview printer (e.g. a TCP stand-in that can go away). */
  printer?: AgentConfig["printer"];
}

export interface ConsoleRig {
  /** The console's origin, e.g. http://127.0.0.1:41234 (open `${url}/console/`). */
  url: string;
  /** The agent's own API origin. */
  agentUrl: string;
  /** True when the agent serves the console itself (no front server). */
  mounted: boolean;
  browser: TestBrowser;
  /** The running agent: its readers (the simulated one takes taps), ledger and print queue. */
  agent: RunningAgent;
  /** The central server: its ledger is the record a test checks against. */
  hq: HqServer;
  /** Where the preview printer writes each receipt's PNG. */
  previewDir: string;
}

type Teardown = { teardown(fn: () => unknown): void };

export async function startConsoleRig(t: Teardown, opts: ConsoleRigOptions = {}): Promise<ConsoleRig> {
  const stops: (() => Promise<unknown>)[] = [];
  // The browser's event stream must be gone before the agent's API closes, or the close
  // waits on it: tap runs the last teardown registered first, so this rig's own stops
  // (the front server, the browser) run before startRig's.
  const dir = await tempDir(t, "cardterm-console-");
  const previewDir = `${dir}/receipts`;
  const { agent, hq } = await startRig(t, {
    agent: {
      dataDir: `${dir}/agent`,
      apiToken: API_TOKEN,
      operators: DEMO_OPERATORS.map((o) => (o.id === CASHIER.id ? { ...o, cardUid: CASHIER_CARD } : o)),
      printer: opts.printer ?? { type: "preview", previewDir, paperWidth: 80 },
      idleTimeoutMs: opts.idleTimeoutMs,
      tapTimeoutMs: opts.tapTimeoutMs,
      deps: {
        printRetry: { baseMs: 50, capMs: 200 },
        // A receipt not printed within this is reported queued, with no preview to show: on a
        // loaded 2-CPU box (two browsers, PGlite) rendering can take longer than the 1 s default.
        receiptWaitMs: 5_000,
      },
    },
  });
  t.teardown(async () => {
    for (const stop of stops.reverse()) await stop().catch(() => {});
  });

  const mounted = (await fetch(`${agent.url}/console/`)).status === 200;
  let url = agent.url;
  if (!mounted) {
    const front = consoleFront(agent.url, { apiToken: API_TOKEN, language: "zh-CN", previewDir });
    url = await front.listen({ host: "127.0.0.1", port: 0 });
    stops.push(() => front.close());
  }
  const browser = await launchBrowser(t);
  stops.push(() => browser.close());
  return { url, agentUrl: agent.url, mounted, browser, agent, hq, previewDir };
}

/**
 * Tap `uid` on the agent's simulated reader until `done()` holds: a tap with nobody
 * waiting is dropped by the agent (agent/sale/tap-source.ts), and the test cannot see
 * when the console's request has reached the agent, so it taps again every 300 ms.
 */
export async function tapUntil(rig: ConsoleRig, uid: string, done: () => Promise<boolean>): Promise<void> {
  const reader = rig.agent.readers.find((r): r is SimulatedReader => r instanceof SimulatedReader);
  if (!reader) throw new Error("the rig's agent has no simulated reader");
  await waitFor(`a tap of ${uid} to be taken`, async () => {
    if (await done()) return true;
    reader.tap(uid);
    await new Promise((r) => setTimeout(r, 300));
    return done();
  });
}

const PASSED_HEADERS = ["authorization", "x-cardterm-session", "content-type", "accept"];
const RETURNED_HEADERS = ["content-type", "content-disposition", "cache-control"];

/** The console's routes plus a pass-through of /api/ to the agent. */
function consoleFront(agentUrl: string, opts: Parameters<typeof registerConsoleRoutes>[1]): FastifyInstance {
  // Force-close on shutdown: the console's event stream never ends by itself.
  const app = Fastify({ logger: false, forceCloseConnections: true });
  registerConsoleRoutes(app, opts);
  app.all("/api/*", async (req, reply) => {
    const headers: Record<string, string> = {};
    for (const name of PASSED_HEADERS) {
      const v = req.headers[name];
      if (typeof v === "string") headers[name] = v;
    }
    const abort = new AbortController();
    // The browser went away (the event stream on leaving the page): stop the upstream request too.
    reply.raw.on("close", () => abort.abort());
    const hasBody = req.body !== undefined && req.body !== null;
    const res = await fetch(`${agentUrl}${req.url}`, {
      method: req.method,
      headers,
      body: hasBody ? JSON.stringify(req.body) : undefined,
      signal: abort.signal,
    });
    reply.status(res.status);
    for (const name of RETURNED_HEADERS) {
      const v = res.headers.get(name);
      if (v) reply.header(name, v);
    }
    if (!res.body) return reply.send();
    return reply.send(Readable.fromWeb(res.body as import("node:stream/web").ReadableStream));
  });
  return app;
}
