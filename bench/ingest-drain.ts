/**
 * Draining a backlog: 10,000 journal entries queued on one terminal go to
 * the PostgreSQL ledger through the agent's own uploader and MQTT link, a real Mosquitto
 * and the real server — wall time and entries/s, beside the floors measured in the same
 * run on the same broker and database: raw Mosquitto QoS 1 throughput and a raw batched
 * PostgreSQL insert (one unnest() statement per 100 rows, each its own commit).
 *
 *   npx tsx bench/ingest-drain.ts [entries]
 *
 * The terminal runs in a worker thread (bench/ingest-terminal.ts) with its journal held
 * in memory (a stand-in with TerminalLedger's pending / acknowledge / summary), so what
 * is timed is the uploader, the link, the broker, the server and the ledger — not the
 * box's disk. The `whole agent` rows time the real agent, journal writes included, on a
 * smaller backlog (its journal rewrites every pending entry on each write, so 10,000
 * entries cannot even be queued in reasonable time: see bench/README.md).
 */
import { randomBytes, randomUUID } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startAgent } from "../agent/agent.js";
import { silentLogger } from "../agent/logger.js";
import { registerTerminal } from "../server/ledger/seed-demo.js";
import { testAgentConfig } from "../test/helpers/agent-config.js";
import { startMqttProxy } from "../test/helpers/mqtt-proxy.js";
import { waitFor } from "../test/helpers/wait-for.js";
import type { TestTerminal } from "../test/server/test-terminal.js";
import { mosquittoFloor, postgresFloor, type Rig, runTerminals, startRig } from "./ingest-rig.js";
import { fmt, nowMs, printTable, summarize } from "./stats.js";

const ENTRIES = Number(process.argv[2] ?? 10_000);
const AGENT_ENTRIES = 1_000;
const REPEAT = 3;

async function drainCase(rig: Rig, term: TestTerminal, batchSize: number, window: number) {
  const job = {
    url: rig.broker.url,
    terminalId: term.id,
    keyHex: term.keyHex,
    cards: rig.cards,
    entries: ENTRIES,
    batchSize,
    window,
  };
  const { seconds, results } = await runTerminals([job], 1);
  const state = await rig.hq.ledger.terminalState(term.id);
  if (state?.ackedSeq !== ENTRIES) throw new Error(`server acked ${state?.ackedSeq}, expected ${ENTRIES}`);
  return { seconds, perSecond: ENTRIES / seconds, ack: summarize(results[0]!.ackLatencies) };
}

/** The whole agent: AGENT_ENTRIES committed while its broker link is refused, then drained. */
async function agentCase(rig: Rig, batchSize: number) {
  const key = randomBytes(32);
  const id = `BA${batchSize}`;
  await registerTerminal(rig.db, { id, keyHex: key.toString("hex") });
  const proxy = await startMqttProxy({ port: rig.broker.port }, { refuse: true });
  const dataDir = await mkdtemp(join(tmpdir(), "cardterm-bench-agent-"));
  const config = testAgentConfig({ dataDir, mqttUrl: proxy.url, key, terminalId: id });
  config.server.uploadBatchSize = batchSize;
  const agent = await startAgent(config, { log: silentLogger(), backoff: { baseMs: 20, capMs: 50 } });
  for (let i = 0; i < AGENT_ENTRIES; i++) {
    await agent.ledger.commit({
      txnId: randomUUID(),
      kind: "sale",
      mode: "offline",
      at: new Date().toISOString(),
      businessDay: "2026-11-22",
      operatorId: "001",
      cardId: rig.cards[i % rig.cards.length]!,
      gross: 100,
      discount: 0,
      net: 100,
      bonus: 0,
      pointsEarned: 0,
      balanceAfter: null,
    });
  }
  const t0 = nowMs();
  proxy.faults = {};
  await waitFor("the agent's backlog to drain", () => agent.ledger.pending().length === 0, 300_000, 5);
  const seconds = (nowMs() - t0) / 1000;
  await agent.close();
  await proxy.close();
  await rm(dataDir, { recursive: true, force: true });
  return { seconds, perSecond: AGENT_ENTRIES / seconds };
}

async function main(): Promise<void> {
  const rig = await startRig({ terminals: 16, members: 2_000 });
  try {
    const mqttSmall = await mosquittoFloor(rig.broker.url, 10_000, 300);
    const mqttBatch = await mosquittoFloor(rig.broker.url, 200, 100 * 560, 10);
    const pgFloor = await postgresFloor(rig.db, 10_000, 100);
    console.log(`floors: Mosquitto QoS 1 300 B ${Math.round(mqttSmall)} msg/s;`);
    console.log(
      `        Mosquitto QoS 1 56 KB (a 100-entry batch) ${Math.round(mqttBatch)} msg/s = ${Math.round(mqttBatch * 100)} entries/s;`,
    );
    console.log(`        PostgreSQL unnest() insert, 100 rows per commit: ${Math.round(pgFloor)} rows/s`);
    const rows: Record<string, string | number>[] = [];
    const cases: [number, number][] = [
      [100, 1],
      [100, 4],
      [100, 8],
      [500, 4],
      [1000, 2],
    ];
    let next = 0;
    for (const [batch, window] of cases) {
      // Three runs each, on fresh terminals; the run with the median wall time is shown.
      const runs = [];
      for (let k = 0; k < REPEAT; k++) runs.push(await drainCase(rig, rig.terminals[next++]!, batch, window));
      runs.sort((a, b) => a.seconds - b.seconds);
      const r = runs[Math.floor(runs.length / 2)]!;
      rows.push({
        case: `uploader, batch ${batch}, window ${window}`,
        entries: ENTRIES,
        "wall s": r.seconds.toFixed(2),
        "entries/s": Math.round(r.perSecond),
        "range entries/s": `${Math.round(runs.at(-1)!.perSecond)}–${Math.round(runs[0]!.perSecond)}`,
        "vs PG floor": (r.perSecond / pgFloor).toFixed(2),
        "ack median ms": fmt(r.ack.median),
        "ack p99 ms": fmt(r.ack.p99),
      });
    }
    for (const batch of [100, 500]) {
      const r = await agentCase(rig, batch);
      rows.push({
        case: `whole agent, batch ${batch}, window 8 (default)`,
        entries: AGENT_ENTRIES,
        "wall s": r.seconds.toFixed(2),
        "entries/s": Math.round(r.perSecond),
        "range entries/s": "",
        "vs PG floor": (r.perSecond / pgFloor).toFixed(2),
        "ack median ms": "",
        "ack p99 ms": "",
      });
    }
    printTable(rows);
    const discrepancies = await rig.hq.ledger.reconcile();
    console.log(`ledger reconciles: ${discrepancies.length === 0 ? "yes" : `NO (${discrepancies.length} accounts)`}`);
  } finally {
    await rig.close();
  }
}

await main();
