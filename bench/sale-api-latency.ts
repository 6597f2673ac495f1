/**
 * Sale request → response through the local HTTP API at 50 concurrent requests (issue 7),
 * on the online path and on the offline path, beside two floors measured in the same run.
 *
 *   npx tsx bench/sale-api-latency.ts [requests-per-path] [concurrency] [--postgres]   # default 2000 50
 *
 * The rig is the real thing on loopback: the embedded aedes broker and the central server
 * on PGlite (in memory) — the demo's set-up — or, with --postgres, Mosquitto and
 * PostgreSQL 15 (a chain's set-up), the server authorising every online sale; and the
 * agent (`startAgent`) with the
 * simulated reader, so each request carries a card uid (`cardUid`). 50 clients each loop
 * POST /api/v1/sales on their own card over a kept-alive connection, so 50 requests are
 * always in flight; every response is checked to be an approval.
 *
 * Online first (it also caches the 50 cards on the till), then the broker is stopped and
 * the same load runs offline against the cached cards.
 *
 * Floors, same run, same concurrency:
 *   - HTTP floor: GET /healthz on the same agent — Fastify and loopback, no work.
 *   - commit-queue floor: 50 writers through one FIFO lock, each a 500-byte append +
 *     fdatasync on one file — what 50 concurrent durable commits cost on this disk when
 *     each must be on disk before its answer (the journal serialises them, DESIGN §4).
 */
import { randomBytes } from "node:crypto";
import { mkdtemp, open, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startAgent } from "../agent/agent.js";
import { startEmbeddedBroker } from "../agent/demo/embedded-broker.js";
import { silentLogger } from "../agent/logger.js";
import { SerialLock } from "../agent/sale/serial-lock.js";
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
/** The same sale one at a time, for scale: what one request costs with no queue. */
const SINGLE = 300;
const HUGE = 1_000_000_000;

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
  return { ...summarize(samples), perSecond: total / ((nowMs() - t0) / 1000) };
}

async function commitQueueFloor(dir: string, total: number, workers: number) {
  const fh = await open(join(dir, "floor.log"), "w+");
  const lock = new SerialLock();
  const line = Buffer.alloc(500, 97);
  let at = 0;
  try {
    return await concurrently(total, workers, () =>
      lock.run(async () => {
        await fh.write(line, 0, line.length, at);
        at += line.length;
        await fh.datasync();
      }),
    );
  } finally {
    await fh.close();
  }
}

const uidOf = (i: number) => `BE${String(i).padStart(6, "0")}`;

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), "cardterm-bench-"));
  const pg = POSTGRES ? await startPostgres() : undefined;
  const db = pg ? await openDb({ databaseUrl: pg.url }) : undefined;
  const broker = POSTGRES ? await startMosquitto({ logTypes: ["error"] }) : await startEmbeddedBroker(await freePort());
  const key = randomBytes(32);
  const hq = await startHqServer({
    mqttUrl: broker.url,
    db,
    seedDemo: { terminals: [{ id: "T001", keyHex: key.toString("hex") }] },
    reconnectPeriodMs: 200,
    log: silentLogger(),
  });
  const actor = { id: "bench", via: "cli" as const };
  for (let i = 0; i < CONCURRENCY; i++) {
    const cardId = `ic:${uidOf(i)}`;
    await issueCard(hq.db, { cardId, cardType: "gold", member: { name: `会员${i}` } }, actor);
    await topUpAtHq(hq.db, { cardId, amount: 100_000_000 }, actor);
  }
  const agent = await startAgent(
    testAgentConfig({
      dataDir: join(dir, "agent"),
      mqttUrl: broker.url,
      key,
      authTimeoutMs: 3000,
      offline: {
        perTransactionMinor: HUGE,
        perCardMinor: HUGE,
        perCardCount: HUGE,
        terminalMinor: HUGE,
        terminalCount: HUGE,
      },
    }),
    { log: silentLogger(), backoff: { baseMs: 100, capMs: 400 } },
  );
  try {
    const status = async () =>
      (await (await fetch(`${agent.url}/api/v1/status`)).json()) as { broker: { connected: boolean } };
    for (let i = 0; i < 100 && !(await status()).broker.connected; i++) await sleep(100);

    const sale = (mode: "online" | "offline") => async (w: number) => {
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
      await (await fetch(`${agent.url}/healthz`)).arrayBuffer();
    };

    await concurrently(WARMUP, CONCURRENCY, healthz);
    const http = await concurrently(REQUESTS, CONCURRENCY, healthz);
    await concurrently(WARMUP, CONCURRENCY, sale("online"));
    const online = await concurrently(REQUESTS, CONCURRENCY, sale("online"));
    const onlineOne = await concurrently(SINGLE, 1, sale("online"));

    await broker.close(); // the link to the server is down: the same load, decided offline
    for (let i = 0; i < 100 && (await status()).broker.connected; i++) await sleep(100);
    await concurrently(WARMUP, CONCURRENCY, sale("offline"));
    const offline = await concurrently(REQUESTS, CONCURRENCY, sale("offline"));
    const offlineOne = await concurrently(SINGLE, 1, sale("offline"));
    const floor = await commitQueueFloor(dir, REQUESTS, CONCURRENCY);

    const row = (measure: string, s: Summary & { perSecond: number }) => ({
      measure,
      median: fmt(s.median),
      p99: fmt(s.p99),
      max: fmt(s.max),
      "per s": Math.round(s.perSecond),
    });
    console.log(
      `sale request → response, ${REQUESTS} requests per path, ${CONCURRENCY} in flight, ` +
        `${POSTGRES ? "Mosquitto + PostgreSQL 15" : "aedes + PGlite"} (${new Date().toISOString()})`,
    );
    printTable([
      row("HTTP floor (GET /healthz)", http),
      row("commit-queue floor (append+fdatasync, FIFO)", floor),
      row("sale, online (server authorises)", online),
      row("sale, offline (local rules)", offline),
      row("one in flight: sale, online", onlineOne),
      row("one in flight: sale, offline", offlineOne),
    ]);
  } finally {
    await agent.close();
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
