import { setTimeout as sleep } from "node:timers/promises";
import { pino } from "pino";
import t, { type Test } from "tap";
import { decodeMessage } from "../../protocol/messages.js";
import { topics } from "../../protocol/topics.js";
import { parseMoney } from "../../rules/money.js";
import type { Db } from "../../server/db/db.js";
import { type HqServer, startHqServer } from "../../server/hq-server.js";
import { startAedes, type TestBroker } from "../helpers/aedes-broker.js";
import { openTestDb, resetLedger, T1, T2 } from "./ledger-fixture.js";
import { firstMessage, MqttTerminal } from "./mqtt-terminal.js";
import { demoBalance } from "./test-terminal.js";

const ZHANG = "ic:04A1B2C3";
const WANG = "ic:0A0B0C0D";
const FROZEN = "ic:0BADCAFE";

const db = await openTestDb();
t.teardown(() => db.close());

interface Rig {
  broker: TestBroker;
  server: HqServer;
  term: MqttTerminal;
  logs: Record<string, unknown>[];
  start(opts?: { db?: Db; clientId?: string }): Promise<HqServer>;
}

/** A fresh ledger, broker, server and terminal T001 for one test; all stopped at its end. */
async function rig(t: Test, opts: { db?: Db; clientId?: string } = {}): Promise<Rig> {
  await resetLedger(db);
  const broker = await startAedes();
  const logs: Record<string, unknown>[] = [];
  const log = pino({ level: "debug" }, { write: (line: string) => logs.push(JSON.parse(line)) });
  const servers: HqServer[] = [];
  const start = async (o: { db?: Db; clientId?: string } = {}) => {
    const s = await startHqServer({ mqttUrl: broker.url, db: o.db ?? db, clientId: o.clientId, log });
    servers.push(s);
    return s;
  };
  const server = await start(opts);
  const term = await MqttTerminal.connect(broker.url, T1);
  t.teardown(async () => {
    await term.close();
    for (const s of servers) await s.close();
    await broker.close();
  });
  return { broker, server, term, logs, start };
}

const invalidCount = (logs: Record<string, unknown>[]) => logs.filter((l) => l.code === "CT_MESSAGE_INVALID").length;

t.test("online authorisation over MQTT: approved with the card's discount, declines with their codes", async (t) => {
  const { term, server } = await rig(t);
  const ok = await term.auth(T1.authRequest(ZHANG, parseMoney("50.00")));
  t.match(ok, { approved: true, net: 4_400, discount: 600, card: { balance: demoBalance(ZHANG) - 4_400 } });
  t.match(await term.auth(T1.authRequest("ic:00000000", 100)), { approved: false, code: "CARD_NOT_FOUND" });
  t.match(await term.auth(T1.authRequest(FROZEN, 100)), { approved: false, code: "CARD_NOT_ACTIVE" });
  t.match(await term.auth(T1.authRequest(WANG, parseMoney("60.00"))), {
    approved: false,
    code: "INSUFFICIENT_BALANCE",
  });
  t.match(await server.ledger.getCard(ZHANG), { balance: demoBalance(ZHANG) - 4_400 });
  t.equal((await server.ledger.ledgerTotals()).count, 1);
});

t.test("the same auth request published twice is debited once and answered alike", async (t) => {
  const { term, server } = await rig(t);
  const req = T1.authRequest(ZHANG, parseMoney("10.00"));
  // Sealed twice, as a till resending it would (the same bytes twice are a replay: message-mac.test.ts).
  const topic = topics.authRequest(T1.id);
  await term.client.publishAsync(topic, term.sealed(topic, req), { qos: 1 });
  await term.client.publishAsync(topic, term.sealed(topic, req), { qos: 1 });
  const both = await term.waitFor(() => (term.replies.length >= 2 ? term.replies : undefined), "two replies");
  t.same(both[0], both[1]);
  t.match(both[0], { approved: true, balanceAfter: demoBalance(ZHANG) - 880 });
  t.match(await server.ledger.getCard(ZHANG), { balance: demoBalance(ZHANG) - 880 });
});

t.test("a journal batch delivered three times, reordered, is applied once and acked", async (t) => {
  const { term, server } = await rig(t);
  const entries = [T1.sale(ZHANG, 10_000), T1.sale(ZHANG, 2_000), T1.topup(WANG, 5_000)];
  await term.sendBatch([entries[2]!, entries[0]!]);
  await term.sendBatch([entries[1]!, entries[2]!, entries[0]!]);
  await term.sendBatch(entries);
  await term.waitAck((a) => a.ackedSeq === 3);
  await server.idle();
  // The first is acked alone; the two that queued behind it are applied together, acked once or twice.
  const acked = term.acks.map((a) => a.ackedSeq);
  t.equal(acked[0], 1);
  t.same(acked.slice(1), acked.length === 2 ? [3] : [3, 3], `acks ${acked.join(", ")}`);
  t.match(await server.ledger.getCard(ZHANG), { balance: demoBalance(ZHANG) - 8_800 - 1_760 });
  t.match(await server.ledger.getCard(WANG), { balance: demoBalance(WANG) + 5_000 });
  t.equal((await server.ledger.ledgerTotals()).count, 3);
  t.same(await server.ledger.reconcile(), []);
});

