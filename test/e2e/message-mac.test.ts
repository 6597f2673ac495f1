/**
 * Signed till messages (docs/security.md), against a real Mosquitto
 * with a password per till and no ACL — the set-up where one till's broker password can
 * publish on every till's topics (deploy/mosquitto/acl stops that at the broker:
 * reconcile-security.test.ts) — the real server on PGlite and the real agent.
 *
 * - Requests forged with another till's password (no seal, its own key's seal, an edited
 *   capture) are refused before the ledger, alerted and counted: nothing is debited.
 * - A captured valid request replayed is refused, and after the window refused as stale.
 * - Replies forged to a till (a decline, a till-operation rejection, a journal ack with
 *   rejected entries) are dropped: they never show in its sale, its API or its status.
 * - A till head office does not know (or holds another key for) says TERMINAL_NOT_REGISTERED
 *   in its status, its doctor row and its declines, at once instead of timing out.
 */
import { randomBytes } from "node:crypto";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import mqtt, { type MqttClient } from "mqtt";
import { pino } from "pino";
import t, { type Test } from "tap";
import { type RunningAgent, startAgent } from "../../agent/agent.js";
import { serverCheck } from "../../agent/doctor/server-check.js";
import { silentLogger } from "../../agent/logger.js";
import { deriveMessageKeys, sealPayload } from "../../protocol/message-mac.js";
import { topics } from "../../protocol/topics.js";
import { type HqServer, startHqServer } from "../../server/hq-server.js";
import { mosquittoPasswdLine, newBrokerPassword } from "../../server/provision/mosquitto-passwd.js";
import { testAgentConfig } from "../helpers/agent-config.js";
import { postSale } from "../helpers/api-client.js";
import { type MosquittoBroker, startMosquitto } from "../helpers/mosquitto.js";
import { tempDir } from "../helpers/temp-dir.js";
import { waitFor } from "../helpers/wait-for.js";
import { openTestDb, resetLedger, T1, T2 } from "../server/ledger-fixture.js";
import { commitEntries, ZHANG } from "./reconcile-rig.js";

const db = await openTestDb();
t.teardown(() => db.close());
const dir = await tempDir(t, "cardterm-mac-");
const passwords: Record<string, string> = {
  T001: newBrokerPassword(),
  T002: newBrokerPassword(),
  T009: newBrokerPassword(),
  "cardterm-hq": newBrokerPassword(),
};
const passwd = join(dir, "passwd");
await writeFile(
  passwd,
  `${Object.entries(passwords)
    .map(([u, p]) => mosquittoPasswdLine(u, p))
    .join("\n")}\n`,
);
const broker: MosquittoBroker = await startMosquitto({ passwordFile: passwd });
t.teardown(() => broker.close());

interface Central {
  hq: HqServer;
  /** Moves the server's clock (ms ahead of real time). */
  clock: { offsetMs: number };
}

async function central(t: Test): Promise<Central> {
  await resetLedger(db);
  const clock = { offsetMs: 0 };
  const hq = await startHqServer({
    mqttUrl: broker.url,
    mqttUsername: "cardterm-hq",
    mqttPassword: passwords["cardterm-hq"],
    db,
    log: pino({ level: "silent" }),
    now: () => Date.now() + clock.offsetMs,
  });
  t.teardown(() => hq.close());
  return { hq, clock };
}

interface Till {
  agent: RunningAgent;
  config: ReturnType<typeof testAgentConfig>;
}

async function till(t: Test, terminalId: string, key: Buffer): Promise<Till> {
  const config = testAgentConfig({
    dataDir: await tempDir(t, "cardterm-mac-agent-"),
    mqttUrl: broker.url,
    key,
    terminalId,
    authTimeoutMs: 3000,
  });
  config.server.username = terminalId;
  config.server.password = passwords[terminalId];
  const agent = await startAgent(config, {
    log: silentLogger(),
    backoff: { baseMs: 50, capMs: 250 },
    ackTimeoutMs: 500,
    heartbeatMs: 60_000,
  });
  t.teardown(() => agent.close());
  await waitFor("the till to connect", () => agent.link.isConnected());
  return { agent, config };
}

