/**
 * The hotlist as versioned retained documents with deltas
 * (docs/architecture.md#reconciliation-with-head-office), end to end: the real server publishes
 * a retained delta and a retained full document per change; the real agent applies a delta only
 * onto the version it holds, fetches the full document when a delta does not follow, and
 * reports the version it holds in its heartbeat.
 */
import { readFile } from "node:fs/promises";
import { pino } from "pino";
import t, { type Test } from "tap";
import type { HotlistDocument } from "../../protocol/messages.js";
import { topics } from "../../protocol/topics.js";
import { parseMoney } from "../../rules/money.js";
import { type HqServer, startHqServer } from "../../server/hq-server.js";
import { type MosquittoBroker, startMosquitto } from "../helpers/mosquitto.js";
import {
  type Direction,
  type MqttPacket,
  type MqttProxy,
  PUBLISH,
  startMqttProxy,
  type Verdict,
} from "../helpers/mqtt-proxy.js";
import { waitFor } from "../helpers/wait-for.js";
import { openTestDb, resetLedger, T1, T2 } from "../server/ledger-fixture.js";
import { firstMessage, MqttTerminal } from "../server/mqtt-terminal.js";
import { startTestAgent, type TestAgent, WANG } from "./reconcile-rig.js";

const db = await openTestDb();
t.teardown(() => db.close());

interface Rig {
  broker: MosquittoBroker;
  hq: HqServer;
  proxy: MqttProxy;
  ta: TestAgent;
  /** Another till, whose sales change the hotlist (a shortfall lists a card, a top-up clears it). */
  till: MqttTerminal;
  received: { full: number; delta: number };
}

async function rig(t: Test): Promise<Rig> {
  await resetLedger(db);
  const broker = await startMosquitto();
  const proxy = await startMqttProxy({ port: broker.port });
  const hq = await startHqServer({ mqttUrl: broker.url, db, reconnectPeriodMs: 100, log: pino({ level: "silent" }) });
  const till = await MqttTerminal.connect(broker.url, T2);
  t.teardown(async () => {
    await till.close();
    await hq.close();
    await proxy.close();
    await broker.close();
  });
  const received = { full: 0, delta: 0 };
  proxy.faults = { onPacket: observe(received) };
  const ta = await startTestAgent(t, proxy.url, { deps: { heartbeatMs: 100 } });
  await waitForCurrent(ta, hq);
  return { broker, hq, proxy, ta, till, received };
}

/** Counts the full documents and deltas that reach the agent; passes everything. */
function observe(received: Rig["received"]) {
  return (p: MqttPacket, dir: Direction): Verdict => {
    count(received, p, dir);
    return "pass";
  };
}

function count(received: Rig["received"], p: MqttPacket, dir: Direction): void {
  if (dir !== "down" || p.type !== PUBLISH) return;
  if (p.topic === topics.hotlist()) received.full++;
  if (p.topic === topics.hotlistDelta()) received.delta++;
}

/** The hotlist the agent holds, as it stored it durably. */
async function agentHotlist(ta: TestAgent): Promise<HotlistDocument> {
  return JSON.parse(await readFile(`${ta.dataDir}/hotlist.json`, "utf8")) as HotlistDocument;
}

async function waitForCurrent(ta: TestAgent, hq: HqServer): Promise<HotlistDocument> {
  const server = await hq.ledger.getHotlist();
  await waitFor(`the agent to hold hotlist version ${server.version}`, async () => {
    const held = await agentHotlist(ta).catch(() => undefined);
    return held?.version === server.version;
  });
  return server;
}

/** One hotlist change through the ledger: 王芳's card listed by a shortfall, or cleared by a top-up. */
async function change(r: Rig, n: number): Promise<void> {
  const entry = n % 2 === 0 ? T2.sale(WANG, parseMoney("80.00")) : T2.topup(WANG, parseMoney("100.00"));
  const before = (await r.hq.ledger.getHotlist()).version;
  await r.till.sendBatch([entry]);
  await waitFor("the hotlist to change", async () => (await r.hq.ledger.getHotlist()).version > before);
  await r.hq.idle();
}

