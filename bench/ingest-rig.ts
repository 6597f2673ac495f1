/**
 * What the reconciliation benchmarks share: a real PostgreSQL 15 (durable settings, as
 * in production) and a real Mosquitto, both on loopback and started here; a ledger
 * seeded with the demo chain plus `members` bench members and `terminals` terminals;
 * the central server on them; and the raw floors measured on the same pair — Mosquitto
 * QoS 1 throughput and a batched PostgreSQL insert (bench/README.md, "Reconciliation").
 */
import { Worker } from "node:worker_threads";
import mqtt from "mqtt";
import { pino } from "pino";
import type { Db } from "../server/db/db.js";
import { openDb } from "../server/db/open-db.js";
import { type HqServer, startHqServer } from "../server/hq-server.js";
import { seedDemo } from "../server/ledger/seed-demo.js";
import { type MosquittoBroker, startMosquitto } from "../test/helpers/mosquitto.js";
import { type PostgresServer, startPostgres } from "../test/helpers/postgres.js";
import { TestTerminal } from "../test/server/test-terminal.js";
import type { TerminalJob, TerminalResult } from "./ingest-terminal.js";
import { nowMs } from "./stats.js";

export interface Rig {
  pg: PostgresServer;
  broker: MosquittoBroker;
  db: Db;
  hq: HqServer;
  terminals: TestTerminal[];
  /** Bench cards, `bench:000001`…, standard type, 1,000,000.00 each. */
  cards: string[];
  close(): Promise<void>;
}

export async function startRig(opts: { terminals: number; members: number; poolMax?: number }): Promise<Rig> {
  const pg = await startPostgres();
  const broker = await startMosquitto({ logTypes: ["error"] });
  const db = await openDb({ databaseUrl: pg.url, poolMax: opts.poolMax });
  const terminals = Array.from(
    { length: opts.terminals },
    (_, i) => new TestTerminal(`B${String(i + 1).padStart(4, "0")}`, (i + 1).toString(16).padStart(64, "0")),
  );
  await seedDemo(db, { terminals: terminals.map((t) => ({ id: t.id, keyHex: t.keyHex })) });
  await seedBenchMembers(db, opts.members);
  const hq = await startHqServer({ mqttUrl: broker.url, db, log: pino({ level: "warn" }) });
  const cards = Array.from({ length: opts.members }, (_, i) => benchCard(i + 1));
  return {
    pg,
    broker,
    db,
    hq,
    terminals,
    cards,
    async close() {
      await hq.close();
      await db.close();
      await broker.close();
      await pg.close();
    },
  };
}

export const benchCard = (n: number) => `bench:${String(n).padStart(6, "0")}`;

async function seedBenchMembers(db: Db, n: number): Promise<void> {
  if (n === 0) return;
  await db.query(
    `INSERT INTO members (id, name) SELECT 'BM' || lpad(i::text, 6, '0'), 'bench ' || i FROM generate_series(1, $1) i`,
    [n],
  );
  await db.query(
    `INSERT INTO accounts (id, member_id, balance, opening_balance)
     SELECT 'BA' || lpad(i::text, 6, '0'), 'BM' || lpad(i::text, 6, '0'), 100000000, 100000000 FROM generate_series(1, $1) i`,
    [n],
  );
  await db.query(
    `INSERT INTO cards (card_id, account_id, card_type, status)
     SELECT 'bench:' || lpad(i::text, 6, '0'), 'BA' || lpad(i::text, 6, '0'), 'standard', 'active' FROM generate_series(1, $1) i`,
    [n],
  );
}