/** A bare client with a till's broker password: what an intruder holding it can do. */
async function intruder(t: Test, user: string): Promise<MqttClient> {
  const c = await mqtt.connectAsync(broker.url, {
    username: user,
    password: passwords[user],
    protocolVersion: 4,
    reconnectPeriod: 0,
    clientId: `intruder-${randomBytes(4).toString("hex")}`,
  });
  t.teardown(() => c.endAsync(true));
  return c;
}

type Status = {
  server: { standing: string; standingDetail: string | null; repliesDropped: number };
  journal: { pending: number; rejected: unknown[] };
};
const status = (a: RunningAgent) => a.status() as unknown as Status;
const refusals = (hq: HqServer) => Object.values(hq.messageRefusals?.() ?? {}).reduce((n, c) => n + c, 0);

t.test("requests forged with another till's broker password are refused and alerted; nothing is debited", async (t) => {
  const { hq } = await central(t);
  const real = await till(t, T1.id, T1.key);
  const before = await hq.ledger.getCard(ZHANG);
  const t2 = await intruder(t, "T002");
  const heard: Record<string, unknown>[] = [];
  // What comes back on the reply topics (no ACL: T002's password reads T001's replies too).
  await t2.subscribeAsync([topics.authReply(T1.id), topics.tillOpReply(T1.id), topics.ack(T1.id)], { qos: 1 });
  t2.on("message", (_topic, payload) => heard.push(JSON.parse(payload.toString())));
  const auth = topics.authRequest(T1.id);
  const pub = (topic: string, payload: string) => t2.publishAsync(topic, payload, { qos: 1 });
  // As T001: a debit of 100.00 unsealed, then sealed with T002's own key.
  await pub(auth, JSON.stringify(T1.authRequest(ZHANG, 10_000)));
  await pub(
    auth,
    sealPayload(deriveMessageKeys(T2.key).up, "up", auth, { ...T1.authRequest(ZHANG, 10_000) }, Date.now()),
  );
  // A top-up of 1000.00 to 张伟's card, and a journal batch crediting it (its entry MAC'd, the message not).
  const now = new Date().toISOString();
  await pub(
    topics.tillOp(T1.id),
    JSON.stringify({
      v: 1,
      corr: "forged-op",
      terminalId: T1.id,
      operatorId: "001",
      businessDay: now.slice(0, 10),
      at: now,
      op: "topup",
      txnId: "forged-topup",
      cardId: ZHANG,
      amount: 100_000,
      payment: "cash",
    }),
  );
  await pub(topics.journal(T1.id), JSON.stringify({ v: 1, terminalId: T1.id, entries: [T1.topup(ZHANG, 100_000)] }));
  // (Before the seal check, the first of them was debited: then this wait ends on it.)
  await waitFor(
    "the server to refuse all four",
    async () => refusals(hq) >= 4 || (await hq.ledger.ledgerTotals()).count > 0,
  );
  await hq.idle();

  t.same(await hq.ledger.getCard(ZHANG), before, "张伟's balance is untouched");
  t.equal((await hq.ledger.ledgerTotals()).count, 0, "nothing in the ledger");
  t.same(hq.messageRefusals?.(), { unsigned: 3, "bad-mac": 1 });
  t.match(await hq.ledger.listAlerts(), [
    {
      kind: "message-unsigned",
      terminalId: T1.id,
      detail: /up\/auth: refused, never applied: the message has no seal/,
    },
    { kind: "message-forged", terminalId: T1.id, detail: /does not match this terminal's key/ },
  ]);
  t.notOk(
    heard.some((m) => "approved" in m || "ok" in m || "ackedSeq" in m),
    "the intruder got no approval, answer or ack",
  );
  t.ok(
    heard.every((m) => m.refused === "TERMINAL_NOT_REGISTERED"),
    "only refusal notices",
  );
  const s = status(real.agent);
  await waitFor("T001's standing", () => status(real.agent).server?.standing === "registered").then(
    () => t.pass("notices for requests T001 never sent do not change its standing"),
    (err: Error) => t.fail(err.message),
  );
  t.same(s.journal.rejected, []);
  const sale = await postSale(real.agent.url, { amount: 2_500, cardUid: ZHANG.slice(3) });
  t.match(sale.body, { approved: true, mode: "online" }, "the real till still sells online");
});

t.test(
  "a captured valid request replayed is refused; edited it fails its seal; after the window it is stale",
  async (t) => {
    const { hq, clock } = await central(t);
    const real = await till(t, T1.id, T1.key);
    const snoop = await intruder(t, "T002");
    const captured: string[] = [];
    await snoop.subscribeAsync(topics.authRequest(T1.id), { qos: 1 });
    snoop.on("message", (_topic, payload) => captured.push(payload.toString()));
    const sale = await postSale(real.agent.url, { amount: 2_500, cardUid: ZHANG.slice(3) });
    t.match(sale.body, { approved: true, mode: "online" });
    const once = await hq.ledger.getCard(ZHANG);
    const request = await waitFor("the sealed request captured", () => captured[0]);
    t.match(JSON.parse(request), { sig: { v: 1, mac: /^[0-9a-f]{64}$/ } }, "it travelled sealed");

    const auth = topics.authRequest(T1.id);
    await snoop.publishAsync(auth, request, { qos: 1 });
    // The same seal on a new sale of 999.99.
    const edited = { ...JSON.parse(request), txnId: "replayed-bigger", gross: 99_999 };
    await snoop.publishAsync(auth, JSON.stringify(edited), { qos: 1 });
    await waitFor("both refused", () => refusals(hq) >= 2);
    clock.offsetMs = 3 * 60_000;
    await snoop.publishAsync(auth, request, { qos: 1 });
    await waitFor("the late replay refused", () => refusals(hq) >= 3);
    await hq.idle();

    t.same(hq.messageRefusals(), { replayed: 1, "bad-mac": 1, stale: 1 });
    t.same(await hq.ledger.getCard(ZHANG), once, "debited once, for the real sale only");
    t.equal((await hq.ledger.ledgerTotals()).count, 1);
    t.match(await hq.ledger.listAlerts(), [
      { kind: "message-replayed", terminalId: T1.id, detail: /already taken/ },
      { kind: "message-forged", terminalId: T1.id },
      { kind: "message-stale", terminalId: T1.id, detail: /off by -1\d\d s/ },
    ]);
  },
);

t.test("forged replies to a till — a decline, a till-op rejection, an ack with rejections — never show", async (t) => {
  await resetLedger(db); // no server: only the forger answers
  const real = await till(t, T1.id, T1.key);
  await commitEntries(real.agent, 3);
  const forger = await intruder(t, "T002");
  await forger.subscribeAsync([topics.authRequest(T1.id), topics.tillOp(T1.id)], { qos: 1 });
  const wrongDown = deriveMessageKeys(T2.key).down;
  forger.on("message", (topic, payload) => {
    const req = JSON.parse(payload.toString()) as { corr: string; txnId?: string };
    const [replyTopic, reply] =
      topic === topics.authRequest(T1.id)
        ? [
            topics.authReply(T1.id),
            { v: 1, corr: req.corr, txnId: req.txnId, approved: false, code: "CARD_NOT_ACTIVE", card: null },
          ]
        : [topics.tillOpReply(T1.id), { v: 1, corr: req.corr, ok: false, code: "CARD_NOT_ACTIVE", message: "forged" }];
    void forger.publishAsync(replyTopic, JSON.stringify(reply), { qos: 1 });
    void forger.publishAsync(replyTopic, sealPayload(wrongDown, "down", replyTopic, reply, Date.now()), { qos: 1 });
  });
  const ack = { v: 1, ackedSeq: 3, rejected: [{ seq: 1, reason: "forged: MAC does not match" }] };
  await forger.publishAsync(topics.ack(T1.id), JSON.stringify(ack), { qos: 1 });
  await forger.publishAsync(topics.ack(T1.id), sealPayload(wrongDown, "down", topics.ack(T1.id), ack, Date.now()), {
    qos: 1,
  });

  const sale = await postSale(real.agent.url, { amount: 2_500, cardUid: ZHANG.slice(3) });
  t.equal(sale.body.mode, "offline", "no reply was taken: the till decided offline after its timeout");
  t.not(sale.body.code, "CARD_NOT_ACTIVE", `declined ${sale.body.code} by its own rules, not by the forger`);
  const topup = await fetch(`${real.agent.url}/api/v1/topups`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ amount: 10_000, cardUid: ZHANG.slice(3), payment: "cash" }),
  });
  t.match({ status: topup.status, body: await topup.json() }, { status: 504, body: { code: "CT_SERVER_TIMEOUT" } });
  const s = await waitFor("the drops counted", () => {
    const v = status(real.agent);
    return v.server.repliesDropped >= 6 ? v : undefined;
  });
  t.same(s.journal.rejected, [], "no forged rejection in the status");
  const metrics = await (await fetch(`${real.agent.url}/metrics`)).text();
  const dropped = Number(/^cardterm_replies_dropped (\d+)$/m.exec(metrics)?.[1]);
  t.ok(dropped >= 6, `${dropped} drops in /metrics`);
  t.equal(s.journal.pending, 3, "nothing trimmed on a forged ack");
  t.not(s.server.standing, "registered");
});

