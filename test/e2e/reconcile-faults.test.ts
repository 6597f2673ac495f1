/**
 * Reconciliation under faults: a real agent, a real Mosquitto and the real
 * server, with a fault proxy between the agent and the broker. Whatever the network and
 * the broker do — duplicate, reorder, lose acks, die mid-stream, drop queued messages
 * past their limit — the ledger ends holding every journal entry exactly once, and its
 * sums equal the terminal's journal.
 */
import { pino } from "pino";
import t, { type Test } from "tap";
import { topics } from "../../protocol/topics.js";
import { type HqServer, startHqServer } from "../../server/hq-server.js";
import { postSale } from "../helpers/api-client.js";
import { type MosquittoBroker, startMosquitto } from "../helpers/mosquitto.js";
import { type MqttProxy, oneToThreeCopies, PUBLISH, startMqttProxy } from "../helpers/mqtt-proxy.js";
import { waitFor } from "../helpers/wait-for.js";
import { openTestDb, resetLedger, T1 } from "../server/ledger-fixture.js";
import { assertLedgerMatchesJournal, commitEntries, startTestAgent, waitForDrain, ZHANG } from "./reconcile-rig.js";

const db = await openTestDb();
t.teardown(() => db.close());

interface Rig {
  broker: MosquittoBroker;
  proxy: MqttProxy;
  hq: HqServer;
  startServer(): Promise<HqServer>;
}

/** A fresh ledger, a Mosquitto, the server on it and a proxy for the agent; all stopped at the test's end. */
async function rig(t: Test, brokerOpts: { maxQueuedMessages?: number } = {}): Promise<Rig> {
  await resetLedger(db);
  const broker = await startMosquitto(brokerOpts);
  const proxy = await startMqttProxy({ port: broker.port });
  const servers: HqServer[] = [];
  const startServer = async () => {
    const s = await startHqServer({ mqttUrl: broker.url, db, reconnectPeriodMs: 200, log: pino({ level: "silent" }) });
    servers.push(s);
    return s;
  };
  const hq = await startServer();
  // Teardowns run last-registered first: the agent (registered later) stops before these.
  t.teardown(async () => {
    for (const s of servers) await s.close();
    await proxy.close();
    await broker.close();
  });
  return { broker, proxy, hq, startServer };
}

const isJournal = (topic = "") => topic === topics.journal(T1.id);
const isAck = (topic = "") => topic === topics.ack(T1.id);

t.test("each journal message delivered 1–3 times and reordered: every entry lands exactly once", async (t) => {
  const { proxy, hq } = await rig(t);
  // Every PUBLISH either way is sent 1–3 times; the agent's uplink is shuffled in windows of 4.
  proxy.faults = {
    onPacket: (p) => (p.type === PUBLISH ? oneToThreeCopies() : "pass"),
    shuffle: { up: 4, maxHoldMs: 20 },
  };
  const ta = await startTestAgent(t, proxy.url, { batchSize: 7 });
  await waitFor("the agent to connect", () => ta.agent.link.isConnected());
  // Online sales go through the same faults: duplicated auth requests, duplicated replies.
  for (let i = 0; i < 5; i++) {
    const sale = await postSale(ta.agent.url, { amount: 1_000 + i, cardUid: ZHANG.slice(3) });
    t.match(sale.body, { approved: true }, `online sale ${i + 1} approved`);
  }
  await commitEntries(ta.agent, 300);
  await waitForDrain(ta, hq.ledger);
  await hq.idle();
  t.ok(proxy.stats.duplicated.up > 10, `uplink publishes duplicated (${proxy.stats.duplicated.up})`);
  t.ok(proxy.stats.duplicated.down > 10, `acks and replies duplicated (${proxy.stats.duplicated.down})`);
  t.ok(proxy.stats.reordered.up > 3, `uplink reordered (${proxy.stats.reordered.up} windows)`);
  await assertLedgerMatchesJournal(t, ta, hq.ledger, { duplicated: true });
});

t.test("acks lost on the way to the terminal: it resends, the server skips, nothing is doubled", async (t) => {
  const { proxy, hq } = await rig(t);
  let acks = 0;
  // Two acks in three never reach the agent (the proxy PUBACKs them to the broker itself).
  proxy.faults = { onPacket: (p, dir) => (dir === "down" && isAck(p.topic) && ++acks % 3 !== 0 ? "drop" : "pass") };
  const ta = await startTestAgent(t, proxy.url, { batchSize: 5 });
  await commitEntries(ta.agent, 200);
  await waitForDrain(ta, hq.ledger);
  await hq.idle();
  t.ok(proxy.stats.dropped.down >= 5, `acks dropped (${proxy.stats.dropped.down})`);
  await assertLedgerMatchesJournal(t, ta, hq.ledger);
});

t.test("the broker killed and restarted mid-stream: the drain resumes and ends exactly once", async (t) => {
  const { broker, proxy, hq } = await rig(t);
  proxy.faults = { refuse: true };
  const ta = await startTestAgent(t, proxy.url, { batchSize: 5 });
  await commitEntries(ta.agent, 400);
  // Slow the uplink so the kill lands mid-stream rather than after it.
  proxy.faults = { onPacket: (p, dir) => (dir === "up" && isJournal(p.topic) ? { delayMs: 15 } : "pass") };
  const acked = async () => (await hq.ledger.terminalState(T1.id))?.ackedSeq ?? 0;
  const atKill = await waitFor("the drain to be under way", async () => ((await acked()) >= 40 ? acked() : 0));
  await broker.stop();
  t.ok(atKill < 400, `killed at #${atKill} of 400`);
  await new Promise((r) => setTimeout(r, 300));
  await broker.start();
  proxy.faults = {};
  await waitForDrain(ta, hq.ledger);
  await hq.idle();
  await assertLedgerMatchesJournal(t, ta, hq.ledger);
});

t.test("more entries than Mosquitto's per-client queue limit: dropped messages are resent", async (t) => {
  const { broker, proxy, hq, startServer } = await rig(t, { maxQueuedMessages: 50 });
  // The server goes away; its persistent session stays and queues, up to 50 messages.
  await hq.close();
  proxy.faults = { refuse: true };
  const ta = await startTestAgent(t, proxy.url, { batchSize: 5, deps: { ackTimeoutMs: 100 } });
  await commitEntries(ta.agent, 500);
  let journalPublishes = 0;
  proxy.faults = {
    onPacket: (p, dir) => {
      if (dir === "up" && isJournal(p.topic)) journalPublishes++;
      return "pass";
    },
  };
  await waitFor("the broker to drop queued messages", () => /messages are being dropped/.test(broker.log()), 20_000);
  const again = await startServer(); // same client id: it resumes the session and its 50 queued messages
  await waitForDrain(ta, again.ledger, 60_000);
  await again.idle();
  t.ok(journalPublishes > 50, `the agent published more batches than the queue holds (${journalPublishes})`);
  t.match(broker.log(), /Outgoing messages are being dropped for client cardterm-hq/);
  await assertLedgerMatchesJournal(t, ta, again.ledger);
});
