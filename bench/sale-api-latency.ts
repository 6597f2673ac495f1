/**
 * Sale request → response through the local HTTP API: online at 50 in flight and one at a time,
 * with the till's intent step (docs/reconciliation.md: a durable intent before the online ask,
 * so no debit without the till's record) off and on in the same run; offline at 50 and one at a
 * time; beside floors measured in the same run.
 *
 *   npx tsx bench/sale-api-latency.ts [requests-per-path] [concurrency] [--postgres]   # default 2000 50
 *
 * The rig is the real thing on loopback: the embedded aedes broker and the central server
 * on PGlite (in memory) — the demo's set-up — or, with --postgres, Mosquitto and
 * PostgreSQL 15 (a chain's set-up), the server authorising every online sale; and two
 * agents (`startAgent`) with the simulated reader, so each request carries a card uid
 * (`cardUid`): terminal T002 with the intent step switched off (the agent's internal
 * option, never in a technician's YAML: it exists for this comparison) and T001 as
 * shipped. Their online runs alternate in rounds (off, on, off, on…) so that drift in
 * the machine's load falls on both alike. 50 clients each loop POST /api/v1/sales on
 * their own card over a kept-alive connection, so 50 requests are always in flight;
 * every response is checked to be an approval of the expected mode.
 *
 * Then the broker is stopped and the same load runs offline on T001 against the cached
 * cards (no intent offline: nothing is asked).
 *
 * Floors, same run:
 *   - HTTP floor: GET /healthz on the same agent — Fastify and loopback, no work.
 *   - append+fdatasync floor: one writer, a 200-byte append + fdatasync, one at a time —
 *     what one more durable record costs on this disk (the intent is one).
 *   - commit-queue floor: 50 writers through one FIFO lock, each a 500-byte append +
 *     fdatasync on one file — what 50 concurrent durable commits cost when each must be
 *     on disk before its answer (the journal serialises them:
 *     docs/architecture.md#a-sale-from-tap-to-receipt).
 */
import { randomBytes } from "node:crypto";
import { mkdtemp, open, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type AgentDeps, type RunningAgent, startAgent } from "../agent/agent.js";
import { startEmbeddedBroker } from "../agent/demo/embedded-broker.js";
import { silentLogger } from "../agent/logger.js";
import { SerialLock } from "../lib/serial-lock.js";
import { issueCard } from "../server/backoffice/card-issue.js";
import { topUpAtHq } from "../server/backoffice/top-up.js";
import { openDb } from "../server/db/open-db.js";
import { startHqServer } from "../server/hq-server.js";
import { testAgentConfig } from "../test/helpers/agent-config.js";
import { freePort } from "../test/helpers/free-port.js";
import { startMosquitto } from "../test/helpers/mosquitto.js";
import { startPostgres } from "../test/helpers/postgres.js";
import { fmt, nowMs, printTable, type Summary, summarize } from "./stats.js";

const args = process.argv.slice(2).filter((a) => !a.startsWith("--"));
const POSTGRES = process.argv.includes("--postgres");
const REQUESTS = Number(args[0] ?? 2000);
const CONCURRENCY = Number(args[1] ?? 50);
const WARMUP = 200;
/** The same sale one at a time: what one request costs with no queue. */
const SINGLE = 300;
/** Rounds each online measurement is split into, alternating intent off and on. */
const ROUNDS = 4;
const HUGE = 1_000_000_000;

type Measured = Summary & { perSecond: number };

/** `workers` loops sharing `total` calls; each call's latency is one sample. */
async function concurrently(total: number, workers: number, call: (worker: number) => Promise<void>) {
  const samples: number[] = [];
  let next = 0;
  const t0 = nowMs();
  await Promise.all(
    Array.from({ length: workers }, async (_, w) => {
      while (next < total) {
        next += 1;
        const s = nowMs();
        await call(w);
        samples.push(nowMs() - s);
      }
    }),
  );
  return { samples, seconds: (nowMs() - t0) / 1000 };
}

const measured = (runs: { samples: number[]; seconds: number }[]): Measured => {
  const samples = runs.flatMap((r) => r.samples);
  return { ...summarize(samples), perSecond: samples.length / runs.reduce((s, r) => s + r.seconds, 0) };
};

/** 50 writers through one FIFO lock, each append + fdatasync: the journal's commit queue. */
async function commitQueueFloor(dir: string, total: number, workers: number): Promise<Measured> {
  return appendFloor(join(dir, "queue.log"), 500, total, workers);
}

async function appendFloor(path: string, bytes: number, total: number, workers: number): Promise<Measured> {
  const fh = await open(path, "w+");
  const lock = new SerialLock();
  const line = Buffer.alloc(bytes, 97);
  let at = 0;
  try {
    const run = await concurrently(total, workers, () =>
      lock.run(async () => {
        await fh.write(line, 0, line.length, at);
        at += line.length;
        await fh.datasync();
      }),
    );
    return measured([run]);
  } finally {
    await fh.close();
  }
}

const uidOf = (i: number) => `BE${String(i).padStart(6, "0")}`;