t.test("a terminal that is current follows the hotlist by deltas alone", async (t) => {
  const r = await rig(t);
  t.equal(r.received.full, 0, "a fresh terminal caught up from the retained delta: no full document needed");
  for (let i = 0; i < 4; i++) await change(r, i);
  const server = await waitForCurrent(r.ta, r.hq);
  t.equal(server.version, 5, "the frozen card, then four changes");
  t.same(await agentHotlist(r.ta), server, "the agent's list is the server's");
  t.equal(r.received.full, 0, "no full document was sent to it");
  t.equal(r.received.delta, 5, "one delta per version");
  const status = await waitFor("a heartbeat with the hotlist version", async () => {
    const s = await r.hq.ledger.terminalStatus(T1.id);
    return s?.hotlistVersion === 5 ? s : undefined;
  });
  t.match(status, { hotlistVersion: 5, policyVersion: 1 }, "the heartbeat reports what the terminal holds");
});

t.test("a terminal that missed a delta fetches the full document once, then follows deltas again", async (t) => {
  const r = await rig(t);
  let dropped = 0;
  r.proxy.faults = {
    onPacket: (p, dir) => {
      count(r.received, p, dir);
      return dir === "down" && p.topic === topics.hotlistDelta() && dropped++ === 0 ? "drop" : "pass";
    },
  };
  await change(r, 0); // its delta is lost on the way
  await new Promise((res) => setTimeout(res, 200));
  t.equal((await agentHotlist(r.ta)).version, 1, "still at the version it holds: nothing to apply it to");
  await change(r, 1); // this delta starts at a version the agent does not hold
  const server = await waitForCurrent(r.ta, r.hq);
  t.same(await agentHotlist(r.ta), server);
  t.equal(r.received.full, 1, "the full document was fetched once");
  await change(r, 2);
  const after = await waitForCurrent(r.ta, r.hq);
  t.same(await agentHotlist(r.ta), after);
  t.equal(r.received.full, 1, "and not again: the terminal unsubscribed once current");
});

t.test("a terminal offline while the hotlist changed is current again soon after it reconnects", async (t) => {
  const r = await rig(t);
  r.proxy.faults = { refuse: true };
  r.proxy.cut();
  await waitFor("the agent to notice", () => !r.ta.agent.link.isConnected());
  for (let i = 0; i < 3; i++) await change(r, i);
  r.proxy.faults = { onPacket: observe(r.received) };
  const server = await waitForCurrent(r.ta, r.hq);
  t.equal(server.version, 4);
  // Its persistent session kept the deltas published meanwhile; had the broker lost them,
  // the retained delta would not follow and it would fetch the full list (test above).
  t.same(await agentHotlist(r.ta), server, `caught up (${r.received.full} full, ${r.received.delta} deltas)`);
});

t.test("after a broker restart lost every session and queued delta, the terminal fetches the full list", async (t) => {
  const r = await rig(t);
  r.proxy.faults = { refuse: true };
  r.proxy.cut();
  await waitFor("the agent to notice", () => !r.ta.agent.link.isConnected());
  for (let i = 0; i < 3; i++) await change(r, i);
  await r.broker.stop(); // SIGKILL: sessions, queued deltas and retained messages are gone
  await r.broker.start();
  const version = (await r.hq.ledger.getHotlist()).version;
  await firstMessage(r.broker.url, topics.hotlist(), (m) => JSON.parse(m).version === version, 10_000);
  r.proxy.faults = { onPacket: observe(r.received) };
  const server = await waitForCurrent(r.ta, r.hq);
  t.same(await agentHotlist(r.ta), server);
  t.equal(r.received.full, 1, "the retained delta did not follow its version: it fetched the full list once");
});
