import { pino } from "pino";
import t from "tap";
import { type HqServer, startHqServer } from "../../server/hq-server.js";
import { startMosquitto } from "../helpers/mosquitto.js";
import { openTestDb, resetLedger, T1 } from "./ledger-fixture.js";
import { MqttTerminal } from "./mqtt-terminal.js";
import { demoBalance } from "./test-terminal.js";

const ZHANG = "ic:04A1B2C3";

t.test("two server instances split one terminal's ingest through a shared subscription (Mosquitto)", async (t) => {
  const db = await openTestDb();
  t.teardown(() => db.close());
  await resetLedger(db);
  const broker = await startMosquitto();
  t.teardown(() => broker.close());
  const handled = [0, 0];
  const servers: HqServer[] = [];
  for (const i of [0, 1]) {
    const log = pino(
      { level: "info" },
      {
        write: (line: string) => {
          const l = JSON.parse(line);
          if (l.msg === "journal batch") handled[i]! += l.batches; // batches queued together are applied together
        },
      },
    );
    const s = await startHqServer({ mqttUrl: broker.url, db, clientId: `hq-${i}`, sharedGroup: "hq", log });
    servers.push(s);
    t.teardown(() => s.close());
  }
  const term = await MqttTerminal.connect(broker.url, T1);
  t.teardown(() => term.close());
  const entries = Array.from({ length: 20 }, () => T1.sale(ZHANG, 100));
  // Like the agent, every batch carries everything not yet acked, so a batch one instance
  // holds behind a gap is covered by a later one.
  for (let k = 1; k <= entries.length; k++) await term.sendBatch(entries.slice(0, k));
  await term.waitAck((a) => a.ackedSeq === 20);
  await Promise.all(servers.map((s) => s.idle()));
  t.equal(handled[0]! + handled[1]!, 20, "each batch was handled by exactly one instance");
  t.ok(handled[0]! > 0 && handled[1]! > 0, `both instances took a share (${handled.join(" / ")})`);
  t.equal((await servers[0]!.ledger.ledgerTotals()).count, 20);
  t.match(await servers[0]!.ledger.getCard(ZHANG), { balance: demoBalance(ZHANG) - 20 * 88 });
  t.same(await servers[0]!.ledger.reconcile(), []);
});