/** The agent's internal switch for the intent step (docs/reconciliation.md): off only to measure it. */
const intentOff: AgentDeps = { sale: { intentLog: false } };

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), "cardterm-bench-"));
  const pg = POSTGRES ? await startPostgres() : undefined;
  const db = pg ? await openDb({ databaseUrl: pg.url }) : undefined;
  const broker = POSTGRES ? await startMosquitto({ logTypes: ["error"] }) : await startEmbeddedBroker(await freePort());
  const keys = { T001: randomBytes(32), T002: randomBytes(32) };
  const hq = await startHqServer({
    mqttUrl: broker.url,
    db,
    seedDemo: { terminals: Object.entries(keys).map(([id, key]) => ({ id, keyHex: key.toString("hex") })) },
    reconnectPeriodMs: 200,
    log: silentLogger(),
  });
  const actor = { id: "bench", via: "cli" as const };
  for (let i = 0; i < CONCURRENCY; i++) {
    const cardId = `ic:${uidOf(i)}`;
    await issueCard(hq.db, { cardId, cardType: "gold", member: { name: `会员${i}` } }, actor);
    await topUpAtHq(hq.db, { cardId, amount: 100_000_000 }, actor);
  }
  const till = (terminalId: keyof typeof keys, deps: AgentDeps) =>
    startAgent(
      testAgentConfig({
        dataDir: join(dir, terminalId),
        mqttUrl: broker.url,
        key: keys[terminalId],
        terminalId,
        authTimeoutMs: 3000,
        offline: {
          perTransactionMinor: HUGE,
          perCardMinor: HUGE,
          perCardCount: HUGE,
          terminalMinor: HUGE,
          terminalCount: HUGE,
        },
      }),
      { log: silentLogger(), backoff: { baseMs: 100, capMs: 400 }, ...deps },
    );
  const before = await till("T002", intentOff);
  const after = await till("T001", {});
  try {
    const connected = async (agent: RunningAgent, want: boolean) => {
      for (let i = 0; i < 100; i++) {
        const s = (await (await fetch(`${agent.url}/api/v1/status`)).json()) as { broker: { connected: boolean } };
        if (s.broker.connected === want) return;
        await sleep(100);
      }
    };
    await connected(before, true);
    await connected(after, true);

    const sale = (agent: RunningAgent, mode: "online" | "offline") => async (w: number) => {
      const res = await fetch(`${agent.url}/api/v1/sales`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ amount: 100, cardUid: uidOf(w) }),
      });
      const body = (await res.json()) as { approved?: boolean; mode?: string; code?: string };
      if (!body.approved || body.mode !== mode)
        throw new Error(`expected an ${mode} approval: ${JSON.stringify(body)}`);
    };
    const healthz = async () => {
      await (await fetch(`${after.url}/healthz`)).arrayBuffer();
    };

    await concurrently(WARMUP, CONCURRENCY, healthz);
    const http = measured([await concurrently(REQUESTS, CONCURRENCY, healthz)]);
    const fsyncFloor = await appendFloor(join(dir, "one.log"), 200, SINGLE * 2, 1);
    for (const agent of [before, after]) await concurrently(WARMUP, CONCURRENCY, sale(agent, "online"));
    type Run = { samples: number[]; seconds: number };
    const runs = { off50: [] as Run[], on50: [] as Run[], off1: [] as Run[], on1: [] as Run[] };
    for (let r = 0; r < ROUNDS; r++) {
      runs.off50.push(await concurrently(REQUESTS / ROUNDS, CONCURRENCY, sale(before, "online")));
      runs.on50.push(await concurrently(REQUESTS / ROUNDS, CONCURRENCY, sale(after, "online")));
      runs.off1.push(await concurrently(SINGLE / ROUNDS, 1, sale(before, "online")));
      runs.on1.push(await concurrently(SINGLE / ROUNDS, 1, sale(after, "online")));
    }
    const [off50, on50, off1, on1] = [
      measured(runs.off50),
      measured(runs.on50),
      measured(runs.off1),
      measured(runs.on1),
    ];

    await broker.close(); // the link to the server is down: the same load, decided offline
    await connected(after, false);
    await concurrently(WARMUP, CONCURRENCY, sale(after, "offline"));
    const offline = measured([await concurrently(REQUESTS, CONCURRENCY, sale(after, "offline"))]);
    const offlineOne = measured([await concurrently(SINGLE, 1, sale(after, "offline"))]);
    const queueFloor = await commitQueueFloor(dir, REQUESTS, CONCURRENCY);

    const row = (measure: string, s: Measured) => ({
      measure,
      median: fmt(s.median),
      p99: fmt(s.p99),
      max: fmt(s.max),
      "per s": Math.round(s.perSecond),
    });
    const added = (measure: string, off: Measured, on: Measured) => ({
      measure,
      median: fmt(on.median - off.median),
      p99: fmt(on.p99 - off.p99),
      max: "",
      "per s": "",
    });
    console.log(
      `sale request → response, ${REQUESTS} requests per path, ${CONCURRENCY} in flight, ` +
        `${POSTGRES ? "Mosquitto + PostgreSQL 15" : "aedes + PGlite"} (${new Date().toISOString()})`,
    );
    printTable([
      row("HTTP floor (GET /healthz, 50 in flight)", http),
      row("append+fdatasync floor (200 B, one at a time)", fsyncFloor),
      row("commit-queue floor (append+fdatasync, FIFO, 50)", queueFloor),
      row("50 in flight: online, intent off", off50),
      row("50 in flight: online, intent on", on50),
      added("50 in flight: added by the intent", off50, on50),
      row("one in flight: online, intent off", off1),
      row("one in flight: online, intent on", on1),
      added("one in flight: added by the intent", off1, on1),
      row("50 in flight: offline", offline),
      row("one in flight: offline", offlineOne),
    ]);
    const perSale = on1.median - off1.median;
    console.log(
      `added median one at a time ${fmt(perSale)} ms vs one append+fdatasync ${fmt(fsyncFloor.median)} ms: ` +
        (perSale < fsyncFloor.median ? "under the floor" : "OVER the floor"),
    );
  } finally {
    await before.close();
    await after.close();
    await hq.close();
    await db?.close();
    await broker.close().catch(() => undefined);
    await pg?.close();
    await rm(dir, { recursive: true, force: true });
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

await main();
