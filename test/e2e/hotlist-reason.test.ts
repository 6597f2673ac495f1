/**
 * Why a card is on the hotlist reaches the till: a card listed for a
 * shortfall — an offline sale elsewhere went past its balance — is declined offline
 * saying it owes money and to top it up, not "lost or frozen". Real Mosquitto, the real
 * server, a real agent; another till's batch makes the shortfall.
 */
import { readFile } from "node:fs/promises";
import { pino } from "pino";
import t from "tap";
import type { HotlistDocument } from "../../protocol/messages.js";
import { parseMoney } from "../../rules/money.js";
import { startHqServer } from "../../server/hq-server.js";
import { postSale } from "../helpers/api-client.js";
import { startMosquitto } from "../helpers/mosquitto.js";
import { waitFor } from "../helpers/wait-for.js";
import { openTestDb, resetLedger, T2 } from "../server/ledger-fixture.js";
import { MqttTerminal } from "../server/mqtt-terminal.js";
import { startTestAgent, WANG } from "./reconcile-rig.js";

const FROZEN = "ic:0BADCAFE"; // 刘洋, frozen in the seed

t.test("a card hotlisted for a shortfall is declined offline as owing money; a frozen one as before", async (t) => {
  const db = await openTestDb();
  t.teardown(() => db.close());
  await resetLedger(db);
  const broker = await startMosquitto();
  t.teardown(() => broker.close());
  let hq = await startHqServer({ mqttUrl: broker.url, db, reconnectPeriodMs: 100, log: pino({ level: "silent" }) });
  t.teardown(() => hq.close());
  const other = await MqttTerminal.connect(broker.url, T2);
  t.teardown(() => other.close());
  const ta = await startTestAgent(t, broker.url);
  const held = async () =>
    JSON.parse(await readFile(`${ta.dataDir}/hotlist.json`, "utf8").catch(() => "{}")) as Partial<HotlistDocument>;

  // 王芳 has ¥50.00; another till sold ¥80.00 offline: the server records a shortfall and lists her card.
  const before = (await hq.ledger.getHotlist()).version;
  await other.sendBatch([T2.sale(WANG, parseMoney("80.00"))]);
  await waitFor("the shortfall to list the card", async () => (await hq.ledger.getHotlist()).version > before);
  const server = await hq.ledger.getHotlist();
  t.same(
    server.reasons,
    { [WANG]: "shortfall" },
    "the server's document says why (a frozen card needs no reason: worded as before)",
  );
  await waitFor("the till to hold the new version", async () => (await held()).version === server.version);
  t.match((await held()).reasons, { [WANG]: "shortfall" }, "and the till keeps the reason with the list");

  // Head office out of reach: the till decides offline, on its hotlist.
  await hq.close();
  const owing = await postSale(ta.agent.url, { amount: 1_000, cardUid: WANG });
  t.match(owing.body, { approved: false, mode: "offline", code: "CARD_IN_DEBT" });
  t.match(owing.body.reason, /欠款.*充值/, "says it owes money and what to do");
  t.notMatch(owing.body.reason, /挂失|冻结/, "not 'lost or frozen'");
  const frozen = await postSale(ta.agent.url, { amount: 1_000, cardUid: FROZEN });
  t.match(frozen.body, { approved: false, code: "CARD_HOTLISTED" }, "a frozen card is refused as before");

  // A top-up at head office covers the debt: the card comes off the list, reason and all.
  hq = await startHqServer({ mqttUrl: broker.url, db, reconnectPeriodMs: 100, log: pino({ level: "silent" }) });
  await other.sendBatch([T2.topup(WANG, parseMoney("100.00"))]);
  await waitFor("the card off the list", async () => !(await hq.ledger.getHotlist()).cards.includes(WANG));
  const cleared = await hq.ledger.getHotlist();
  await waitFor("the till to follow", async () => (await held()).version === cleared.version);
  t.notOk((await held()).reasons?.[WANG], "no reason left for a card off the list");
});
