/**
 * Online authorisation round trip: the agent's own AuthClient over its MqttLink
 * asks the real server, over a real Mosquitto on loopback, to authorise a sale against a
 * PostgreSQL 15 ledger (durable settings), one request at a time — beside two floors
 * measured in the same run: a bare MQTT request/response through the same broker (an echo
 * client, TCP_NODELAY both sides) and one durable single-statement PostgreSQL commit.
 *
 *   npx tsx bench/auth-roundtrip.ts [samples]
 *
 * Targets: median ≤ 3 ms, p99 ≤ 10 ms.
 */
import { randomUUID } from "node:crypto";
import mqtt from "mqtt";
import { silentLogger } from "../agent/logger.js";
import { AuthClient } from "../agent/sync/auth-client.js";
import { MqttLink } from "../agent/sync/mqtt-link.js";
import { topics } from "../protocol/topics.js";
import { startRig } from "./ingest-rig.js";
import { fmt, nowMs, printTable, type Summary, summarize } from "./stats.js";

const SAMPLES = Number(process.argv[2] ?? 2000);
const WARMUP = 200;

async function timed(n: number, once: (i: number) => Promise<void>): Promise<Summary> {
  for (let i = 0; i < WARMUP; i++) await once(i);
  const samples: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = nowMs();
    await once(i);
    samples.push(nowMs() - t0);
  }
  return summarize(samples);
}

/** Bare MQTT request/response: publish, an echo client republishes, wait for it (QoS 1 both ways). */
async function mqttFloor(url: string): Promise<Summary> {
  const noDelay = (c: mqtt.MqttClient) => (c.stream as { setNoDelay?: (b: boolean) => void }).setNoDelay?.(true);
  const echo = await mqtt.connectAsync(url, { protocolVersion: 4 });
  const asker = await mqtt.connectAsync(url, { protocolVersion: 4 });
  noDelay(echo);
  noDelay(asker);
  await echo.subscribeAsync("floor/req", { qos: 1 });
  await asker.subscribeAsync("floor/resp", { qos: 1 });
  echo.on("message", (_t, payload) => echo.publish("floor/resp", payload, { qos: 1 }));
  let waiting: ((p: string) => void) | undefined;
  asker.on("message", (_t, payload) => waiting?.(payload.toString()));
  const body = "x".repeat(300);
  const s = await timed(SAMPLES, async () => {
    const corr = randomUUID();
    const got = new Promise<void>((resolve) => {
      waiting = (p) => p.startsWith(corr) && resolve();
    });
    asker.publish("floor/req", `${corr}${body}`, { qos: 1 });
    await got;
  });
  await Promise.all([echo.endAsync(), asker.endAsync()]);
  return s;
}

async function main(): Promise<void> {
  const rig = await startRig({ terminals: 1, members: 2_000 });
  try {
    const term = rig.terminals[0]!;
    const mqttFloorS = await mqttFloor(rig.broker.url);
    await rig.db.query("CREATE TABLE floor_counter (id int PRIMARY KEY, n bigint)");
    await rig.db.query("INSERT INTO floor_counter VALUES (1, 0)");
    const pgFloorS = await timed(SAMPLES, async () => {
      await rig.db.query("UPDATE floor_counter SET n = n + 1 WHERE id = 1");
    });

    const log = silentLogger();
    const link = new MqttLink({
      url: rig.broker.url,
      terminalId: term.id,
      subscriptions: [topics.authReply(term.id)],
      log,
    });
    const connected = new Promise<void>((resolve) => link.once("connected", () => resolve()));
    link.start();
    await connected;
    const auth = new AuthClient(link, term.id, log, () => {});
    let declined = 0;
    const authS = await timed(SAMPLES, async (i) => {
      const reply = await auth.authorise(
        {
          txnId: randomUUID(),
          terminalId: term.id,
          operatorId: "001",
          cardId: rig.cards[i % rig.cards.length]!,
          kind: "sale",
          gross: 100 + (i % 500),
          businessDay: "2026-11-22",
          at: new Date().toISOString(),
        },
        5_000,
      );
      if (reply === "timeout") throw new Error("authorisation timed out");
      if ("refused" in reply) throw new Error(`head office refused the till: ${reply.detail}`);
      if (!reply.approved) declined++;
    });
    await link.close();

    const row = (name: string, s: Summary, target = "") => ({
      case: name,
      n: s.n,
      "median ms": fmt(s.median),
      "p99 ms": fmt(s.p99),
      "max ms": fmt(s.max),
      target,
    });
    printTable([
      row("floor: MQTT request/response (echo)", mqttFloorS),
      row("floor: PostgreSQL durable UPDATE", pgFloorS),
      row("online authorisation (AuthClient → server → PG)", authS, "median ≤ 3, p99 ≤ 10"),
    ]);
    if (declined > 0) console.log(`(${declined} declined — every request should have been approved)`);
    console.log(
      `authorisation minus both floors: median ${fmt(authS.median - mqttFloorS.median - pgFloorS.median)} ms (the server's own share)`,
    );
    console.log(`ledger reconciles: ${(await rig.hq.ledger.reconcile()).length === 0 ? "yes" : "NO"}`);
  } finally {
    await rig.close();
  }
}

await main();
