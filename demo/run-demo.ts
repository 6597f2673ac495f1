/**
 * `npm start`: the whole system on one box with nothing installed — the embedded MQTT
 * broker (aedes), the central server on PGlite with demo members, cards and a count
 * package, serving head office's HTTP API on 127.0.0.1, and the agent with a simulated
 * reader and a preview printer (receipts as PNG/SVG/ESC-POS files), configured by
 * config/examples/demo.yaml — the file README and `cardterm doctor` point at. State
 * lives under var/demo (or `dir`) and survives restarts of the demo.
 */

import { randomBytes } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { startAgent } from "../agent/agent.js";
import { startEmbeddedBroker } from "../agent/demo/embedded-broker.js";
import { createLogger } from "../agent/logger.js";
import type { AgentConfig } from "../config/agent-config.js";
import { loadConfig } from "../config/load-config.js";
import { openDb } from "../server/db/open-db.js";
import { startHqServer } from "../server/hq-server.js";
import { seedDemoPackage } from "./demo-package.js";
import { demoWelcome } from "./demo-welcome.js";

export interface DemoOptions {
  /** Replace the config's api.port / api.host. */
  apiPort?: number | undefined;
  apiHost?: string | undefined;
  /** The embedded broker's port (default: the port of the config's server.mqttUrl). */
  mqttPort?: number | undefined;
  /** Head office's HTTP API port (default 7071; 0 = any free one). */
  hqPort?: number | undefined;
  /** Keep the demo's state here instead of the config's var/demo. */
  dir?: string | undefined;
  /** The config file (default config/examples/demo.yaml of this installation). */
  configFile?: string | undefined;
}

export interface RunningDemo {
  /** The agent's API and console origin. */
  url: string;
  /** Head office's HTTP API origin. */
  hqUrl: string;
  close(): Promise<void>;
}

export async function runDemo(opts: DemoOptions = {}): Promise<RunningDemo> {
  const file = opts.configFile ?? demoConfigFile();
  // The key file is the one secret the demo's config names: it may not exist yet (the demo
  // makes it below), so the loader is handed a stand-in and told where the file is.
  let keyFile = "";
  const loaded = await loadConfig(file, {
    readFile: (p) => {
      if (resolve(p) === resolve(file)) return readFileSync(p);
      keyFile = resolve(p);
      return "00".repeat(32);
    },
  });
  // The config's own state directory (var/demo: its dataDir's parent), or the one asked for.
  const ownDir = dirname(loaded.terminal.dataDir);
  const dir = opts.dir === undefined ? ownDir : resolve(opts.dir);
  await mkdir(dir, { recursive: true });
  // The demo keeps its terminal readable: warnings and errors only, unless asked for more.
  const log = createLogger({ name: "cardterm-demo", level: process.env.CARDTERM_LOG_LEVEL ?? "warn" });
  const key = await demoKey(dir === ownDir && keyFile ? keyFile : join(dir, "terminal.key"));
  const config = demoConfig(loaded, { dir, ownDir, key, opts });

  await createLedger(join(dir, "hq"));
  const broker = await startEmbeddedBroker(opts.mqttPort ?? Number(new URL(config.server.mqttUrl).port || 1883));
  const hq = await startHqServer({
    mqttUrl: broker.url,
    dataDir: join(dir, "hq"),
    seedDemo: { terminals: [{ id: config.terminal.id, keyHex: key.toString("hex") }] },
    // Head office's API beside the till's: the `cardterm-hq` commands cannot open the demo's
    // PGlite ledger while the demo holds it (one process at a time), the API can.
    http: { host: "127.0.0.1", port: opts.hqPort ?? 7071 },
    log: log.child({ side: "hq" }), // "side", not "c": each side names its parts with "c" itself
  });
  await seedDemoPackage(hq.db);
  const agent = await startAgent(
    { ...config, server: { ...config.server, mqttUrl: broker.url } },
    {
      log: log.child({ side: "agent" }),
    },
  );
  const hqUrl = hq.http?.url ?? "";
  console.log(demoWelcome({ agentUrl: agent.url, hqUrl, brokerUrl: broker.url, dir, file }));
  return {
    url: agent.url,
    hqUrl,
    async close() {
      await agent.close();
      await hq.close();
      await broker.close();
    },
  };
}

/** The loaded file with what the command line asked for instead: state directory, ports. */
function demoConfig(
  loaded: AgentConfig,
  o: { dir: string; ownDir: string; key: Buffer; opts: DemoOptions },
): AgentConfig {
  const under = `${o.ownDir}/`;
  const moved = (p: string) => (o.dir === o.ownDir || !p.startsWith(under) ? p : join(o.dir, p.slice(under.length)));
  const printer =
    loaded.printer.type === "preview"
      ? { ...loaded.printer, previewDir: moved(loaded.printer.previewDir) }
      : loaded.printer;
  return {
    ...loaded,
    terminal: { ...loaded.terminal, key: o.key, dataDir: moved(loaded.terminal.dataDir) },
    api: { ...loaded.api, port: o.opts.apiPort ?? loaded.api.port, host: o.opts.apiHost ?? loaded.api.host },
    printer,
  };
}

/** config/examples/demo.yaml of this installation: found from here up (source tree, dist/, the package). */
export function demoConfigFile(): string {
  let at = import.meta.dirname;
  for (;;) {
    const candidate = join(at, "config/examples/demo.yaml");
    if (existsSync(candidate)) return candidate;
    const up = dirname(at);
    if (up === at) throw new Error("config/examples/demo.yaml is missing from this installation");
    at = up;
  }
}

/**
 * A new demo ledger is created (PGlite's initdb, the migrations) and closed before the
 * server opens it: the instance that ran initdb keeps ~400 MB of WASM heap reachable, and
 * the demo's first start stayed near 700 MB where a restart runs at ~260 (bench/footprint.ts).
 */
async function createLedger(dataDir: string): Promise<void> {
  if (existsSync(join(dataDir, "PG_VERSION"))) return;
  const db = await openDb({ dataDir });
  await db.close();
}

/** The demo terminal's MAC key: made once, kept with the demo's state. */
async function demoKey(path: string): Promise<Buffer> {
  try {
    return Buffer.from((await readFile(path, "utf8")).trim(), "hex");
  } catch {
    const key = randomBytes(32);
    await writeFile(path, `${key.toString("hex")}\n`, { mode: 0o600 });
    return key;
  }
}
