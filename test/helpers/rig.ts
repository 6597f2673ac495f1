/**
 * One rig for the end-to-end tests: a broker, the central server and a till agent wired
 * together on loopback, each part chosen by an option, all stopped at the end of the test
 * in the reverse order of their start (processes by pid: Mosquitto, PostgreSQL).
 *
 *   const rig = await startRig(t);                          // aedes + PGlite + one agent (T001)
 *   const rig = await startRig(t, { broker: "mosquitto", agent: { offline: { … } } });
 *   const rig = await startRig(t, { agent: "none" });       // broker + server; the test starts its till
 *
 * The server is seeded with the demo chain and one key per terminal (`rig.keys`); the
 * agent gets quick retries and waits until it holds the server's policy. A test asks for
 * what it needs and builds nothing by hand; what it checks stays its own.
 */
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type AgentDeps, type RunningAgent, startAgent } from "../../agent/agent.js";
import { startEmbeddedBroker } from "../../agent/demo/embedded-broker.js";
import { silentLogger } from "../../agent/logger.js";
import type { AgentConfig } from "../../config/agent-config.js";
import { SimulatedReader } from "../../drivers/readers/simulated-reader.js";
import { type HqServer, type HqServerOptions, startHqServer } from "../../server/hq-server.js";
import { testAgentConfig } from "./agent-config.js";
import { freePort } from "./free-port.js";
import { type MosquittoOptions, startMosquitto } from "./mosquitto.js";
import { type PostgresServer, postgresUnavailable, startPostgres } from "./postgres.js";
import { type TillApi, tillApi, tillReady } from "./till-api.js";
import { waitFor } from "./wait-for.js";

type Teardown = { teardown(fn: () => unknown): void };
type ConfigOptions = Parameters<typeof testAgentConfig>[0];

/** A broker that can go away and come back on the same port (the outage tests). */
export interface RigBroker {
  url: string;
  port: number;
  stop(): Promise<void>;
  start(): Promise<void>;
}

export interface RigAgentOptions extends Partial<Omit<ConfigOptions, "mqttUrl" | "key">> {
  /** Another broker URL than the rig's (a fault proxy in front of it). */
  mqttUrl?: string;
  /** The agent's session idle time-out (api.idleTimeoutMs); default testAgentConfig's 15 min. */
  idleTimeoutMs?: number;
  /** How long the agent waits for a tap; default testAgentConfig's 5 s. */
  tapTimeoutMs?: number;
  /** The preview printer, writing each receipt into `previewDir` under the agent's data dir. */
  preview?: boolean;
  /** Entries per upload batch (server.uploadBatchSize). */
  uploadBatchSize?: number;
  /** Over the rig's quick defaults (silent log, backoff 100–400 ms, ack time-out 2 s). */
  deps?: AgentDeps;
  /** What to wait for before the rig returns: the policy (default), the broker link, nothing. */
  ready?: "policy" | "connected" | "none";
}

export interface RigOptions {
  /** Default "aedes" (embedded, in process); "mosquitto" is the real broker, stopped by pid. */
  broker?: "aedes" | "mosquitto" | "none";
  mosquitto?: MosquittoOptions;
  /** Default "pglite" (in memory); "postgres" a real PostgreSQL 15, skipped back to PGlite where it cannot run. */
  server?: "pglite" | "postgres" | "none";
  /** More server options (reconnectPeriodMs, http, holdTtlMs…); `seedDemo` replaces the rig's seed. */
  hq?: Partial<Omit<HqServerOptions, "mqttUrl" | "databaseUrl">>;
  /** The terminals the server knows, each with a fresh key in `rig.keys`; default ["T001"]. */
  terminals?: string[];
  /** The agent for the first terminal; "none" starts none (the test starts its own). */
  agent?: RigAgentOptions | "none";
}

export interface RigAgent {
  agent: RunningAgent;
  dataDir: string;
  /** Where the preview printer writes (`preview: true`): `${dataDir}/receipts`. */
  previewDir: string;
  /** The agent's API, with the token the agent was given. */
  api: TillApi;
  /** The agent's simulated reader: `reader.tap(uid)` is a card on it. */
  readonly reader: SimulatedReader;
}

export interface Rig extends RigAgent {
  readonly broker: RigBroker;
  readonly hq: HqServer;
  /** The real PostgreSQL under the server, when `server: "postgres"` could run. */
  pg: PostgresServer | undefined;
  /** Each terminal's key, as the server was seeded with it. */
  keys: Record<string, Buffer>;
  /** The first terminal's key. */
  key: Buffer;
  /** Starts another agent against the rig (another terminal, or the same data dir again after a close). */
  startAgent(opts?: RigAgentOptions): Promise<RigAgent>;
}

