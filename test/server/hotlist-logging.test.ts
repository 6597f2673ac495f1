/**
 * Head office's log says when money goes short and when the hotlist changes (neither
 * used to be): a batch that makes a shortfall logs a warning naming the
 * till and the count; every published hotlist change logs its version, what was added
 * and removed (card ids masked) and why. Embedded broker, the real server on PGlite.
 */
import { Writable } from "node:stream";
import { pino } from "pino";
import t from "tap";
import { startEmbeddedBroker } from "../../agent/demo/embedded-broker.js";
import { parseMoney } from "../../rules/money.js";
import { startHqServer } from "../../server/hq-server.js";
import { freePort } from "../helpers/free-port.js";
import { waitFor } from "../helpers/wait-for.js";
import { openTestDb, resetLedger, T2 } from "./ledger-fixture.js";
import { MqttTerminal } from "./mqtt-terminal.js";

const WANG = "ic:0A0B0C0D"; // standard, ¥50.00

t.test("a shortfall and the hotlist changes it makes are logged", async (t) => {
  const db = await openTestDb();
  t.teardown(() => db.close());
  await resetLedger(db);
  const broker = await startEmbeddedBroker(await freePort());
  t.teardown(() => broker.close());
  const lines: { level: number; msg: string; [k: string]: unknown }[] = [];
  const raw: string[] = [];
  const sink = new Writable({
    write(chunk, _enc, done) {
      for (const l of String(chunk).split("\n").filter(Boolean)) {
        raw.push(l);
        lines.push(JSON.parse(l));
      }
      done();
    },
  });
  const hq = await startHqServer({ mqttUrl: broker.url, db, log: pino({ level: "info" }, sink) });
  t.teardown(() => hq.close());
  const till = await MqttTerminal.connect(broker.url, T2);
  t.teardown(() => till.close());

  const before = (await hq.ledger.getHotlist()).version;
  await till.sendBatch([T2.sale(WANG, parseMoney("80.00"))]);
  const changed = await waitFor("the hotlist change to be logged", () =>
    lines.find((l) => l.msg === "hotlist changed" && l.version === before + 1),
  );
  const short = lines.find((l) => /shortfall/.test(l.msg));
  t.match(short, { level: 40, terminalId: "T002", shortfalls: 1 }, "a warning for the shortfall");
  t.match(changed, { level: 30, version: before + 1, added: [/^ic:0A0B\*+/], removed: [], reasons: { shortfall: 1 } });
  t.notOk(
    raw.some((l) => l.includes("0A0B0C0D")),
    "no whole card id in the log",
  );

  await till.sendBatch([T2.topup(WANG, parseMoney("100.00"))]);
  const cleared = await waitFor("the card taken off, logged", () =>
    lines.find((l) => l.msg === "hotlist changed" && l.version === before + 2),
  );
  t.match(cleared, { added: [], removed: [/^ic:0A0B\*+/] });
});