t.test("an ack is published only after the batch is committed", async (t) => {
  const events: string[] = [];
  // Holds every transaction open a while before COMMIT, so an early ack would show.
  const slow: Db = {
    kind: db.kind,
    query: (sql, params) => db.query(sql, params),
    transaction: async (fn) => {
      const out = await db.transaction(async (tx) => {
        const r = await fn(tx);
        await sleep(150);
        return r;
      });
      events.push("commit");
      return out;
    },
    close: async () => {},
  };
  const { term } = await rig(t, { db: slow });
  term.client.on("message", (topic) => {
    if (topic === topics.ack(T1.id)) events.push("ack");
  });
  await term.sendBatch([T1.sale(ZHANG, 100), T1.sale(ZHANG, 100)]);
  const ack = await term.waitAck(() => true);
  const state = await db.query<{ acked_seq: number }>("SELECT acked_seq FROM terminals WHERE id = $1", [T1.id]);
  t.equal(ack.ackedSeq, 2);
  t.equal(Number(state.rows[0]?.acked_seq), ack.ackedSeq, "ackedSeq is what the ledger holds");
  t.same(events, ["commit", "ack"]);
});

t.test("malformed payloads are logged and dropped; the server keeps answering", async (t) => {
  const { term, logs } = await rig(t);
  const pub = (topic: string, payload: string) => term.client.publishAsync(topic, payload, { qos: 1 });
  // Sealed with T001's key, so each reaches the schema check (an unsealed one is refused before it).
  const sealedPub = (topic: string, body: object) => pub(topic, term.sealed(topic, body));
  await pub(topics.journal(T1.id), "not json {");
  await sealedPub(topics.journal(T1.id), { v: 1, terminalId: T1.id, entries: [{ seq: "one" }] });
  await sealedPub(topics.authRequest(T1.id), { v: 1, corr: "x" });
  await sealedPub(topics.authRequest(T1.id), T2.authRequest(ZHANG, 100)); // names another terminal
  await pub("cardterm/v1/t/bad id!/up/journal", JSON.stringify(T1.batch([])));
  await term.waitFor(() => (invalidCount(logs) >= 5 ? true : undefined), "five drops");
  const reasons = logs.filter((l) => l.code === "CT_MESSAGE_INVALID").map((l) => String(l.reason));
  // In any order: the bad topic is dropped at once, the others after their seal check (a busy server may see them late).
  for (const why of [/not JSON/, /journalBatch: \/entries\/0/, /authRequest/, /names terminal T002/, /terminal id/]) {
    t.ok(
      reasons.some((r) => why.test(r)),
      `dropped: ${why}`,
    );
  }
  t.equal(reasons.length, 5);
  t.match(await term.auth(T1.authRequest(ZHANG, 100)), { approved: true }, "still serving");
  t.same(term.replies.length, 1, "no reply to the dropped requests");
});

t.test("an offline shortfall puts the card on the retained hotlist", async (t) => {
  const { term, broker } = await rig(t);
  const initial = decodeMessage("hotlist", await firstMessage(broker.url, topics.hotlist()));
  t.match(initial, { ok: true, value: { version: 1, cards: [FROZEN] } });
  await term.sendBatch([T1.sale(WANG, parseMoney("70.00"))]);
  t.match(await term.waitAck(() => true), { ackedSeq: 1, rejected: [] });
  const text = await firstMessage(broker.url, topics.hotlist(), (p) => p.includes(WANG));
  t.same(JSON.parse(text), { version: 2, cards: [FROZEN, WANG].sort(), reasons: { [WANG]: "shortfall" } });
});

t.test("the policy is published retained when the server starts", async (t) => {
  const { broker } = await rig(t);
  const policy = decodeMessage("policy", await firstMessage(broker.url, topics.policy()));
  t.match(policy, { ok: true, value: { version: 1, cardTypes: { gold: { payRateBp: 8_800 } } } });
});

t.test("batches sent while the server is down are applied when it returns (persistent session)", async (t) => {
  const { term, server, start } = await rig(t, { clientId: "hq-persistent" });
  await server.close();
  await term.sendBatch([T1.sale(ZHANG, 1_000)]);
  const again = await start({ clientId: "hq-persistent" });
  t.match(await term.waitAck(() => true), { ackedSeq: 1 });
  t.match(await again.ledger.getCard(ZHANG), { balance: demoBalance(ZHANG) - 880 });
});

t.test("rapid batches from two terminals are acked in order per terminal", async (t) => {
  const { term, broker, server } = await rig(t);
  const term2 = await MqttTerminal.connect(broker.url, T2);
  t.teardown(() => term2.close());
  const sends: Promise<void>[] = [];
  for (let i = 0; i < 10; i++) {
    sends.push(term.sendBatch([T1.sale(ZHANG, 100)]), term2.sendBatch([T2.sale(ZHANG, 100)]));
  }
  await Promise.all(sends);
  await term.waitAck((a) => a.ackedSeq === 10);
  await term2.waitAck((a) => a.ackedSeq === 10);
  for (const acks of [term.acks, term2.acks]) {
    const seqs = acks.map((a) => a.ackedSeq);
    t.same(
      seqs,
      [...seqs].sort((a, b) => a - b),
      "acks never go backwards",
    );
  }
  await server.idle();
  t.equal((await server.ledger.ledgerTotals()).count, 20);
});

t.test("the server closes promptly when the broker is gone", async (t) => {
  const { broker, server, term } = await rig(t);
  await term.close();
  await broker.close();
  const started = Date.now();
  await server.close();
  await server.close();
  t.ok(Date.now() - started < 2000, `closed in ${Date.now() - started} ms`);
});