/** Raw Mosquitto QoS 1: one publisher, `window` PUBLISHes awaiting PUBACK at a time, one subscriber; messages/s end to end. */
export async function mosquittoFloor(url: string, count: number, bytes: number, window = 100): Promise<number> {
  const sub = await mqtt.connectAsync(url, { protocolVersion: 4, clean: true });
  const pub = await mqtt.connectAsync(url, { protocolVersion: 4, clean: true });
  for (const c of [sub, pub]) (c.stream as { setNoDelay?: (b: boolean) => void }).setNoDelay?.(true);
  const topic = `floor/${Math.random().toString(36).slice(2)}`;
  await sub.subscribeAsync(topic, { qos: 1 });
  let received = 0;
  const all = new Promise<void>((resolve) =>
    sub.on("message", () => {
      if (++received === count) resolve();
    }),
  );
  const payload = Buffer.alloc(bytes, 0x61);
  const t0 = nowMs();
  let next = 0;
  const worker = async () => {
    while (next < count) {
      next++;
      await pub.publishAsync(topic, payload, { qos: 1 });
    }
  };
  await Promise.all(Array.from({ length: window }, worker));
  await all;
  const seconds = (nowMs() - t0) / 1000;
  await Promise.all([sub.endAsync(), pub.endAsync()]);
  return count / seconds;
}

/**
 * Raw PostgreSQL: `count` rows shaped like a ledger transaction, `batch` rows per
 * statement through one unnest() INSERT, each statement its own durable commit; rows/s.
 */
export async function postgresFloor(db: Db, count: number, batch: number): Promise<number> {
  await db.query(`CREATE TABLE IF NOT EXISTS floor_rows (
    txn_id text PRIMARY KEY, terminal_id text, seq bigint, card_id text, net bigint, payload jsonb)`);
  const t0 = nowMs();
  for (let i = 0; i < count; i += batch) {
    const n = Math.min(batch, count - i);
    const ids = Array.from({ length: n }, (_, k) => `floor-${i + k}`);
    const payloads = ids.map((id) => JSON.stringify({ txnId: id, filler: "x".repeat(400) }));
    await db.query(
      `INSERT INTO floor_rows (txn_id, terminal_id, seq, card_id, net, payload)
       SELECT t, 'F', s, 'card', 100, p::jsonb FROM unnest($1::text[], $2::bigint[], $3::text[]) AS x(t, s, p)`,
      [ids, ids.map((_, k) => i + k), payloads],
    );
  }
  const seconds = (nowMs() - t0) / 1000;
  await db.query("DROP TABLE floor_rows");
  return count / seconds;
}

/** Node 20 cannot start a worker from a .ts file even under tsx: register tsx in the worker first. */
const TS_WORKER = `import("tsx/esm/api").then(({ register }) => { register(); return import(${JSON.stringify(
  new URL("./ingest-terminal.ts", import.meta.url).href,
)}); });`;

/**
 * Runs simulated terminals in `threads` worker threads (bench/ingest-terminal.ts): all
 * seal their backlog and connect first, then start together. Returns the wall time from
 * the start to the last terminal drained, and every terminal's result.
 */
export async function runTerminals(
  jobs: TerminalJob[],
  threads: number,
): Promise<{ seconds: number; results: TerminalResult[] }> {
  const groups = Array.from({ length: threads }, (_, i) => jobs.filter((_, k) => k % threads === i)).filter(
    (g) => g.length > 0,
  );
  const workers = groups.map((g) => new Worker(TS_WORKER, { eval: true, workerData: { role: "terminals", jobs: g } }));
  const settled = workers.map(
    (w) =>
      new Promise<{ ready: Promise<void>; done: Promise<TerminalResult[]> }>((resolveOuter) => {
        let markReady: () => void = () => {};
        const ready = new Promise<void>((r) => {
          markReady = r;
        });
        const done = new Promise<TerminalResult[]>((resolve, reject) => {
          w.on("message", (m: "ready" | { results?: TerminalResult[]; error?: string }) => {
            if (m === "ready") markReady();
            else if (m.error) reject(new Error(m.error));
            else resolve(m.results ?? []);
          });
          w.once("error", reject);
        });
        resolveOuter({ ready, done });
      }),
  );
  const handles = await Promise.all(settled);
  await Promise.all(handles.map((h) => h.ready));
  const t0 = nowMs();
  for (const w of workers) w.postMessage("go");
  const results = (await Promise.all(handles.map((h) => h.done))).flat();
  const seconds = (nowMs() - t0) / 1000;
  await Promise.all(workers.map((w) => w.terminate()));
  return { seconds, results };
}
