/**
 * Reconciliation across crashes of the central side, on a real PostgreSQL 15: the server
 * process killed (SIGKILL) after it committed batches but before any ack reached the
 * terminal, and PostgreSQL itself killed and restarted mid-stream. Either way the ledger
 * ends holding every journal entry exactly once.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { pino } from "pino";
import t, { type Test } from "tap";
import { topics } from "../../protocol/topics.js";
import type { Db } from "../../server/db/db.js";
import { openDb } from "../../server/db/open-db.js";
import { startHqServer } from "../../server/hq-server.js";
import { ledgerQueries } from "../../server/ledger/queries.js";
import { seedDemo } from "../../server/ledger/seed-demo.js";
import { startMosquitto } from "../helpers/mosquitto.js";
import { PUBLISH, startMqttProxy } from "../helpers/mqtt-proxy.js";
import { postgresUnavailable, startPostgres } from "../helpers/postgres.js";
import { waitFor } from "../helpers/wait-for.js";
import { T1 } from "../server/ledger-fixture.js";
import { firstMessage } from "../server/mqtt-terminal.js";
import { assertLedgerMatchesJournal, commitEntries, startTestAgent, waitForDrain } from "./reconcile-rig.js";

const CLI = fileURLToPath(new URL("../../server/cli/cardterm-hq.ts", import.meta.url));
const skip = postgresUnavailable() ?? false;

/** A PostgreSQL with the demo chain and terminal T001, and a broker; stopped at the test's end. */
async function central(t: Test) {
  const pg = await startPostgres({ durable: false });
  t.teardown(() => pg.close());
  const db: Db = await openDb({ databaseUrl: pg.url });
  t.teardown(() => db.close());
  await seedDemo(db, { terminals: [{ id: T1.id, keyHex: T1.keyHex }] });
  const broker = await startMosquitto();
  t.teardown(() => broker.close());
  return { pg, db, broker, ledger: ledgerQueries(db) };
}

/** `cardterm-hq run` as its own process, ready once it has published the policy; killed by pid at the end. */
async function spawnServer(t: Test, mqttUrl: string, databaseUrl: string): Promise<ChildProcess> {
  const child = spawn(
    process.execPath,
    ["--import", "tsx", CLI, "run", "--mqtt-url", mqttUrl, "--database-url", databaseUrl, "--client-id", "hq-crash"],
    { stdio: ["ignore", "ignore", "pipe"], env: { ...process.env, LOG_LEVEL: "warn" } },
  );
  let stderr = "";
  child.stderr?.on("data", (d) => {
    stderr = (stderr + d).slice(-4000);
  });
  const exited = new Promise((r) => child.once("exit", r));
  t.teardown(async () => {
    if (child.exitCode === null && child.signalCode === null && child.pid) process.kill(child.pid, "SIGKILL");
    await exited;
  });
  await firstMessage(mqttUrl, topics.policy(), () => true, 30_000).catch((err: Error) => {
    throw new Error(`${err.message}; server stderr:\n${stderr}`);
  });
  return child;
}

async function kill(child: ChildProcess): Promise<void> {
  const exited = new Promise((r) => child.once("exit", r));
  if (child.pid) process.kill(child.pid, "SIGKILL");
  await exited;
}

t.test(
  "the server killed between commit and ack: the terminal resends, nothing is applied twice",
  { skip },
  async (t) => {
    const { pg, broker, ledger } = await central(t);
    // The server reaches the broker through a proxy that swallows its acks: it commits, the terminal never hears.
    const serverLink = await startMqttProxy({ port: broker.port });
    t.teardown(() => serverLink.close());
    serverLink.faults = {
      onPacket: (p, dir) => (dir === "up" && p.type === PUBLISH && p.topic === topics.ack(T1.id) ? "drop" : "pass"),
    };
    const first = await spawnServer(t, serverLink.url, pg.url);
    const ta = await startTestAgent(t, broker.url, { batchSize: 10 });
    await commitEntries(ta.agent, 200);
    // With no ack the terminal sends its window (4 batches of 10) and then resends it.
    const committed = await waitFor("the server to commit batches", async () => {
      const acked = (await ledger.terminalState(T1.id))?.ackedSeq ?? 0;
      return acked >= 30 ? acked : 0;
    });
    await kill(first);
    t.ok(committed >= 30, `the server had committed up to #${committed}`);
    t.equal(ta.agent.ledger.pending().length, 200, "no ack reached the terminal: all 200 entries still pending");

    serverLink.faults = {};
    await spawnServer(t, serverLink.url, pg.url);
    await waitForDrain(ta, ledger, 60_000);
    await assertLedgerMatchesJournal(t, ta, ledger);
  },
);

t.test("PostgreSQL killed and restarted mid-stream: no ack without a commit, every entry once", { skip }, async (t) => {
  const { pg, broker, ledger, db } = await central(t);
  const hq = await startHqServer({
    mqttUrl: broker.url,
    databaseUrl: pg.url,
    reconnectPeriodMs: 200,
    log: pino({ level: "silent" }),
  });
  t.teardown(() => hq.close());
  const ta = await startTestAgent(t, broker.url, { batchSize: 5 });
  await commitEntries(ta.agent, 100);
  await waitForDrain(ta, ledger);
  await pg.stop("SIGKILL");
  const before = ta.agent.ledger.summary().ackedSeq;
  // Sales go on while the ledger is down; the server cannot commit them, so it must not ack them.
  await commitEntries(ta.agent, 100);
  await new Promise((r) => setTimeout(r, 700));
  t.equal(ta.agent.ledger.summary().ackedSeq, before, `no ack while PostgreSQL is down (acked #${before})`);
  t.ok(ta.agent.ledger.pending().length >= 100, "the entries made meanwhile wait in the journal");
  await pg.start();
  await commitEntries(ta.agent, 100);
  await waitForDrain(ta, ledger, 60_000);
  await hq.idle();
  t.equal(db.kind, "postgres");
  await assertLedgerMatchesJournal(t, ta, ledger);
});