t.test("a till head office does not know says TERMINAL_NOT_REGISTERED in status, doctor and declines", async (t) => {
  const { hq } = await central(t);
  const key = randomBytes(32);
  const stranger = await till(t, "T009", key);
  const s = await waitFor("the standing", () => {
    const v = status(stranger.agent);
    return v.server.standing === "TERMINAL_NOT_REGISTERED" ? v : undefined;
  });
  t.match(s.server.standingDetail, /head office has no terminal T009: register it with cardterm-hq terminal add T009/);
  const metrics = await (await fetch(`${stranger.agent.url}/metrics`)).text();
  t.match(metrics, /^cardterm_server_standing\{standing="TERMINAL_NOT_REGISTERED"\} 0$/m, "and in /metrics");

  const started = Date.now();
  const sale = await postSale(stranger.agent.url, { amount: 2_500, cardUid: ZHANG.slice(3) });
  t.match(sale.body, { approved: false, mode: "online", code: "TERMINAL_NOT_REGISTERED", reason: /总部不认可本机/ });
  t.ok(Date.now() - started < 3000, `answered in ${Date.now() - started} ms, not after the 3 s timeout`);
  t.equal(status(stranger.agent).journal.pending, 0, "no journal entry for it");
  const topup = await fetch(`${stranger.agent.url}/api/v1/topups`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ amount: 10_000, cardUid: ZHANG.slice(3), payment: "cash" }),
  });
  t.match(
    { status: topup.status, body: await topup.json() },
    { status: 503, body: { code: "CT_TERMINAL_NOT_REGISTERED" } },
  );
  const ctx = { lang: "en" as const, signal: new AbortController().signal, now: Date.now };
  const row = await serverCheck({ config: stranger.config, label: "server", agent: null, waitMs: 5000 }).run(ctx);
  t.match(row, {
    verdict: "FAIL",
    code: "CT_TERMINAL_NOT_REGISTERED",
    detail: /does not recognise till T009/,
    fix: /cardterm-hq terminal add T009/,
  });
  const alerts = (await hq.ledger.listAlerts()).filter((a) => a.terminalId === "T009");
  t.match(alerts, [{ kind: "unknown-terminal", detail: /no terminal of this id is registered/ }]);

  // Registered now (as `terminal add` does): the next sale goes through and the standing clears.
  await db.query("INSERT INTO terminals (id, key_hex) VALUES ($1, $2)", ["T009", key.toString("hex")]);
  await new Promise((r) => setTimeout(r, 1_100)); // the guard reads a refused key again after a second
  const after = await postSale(stranger.agent.url, { amount: 2_500, cardUid: ZHANG.slice(3) });
  t.match(after.body, { approved: true, mode: "online" });
  t.equal(status(stranger.agent).server.standing, "registered");
});

t.test("a till whose key head office does not hold is told so, not left to time out", async (t) => {
  await central(t);
  const misprovisioned = await till(t, T1.id, randomBytes(32));
  const s = await waitFor("the standing", () => {
    const v = status(misprovisioned.agent);
    return v.server.standing === "TERMINAL_NOT_REGISTERED" ? v : undefined;
  });
  t.match(s.server.standingDetail, /the key of terminal T001 at head office does not match this till's/);
  const sale = await postSale(misprovisioned.agent.url, { amount: 2_500, cardUid: ZHANG.slice(3) });
  t.match(sale.body, { approved: false, code: "TERMINAL_NOT_REGISTERED" });
});