export async function startRig(t: Teardown, opts: RigOptions = {}): Promise<Rig> {
  const stops: (() => Promise<unknown>)[] = [];
  // One teardown, in reverse order of start: the agent closes while its broker is still
  // there, the server before its database.
  t.teardown(async () => {
    for (const stop of stops.reverse()) await stop().catch(() => {});
  });
  // tap runs teardowns last-registered first: a temp dir of tempDir(t) would go before the
  // agent writing into it has closed, so the rig removes its own dirs in its order.
  const ownDir = async () => {
    const dir = await mkdtemp(join(tmpdir(), "cardterm-"));
    stops.push(() => rm(dir, { recursive: true, force: true }));
    return dir;
  };
  const terminals = opts.terminals ?? ["T001"];
  const keys = Object.fromEntries(terminals.map((id) => [id, randomBytes(32)]));
  const broker = opts.broker === "none" ? undefined : await startBroker(opts, stops);
  const pg = opts.server === "postgres" && !postgresUnavailable() ? await startPostgres({ durable: false }) : undefined;
  if (pg) stops.push(() => pg.close());
  const hq =
    opts.server === "none" || !broker
      ? undefined
      : await startHqServer({
          mqttUrl: broker.url,
          databaseUrl: pg?.url,
          seedDemo: { terminals: terminals.map((id) => ({ id, keyHex: keys[id]?.toString("hex") ?? "" })) },
          reconnectPeriodMs: 200,
          log: silentLogger(),
          ...opts.hq,
        });
  if (hq) stops.push(() => hq.close());

  const startRigAgent = async (a: RigAgentOptions = {}): Promise<RigAgent> => {
    const terminalId = a.terminalId ?? terminals[0] ?? "T001";
    const mqttUrl = a.mqttUrl ?? broker?.url;
    if (!mqttUrl) throw new Error("the rig has no broker for the agent");
    const dataDir = a.dataDir ?? (await ownDir());
    const previewDir = `${dataDir}/receipts`;
    const printer = a.preview ? { type: "preview" as const, previewDir, paperWidth: 80 as const } : a.printer;
    const key = keys[terminalId] ?? randomBytes(32);
    const config = agentConfig({ ...a, terminalId, dataDir, mqttUrl, key, printer });
    const agent = await startAgent(config, {
      log: silentLogger(),
      backoff: { baseMs: 100, capMs: 400 },
      ackTimeoutMs: 2000,
      ...a.deps,
    });
    stops.push(() => agent.close());
    const api = tillApi(agent.url, config.api.token);
    if ((a.ready ?? "policy") === "policy") await waitFor("agent connected with the policy", () => tillReady(api));
    if (a.ready === "connected")
      await waitFor("agent connected to the broker", async () => (await api.status()).broker.connected);
    return { agent, dataDir, previewDir, api, reader: simulatedReader(agent) };
  };
  const first = opts.agent === "none" ? undefined : await startRigAgent(opts.agent);
  const key = keys[terminals[0] ?? "T001"] ?? randomBytes(32);
  return {
    get broker() {
      return present(broker, "broker");
    },
    get hq() {
      return present(hq, "server");
    },
    pg,
    keys,
    key,
    get agent() {
      return present(first, "agent").agent;
    },
    get dataDir() {
      return present(first, "agent").dataDir;
    },
    get previewDir() {
      return present(first, "agent").previewDir;
    },
    get api() {
      return present(first, "agent").api;
    },
    get reader() {
      return present(first, "agent").reader;
    },
    startAgent: startRigAgent,
  };
}

/** testAgentConfig with the rig's few extras laid over it. */
function agentConfig(a: RigAgentOptions & ConfigOptions): AgentConfig {
  const base = testAgentConfig(a);
  return {
    ...base,
    api: { ...base.api, idleTimeoutMs: a.idleTimeoutMs ?? base.api.idleTimeoutMs },
    tapTimeoutMs: a.tapTimeoutMs ?? base.tapTimeoutMs,
    server: { ...base.server, uploadBatchSize: a.uploadBatchSize ?? base.server.uploadBatchSize },
  };
}

async function startBroker(opts: RigOptions, stops: (() => Promise<unknown>)[]): Promise<RigBroker> {
  if (opts.broker === "mosquitto") {
    const mosquitto = await startMosquitto(opts.mosquitto);
    stops.push(() => mosquitto.close());
    return mosquitto;
  }
  // aedes keeps nothing across a restart: a new one on the same port, as the demo would.
  const port = await freePort();
  let aedes: Awaited<ReturnType<typeof startEmbeddedBroker>> | undefined = await startEmbeddedBroker(port);
  stops.push(() => aedes?.close() ?? Promise.resolve());
  return {
    url: aedes.url,
    port,
    async stop() {
      await aedes?.close();
      aedes = undefined;
    },
    async start() {
      aedes ??= await startEmbeddedBroker(port);
    },
  };
}

function simulatedReader(agent: RunningAgent): SimulatedReader {
  const reader = agent.readers.find((r): r is SimulatedReader => r instanceof SimulatedReader);
  // A getter's value: only a test that taps needs the simulated reader.
  return reader ?? new Proxy({} as SimulatedReader, { get: () => absent("simulated reader") });
}

function present<T>(part: T | undefined, name: string): T {
  return part ?? absent(name);
}

function absent(name: string): never {
  throw new Error(`the rig has no ${name}: ask startRig for one`);
}
