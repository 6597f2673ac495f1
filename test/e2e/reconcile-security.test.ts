/**
 * Security of the link, against a real Mosquitto set up as deploy/ ships it:
 * TLS with the chain's own CA (made here with openssl), a password file with one user
 * per terminal (from provisioning), and deploy/mosquitto/acl. A terminal cannot speak
 * for another; a replayed batch changes nothing; a tampered entry is rejected, alerted at
 * head office and reported back to the terminal.
 */
import { readFileSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import mqtt, { type MqttClient } from "mqtt";
import { pino } from "pino";
import t, { type Test } from "tap";
import { startAgent } from "../../agent/agent.js";
import { silentLogger } from "../../agent/logger.js";
import { parseConfigText } from "../../config/load-config.js";
import { type JournalEntry, macOf, sealEntry } from "../../protocol/journal-entry.js";
import { deriveMessageKeys, sealPayload } from "../../protocol/message-mac.js";
import { decodeMessage, type JournalAck, type JournalBatch } from "../../protocol/messages.js";
import { topics } from "../../protocol/topics.js";
import { type HqServer, startHqServer } from "../../server/hq-server.js";
import { mosquittoPasswdLine, newBrokerPassword } from "../../server/provision/mosquitto-passwd.js";
import { postSale } from "../helpers/api-client.js";
import { freePort } from "../helpers/free-port.js";
import { createTestPki, type MosquittoBroker, startMosquitto } from "../helpers/mosquitto.js";
import { tempDir } from "../helpers/temp-dir.js";
import { waitFor } from "../helpers/wait-for.js";
import { openTestDb, resetLedger, T1, T2 } from "../server/ledger-fixture.js";
import { assertLedgerMatchesJournal, commitEntries, type TestAgent, waitForDrain, ZHANG } from "./reconcile-rig.js";

const DEPLOY_ACL = new URL("../../deploy/mosquitto/acl", import.meta.url).pathname;

const db = await openTestDb();
t.teardown(() => db.close());
const dir = await tempDir(t, "cardterm-security-");
const pki = await createTestPki(dir, ["T001"]);
const passwords = { T001: newBrokerPassword(), T002: newBrokerPassword(), "cardterm-hq": newBrokerPassword() };
const passwd = join(dir, "passwd");
await writeFile(
  passwd,
  `${Object.entries(passwords)
    .map(([u, p]) => mosquittoPasswdLine(u, p))
    .join("\n")}\n`,
);

async function secureBroker(t: Test, requireCertificate = false): Promise<MosquittoBroker> {
  const broker = await startMosquitto({
    tls: { caFile: pki.caFile, ...pki.server, requireCertificate },
    passwordFile: passwd,
    aclFile: DEPLOY_ACL,
    logTypes: ["error", "warning", "notice", "debug"],
  });
  t.teardown(() => broker.close());
  return broker;
}

interface Central {
  broker: MosquittoBroker;
  hq: HqServer;
  logs: Record<string, unknown>[];
}

async function central(t: Test): Promise<Central> {
  await resetLedger(db);
  const broker = await secureBroker(t);
  const logs: Record<string, unknown>[] = [];
  const hq = await startHqServer({
    mqttUrl: broker.url,
    mqttUsername: "cardterm-hq",
    mqttPassword: passwords["cardterm-hq"],
    mqttTls: { caFile: pki.caFile },
    db,
    log: pino({ level: "info" }, { write: (line: string) => logs.push(JSON.parse(line)) }),
  });
  t.teardown(() => hq.close());
  return { broker, hq, logs };
}

/** The agent for T001 from a YAML config, the way a technician writes it (server.tls included). */
async function secureAgent(t: Test, broker: MosquittoBroker, tls: string): Promise<TestAgent> {
  const dataDir = await tempDir(t, "cardterm-security-agent-");
  const yaml = `
version: 1
terminal: { id: T001, key: { hex: "${T1.keyHex}" }, dataDir: ${dataDir} }
api: { port: ${await freePort()} }
server:
  mqttUrl: ${broker.url}
  username: T001
  password: ${passwords.T001}
  uploadBatchSize: 10
  tls: ${tls}
`;
  const config = parseConfigText(yaml, join(dataDir, "cardterm.yaml"));
  const agent = await startAgent(config, {
    log: silentLogger(),
    backoff: { baseMs: 50, capMs: 250 },
    ackTimeoutMs: 500,
  });
  t.teardown(() => agent.close());
  return { agent, dataDir };
}

/** A bare MQTT client over TLS with the chain's CA. */
function client(broker: MosquittoBroker, opts: mqtt.IClientOptions = {}): Promise<MqttClient> {
  return mqtt.connectAsync(broker.url, {
    ca: readFileSync(pki.caFile),
    reconnectPeriod: 0,
    connectTimeout: 5000,
    ...opts,
  });
}

function waitForAcks(c: MqttClient, terminalId: string): JournalAck[] {
  const acks: JournalAck[] = [];
  c.on("message", (topic, payload) => {
    if (topic !== topics.ack(terminalId)) return;
    const d = decodeMessage("journalAck", payload);
    if (d.ok) acks.push(d.value);
  });
  return acks;
}

const caOnly = `{ ca: { file: ${pki.caFile} } }`;

t.test("over TLS with its own password a terminal sells online and drains; strangers are refused", async (t) => {
  const { broker, hq } = await central(t);
  const ta = await secureAgent(t, broker, caOnly);
  await waitFor("the agent to connect over TLS", () => ta.agent.link.isConnected());
  const sale = await postSale(ta.agent.url, { amount: 2_500, cardUid: ZHANG.slice(3) });
  t.match(sale.body, { approved: true, mode: "online" }, "online authorisation over mqtts://");
  await commitEntries(ta.agent, 30);
  await waitForDrain(ta, hq.ledger);
  await assertLedgerMatchesJournal(t, ta, hq.ledger);

  await t.rejects(client(broker, { username: "T001", password: "wrong" }), /Not authorized|Bad username/);
  await t.rejects(client(broker), /Not authorized|Bad username/, "no anonymous clients");
  await t.rejects(
    mqtt.connectAsync(broker.url, {
      ca: readFileSync(pki.rogue.caFile),
      reconnectPeriod: 0,
      username: "T001",
      password: passwords.T001,
    }),
    /certificate/,
    "a client that trusts another CA does not accept this broker",
  );
});

t.test("a terminal refuses a broker whose certificate another CA signed (man in the middle)", async (t) => {
  await resetLedger(db);
  const rogue = await startMosquitto({
    tls: { caFile: pki.rogue.caFile, certFile: pki.rogue.certFile, keyFile: pki.rogue.keyFile },
    passwordFile: passwd,
  });
  t.teardown(() => rogue.close());
  const ta = await secureAgent(t, rogue, caOnly);
  await waitFor("a TLS error", () => /certificate/.test(ta.agent.link.status().lastError ?? ""));
  t.notOk(ta.agent.link.isConnected(), "never connected; its password never left the box");
});

t.test("a broker that demands client certificates takes the terminal's server.tls cert and key", async (t) => {
  await resetLedger(db);
  const broker = await secureBroker(t, true);
  const ta = await secureAgent(
    t,
    broker,
    `{ ca: { file: ${pki.caFile} }, cert: { file: ${pki.clients.T001!.certFile} }, key: { file: ${pki.clients.T001!.keyFile} } }`,
  );
  await waitFor("the agent to connect with its certificate", () => ta.agent.link.isConnected());
  await t.rejects(
    client(broker, { username: "T002", password: passwords.T002 }),
    /certificate|socket|ECONNRESET|closed/i,
    "without a certificate the handshake fails",
  );
  t.throws(
    () =>
      parseConfigText(
        `terminal: { id: T001, key: { hex: "${T1.keyHex}" }, dataDir: /tmp }\nserver: { mqttUrl: "mqtt://h:1", tls: { cert: { file: ${pki.clients.T001!.certFile} } } }\n`,
        "bad.yaml",
      ),
    /server\.tls — TLS settings need a TLS URL[\s\S]*server\.tls\.cert — a client certificate needs both cert and key/,
    "the config refuses TLS on mqtt:// and a cert without its key",
  );
});

t.test("a terminal publishing as another is dropped by the broker: the server never sees it", async (t) => {
  const { broker, hq, logs } = await central(t);
  const before = await hq.ledger.getCard(ZHANG);
  const t2 = await client(broker, {
    username: "T002",
    password: passwords.T002,
    clientId: "intruder-T002",
    protocolVersion: 4,
  });
  t.teardown(() => t2.endAsync(true));
  await t2.subscribeAsync(topics.ack(T2.id), { qos: 1 });
  const t2Acks = waitForAcks(t2, T2.id);
  // As T001: a journal batch and an online authorisation that would debit 张伟.
  const forgedBatch: JournalBatch = { v: 1, terminalId: T1.id, entries: [T1.sale(ZHANG, 10_000)] };
  await t2.publishAsync(topics.journal(T1.id), JSON.stringify(forgedBatch), { qos: 1 });
  await t2.publishAsync(topics.authRequest(T1.id), JSON.stringify(T1.authRequest(ZHANG, 10_000)), { qos: 1 });
  t.pass("MQTT 3.1.1: the broker PUBACKs the denied publishes and drops them silently");
  // Then something T002 may do: its own batch, sealed with its key. Once its ack is back, anything before it was seen.
  const ownTopic = topics.journal(T2.id);
  const own = sealPayload(
    deriveMessageKeys(T2.key).up,
    "up",
    ownTopic,
    T2.batch([T2.topup("id:0012345678", 100)]),
    Date.now(),
  );
  await t2.publishAsync(ownTopic, own, { qos: 1 });
  await waitFor("T002's own batch acked", () => t2Acks.length > 0);
  await hq.idle();
  t.match(broker.log(), /Denied PUBLISH from intruder-T002 .*'cardterm\/v1\/t\/T001\/up\/journal'/);
  t.match(broker.log(), /Denied PUBLISH from intruder-T002 .*'cardterm\/v1\/t\/T001\/up\/auth'/);
  t.same(
    logs.filter((l) => l.terminalId === T1.id),
    [],
    "the server logged nothing for T001: it never received either message",
  );
  t.same(await hq.ledger.getCard(ZHANG), before, "张伟's balance is untouched");
  t.equal((await hq.ledger.ledgerTotals()).count, 1, "only T002's own top-up is in the ledger");
  t.same(await hq.ledger.listAlerts(), []);

  const v5 = await client(broker, { username: "T002", password: passwords.T002, protocolVersion: 5 });
  t.teardown(() => v5.endAsync(true));
  await t.rejects(
    v5.publishAsync(topics.journal(T1.id), JSON.stringify(forgedBatch), { qos: 1 }),
    /Not authorized/,
    "MQTT 5: the PUBACK says 135, not authorized",
  );
});

t.test("a replayed batch changes nothing; a tampered entry is rejected, alerted and reported", async (t) => {
  const { broker, hq, logs } = await central(t);
  /** Batches the server has handled for T001 so far (PUBACK to a publisher is not delivery to the server). */
  const handled = () =>
    logs.filter((l) => l.msg === "journal batch" && l.terminalId === T1.id).reduce((n, l) => n + Number(l.batches), 0);
  // Head office's own user can watch the uplink: it records what the terminal sent.
  const snoop = await client(broker, { username: "cardterm-hq", password: passwords["cardterm-hq"] });
  t.teardown(() => snoop.endAsync(true));
  await snoop.subscribeAsync(topics.journal(T1.id), { qos: 1 });
  const sent: JournalBatch[] = [];
  snoop.on("message", (_topic, payload) => {
    const d = decodeMessage("journalBatch", payload);
    if (d.ok) sent.push(d.value);
  });
  // T002 tries to listen to T001's acks: Mosquitto 2.0 grants the subscription, then
  // checks read access per message and delivers none.
  const eavesdropper = await client(broker, { username: "T002", password: passwords.T002 });
  t.teardown(() => eavesdropper.endAsync(true));
  await eavesdropper.subscribeAsync(`cardterm/v1/t/${T1.id}/down/#`, { qos: 1 });
  const overheard = waitForAcks(eavesdropper, T1.id);
  const ta = await secureAgent(t, broker, caOnly);
  await commitEntries(ta.agent, 25);
  await waitForDrain(ta, hq.ledger);
  t.same(overheard, [], "T002 heard none of T001's acks");
  const settled = { totals: await hq.ledger.ledgerTotals(), card: await hq.ledger.getCard(ZHANG) };

  // Someone with T001's broker password (or a broker resending) replays every batch.
  const thief = await client(broker, { username: "T001", password: passwords.T001, clientId: "replay-T001" });
  t.teardown(() => thief.endAsync(true));
  const captured = [...sent]; // the snoop records the replays too
  const before = handled();
  for (const b of captured) await thief.publishAsync(topics.journal(T1.id), JSON.stringify(b), { qos: 1 });
  await waitFor("the server to handle every replay", () => handled() >= before + captured.length);
  await hq.idle();
  t.ok(captured.length >= 3, `${captured.length} batches replayed`);
  t.same(await hq.ledger.ledgerTotals(), settled.totals, "the ledger is unchanged");
  t.same(await hq.ledger.getCard(ZHANG), settled.card);
  t.same(await hq.ledger.listAlerts(), [], "a replay is not an attack on the ledger: duplicates are skipped quietly");

  // Edited after the fact: entry #5 with a smaller amount, its hash and MAC kept.
  const original = captured.flatMap((b) => b.entries).find((e) => e.seq === 5)!;
  const edited: JournalEntry = { ...original, net: 1, gross: 1 };
  // Forged ahead: #26 made without T001's key.
  const last = captured.flatMap((b) => b.entries).find((e) => e.seq === 25)!;
  const { hash: _h, mac: _m, ...body } = last;
  const forged = sealEntry({ ...body, seq: 26, prevHash: last.hash, txnId: "forged-26", net: 1 }, Buffer.alloc(32, 9));
  t.not(forged.mac, macOf(forged.hash, T1.key));
  // With T001's broker password alone the batch is refused whole before the ledger (no
  // message seal: docs/security.md). Sealed as T001 itself would upload entries edited on
  // its disk, it reaches the ingest, whose per-entry checks catch both.
  const tampered = { v: 1, terminalId: T1.id, entries: [edited, forged] };
  const journalTopic = topics.journal(T1.id);
  await thief.publishAsync(journalTopic, JSON.stringify(tampered), { qos: 1 });
  await waitFor("the unsealed batch refused", async () => (await hq.ledger.listAlerts()).length >= 1);
  await thief.publishAsync(
    journalTopic,
    sealPayload(deriveMessageKeys(T1.key).up, "up", journalTopic, tampered, Date.now()),
    { qos: 1 },
  );
  await waitFor("the alerts", async () => (await hq.ledger.listAlerts()).length >= 3);
  await hq.idle();
  t.match(await hq.ledger.listAlerts(), [
    { kind: "message-unsigned", terminalId: T1.id, detail: /up\/journal: refused, never applied/ },
    { kind: "seq-conflict", terminalId: T1.id, seq: 5, detail: /differs from the entry #5 already applied/ },
    { kind: "entry-rejected", terminalId: T1.id, seq: 26, detail: /MAC that does not match/ },
  ]);
  t.same(await hq.ledger.ledgerTotals(), settled.totals, "neither moved money");
  type Status = { journal: { rejected: { seq: number; reason: string }[] } };
  const status = await waitFor("the terminal to hear of the rejection", () => {
    const s = ta.agent.status() as unknown as Status;
    return s.journal.rejected.length === 2 ? s : undefined;
  });
  t.match(
    status.journal.rejected,
    [{ seq: 5 }, { seq: 26, reason: /MAC/ }],
    "the terminal's status shows what was refused",
  );
});
