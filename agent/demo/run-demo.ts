/**
 * `npm start`: the whole system on one box with nothing installed — the embedded MQTT
 * broker (aedes), the central server on PGlite with demo members and cards, and the
 * agent with a simulated reader and a preview printer (receipts as PNG/SVG/ESC-POS
 * files). State lives under `dir` and survives restarts of the demo.
 */

import { randomBytes } from "node:crypto";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { resolve } from "node:path";
import type { AgentConfig } from "../../config/agent-config.js";
import { startHqServer } from "../../server/hq-server.js";
import { startAgent } from "../agent.js";
import { createLogger } from "../logger.js";
import { DEMO_CARDS } from "./demo-cards.js";
import { DEMO_OPERATORS } from "./demo-operators.js";
import { startEmbeddedBroker } from "./embedded-broker.js";

export interface DemoOptions {
  apiPort: number;
  apiHost?: string;
  mqttPort: number;
  dir: string;
}

export async function runDemo(opts: DemoOptions): Promise<{ close(): Promise<void> }> {
  const dir = resolve(opts.dir);
  await mkdir(dir, { recursive: true });
  // The demo keeps its terminal readable: warnings and errors only, unless asked for more.
  const log = createLogger({ name: "cardterm-demo", level: process.env.CARDTERM_LOG_LEVEL ?? "warn" });
  const key = await demoKey(`${dir}/terminal.key`);

  const broker = await startEmbeddedBroker(opts.mqttPort);
  const hq = await startHqServer({
    mqttUrl: broker.url,
    dataDir: `${dir}/hq`,
    seedDemo: { terminals: [{ id: "T001", keyHex: key.toString("hex") }] },
    log: log.child({ side: "hq" }), // "side", not "c": each side names its parts with "c" itself
  });
  const config = demoConfig({
    dir,
    key,
    mqttUrl: broker.url,
    apiPort: opts.apiPort,
    apiHost: opts.apiHost ?? "127.0.0.1",
  });
  const agent = await startAgent(config, { log: log.child({ side: "agent" }) });

  const card = DEMO_CARDS[0]!;
  console.log(`
cardterm demo is running.
  web console    ${agent.url}/console/   (cashier 001 / PIN 1234, supervisor 900 / PIN 9999)
  local API      ${agent.url}   (OpenAPI: ${agent.url}/api/v1/openapi.json)
  MQTT broker    ${broker.url} (embedded)
  central server PGlite in ${dir}/hq, demo members seeded
  receipts       ${dir}/receipts (PNG, SVG and ESC/POS bytes)

Log in as the demo cashier (001, PIN 1234; the supervisor is 900, PIN 9999), then make a
first sale — ¥25.00 on ${card.memberName}'s ${card.level} card:
  S=$(curl -s -X POST ${agent.url}/api/v1/sessions -H 'content-type: application/json' -d '{"operatorId": "001", "pin": "1234"}' | sed -E 's/.*"session":"([^"]+)".*/\\1/')
  curl -s -X POST ${agent.url}/api/v1/sales -H 'content-type: application/json' -H "x-cardterm-session: $S" -d '{"amount": 2500, "cardUid": "${card.uid}"}'

Other demo cards: ${DEMO_CARDS.slice(1)
    .map((c) => `${c.uid} (${c.memberName}, ${c.level})`)
    .join(", ")}
Status:  curl -s ${agent.url}/api/v1/status
Stop with Ctrl-C.
`);
  return {
    async close() {
      await agent.close();
      await hq.close();
      await broker.close();
    },
  };
}

function demoConfig(o: { dir: string; key: Buffer; mqttUrl: string; apiPort: number; apiHost: string }): AgentConfig {
  return {
    source: "<demo defaults>",
    version: 1,
    terminal: {
      id: "T001",
      storeId: "S001",
      storeName: "卡易通示范门店",
      key: o.key,
      dataDir: `${o.dir}/agent`,
      language: "zh-CN",
      timeZone: "Asia/Shanghai",
      operatorId: "001",
    },
    api: { host: o.apiHost, port: o.apiPort, token: null, idleTimeoutMs: 15 * 60_000 },
    operators: DEMO_OPERATORS,
    readers: [{ id: "sim", type: "simulated" }],
    printer: { type: "preview", previewDir: `${o.dir}/receipts`, paperWidth: 80 },
    server: { mqttUrl: o.mqttUrl, authTimeoutMs: 2000, uploadBatchSize: 100 },
    offline: {
      enabled: true,
      perTransactionMinor: 30_000,
      perCardMinor: 50_000,
      perCardCount: 5,
      terminalMinor: 300_000,
      terminalCount: 300,
      maxOfflineAgeMs: 24 * 3600_000,
      allowUnknownCards: false,
    },
    tapTimeoutMs: 30_000,
    archiveDays: 90,
  };
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
