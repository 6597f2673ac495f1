/**
 * The broker goes away and comes back: tills took 8–22 s to reconnect
 * after a LAN broker returned, and head office logged a warning about once a second the
 * whole time. With the defaults as shipped (no test backoff), against a real Mosquitto
 * killed and restarted: the till and the server are back within the backoff cap (5 s)
 * plus a connect, and each side logs the outage a handful of times, not per attempt.
 */
import { Writable } from "node:stream";
import { pino } from "pino";
import t from "tap";
import { startAgent } from "../../agent/agent.js";
import { createLogger } from "../../agent/logger.js";
import { startHqServer } from "../../server/hq-server.js";
import { testAgentConfig } from "../helpers/agent-config.js";
import { startMosquitto } from "../helpers/mosquitto.js";
import { tempDir } from "../helpers/temp-dir.js";
import { waitFor } from "../helpers/wait-for.js";
import { openTestDb, resetLedger, T1 } from "../server/ledger-fixture.js";

const OUTAGE_MS = 14_000;
/** The backoff cap, a connect on loopback, and room for a loaded test machine. */
const BACK_WITHIN_MS = 5_000 + 2_500;

interface Line {
  level: number;
  msg: string;
  time: number;
}

function capture(): { lines: Line[]; stream: Writable } {
  const lines: Line[] = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      for (const l of String(chunk).split("\n").filter(Boolean)) lines.push(JSON.parse(l));
      done();
    },
  });
  return { lines, stream };
}

t.test(
  "after a 14 s broker outage the till and head office are back within the cap, logging a few lines",
  async (t) => {
    const db = await openTestDb();
    t.teardown(() => db.close());
    await resetLedger(db);
    const broker = await startMosquitto();
    t.teardown(() => broker.close());
    const hqLog = capture();
    const hq = await startHqServer({ mqttUrl: broker.url, db, log: pino({ level: "info" }, hqLog.stream) });
    t.teardown(() => hq.close());
    const tillLog = capture();
    const config = testAgentConfig({ dataDir: await tempDir(t), mqttUrl: broker.url, key: T1.key, terminalId: T1.id });
    const agent = await startAgent(config, { log: createLogger({ level: "info", destination: tillLog.stream }) });
    t.teardown(() => agent.close());
    await waitFor("the till connected", () => agent.link.isConnected());
    const hqConnected = () => hqLog.lines.filter((l) => /connected to MQTT broker/.test(l.msg)).length;
    await waitFor("head office connected", () => hqConnected() >= 1);

    const down = Date.now();
    await broker.stop();
    await waitFor("the till to notice", () => !agent.link.isConnected());
    await new Promise((r) => setTimeout(r, OUTAGE_MS - (Date.now() - down)));
    const hqBefore = hqConnected();
    await broker.start();
    const up = Date.now();
    const [tillMs, hqMs] = await Promise.all([
      waitFor("the till back", () => agent.link.isConnected(), 30_000, 20).then(() => Date.now() - up),
      waitFor("head office back", () => hqConnected() > hqBefore, 30_000, 20).then(() => Date.now() - up),
    ]);
    t.comment(`reconnect after the broker returned: till ${tillMs} ms, head office ${hqMs} ms`);
    t.ok(tillMs < BACK_WITHIN_MS, `the till reconnected ${tillMs} ms after the broker returned`);
    t.ok(hqMs < BACK_WITHIN_MS, `head office reconnected ${hqMs} ms after the broker returned`);

    const during = (lines: Line[]) => lines.filter((l) => l.level >= 40 && l.time >= down && l.time < up);
    const hqWarnings = during(hqLog.lines);
    const tillWarnings = during(tillLog.lines);
    t.comment(`warnings during the outage: head office ${hqWarnings.length}, till ${tillWarnings.length}`);
    t.ok(hqWarnings.length <= 5, `head office: ${hqWarnings.map((l) => l.msg).join(" | ")}`);
    t.ok(tillWarnings.length <= 5, `till: ${tillWarnings.map((l) => l.msg).join(" | ")}`);
    t.ok(
      hqLog.lines.some((l) => l.time >= up && /back after \d+ attempts/.test(l.msg)),
      "head office says when it is back and how long it took",
    );
    t.ok(
      tillLog.lines.some((l) => l.time >= up && /back after \d+ attempts/.test(l.msg)),
      "so does the till",
    );
  },
);
