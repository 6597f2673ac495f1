/**
 * Crash sweep: the agent process is SIGKILLed at each crash point between tap
 * and approval, again and again on the same data directory. After every kill the
 * journal must hold every approval the POS saw, with no gap in the sequence and a chain
 * that verifies — and the restarted agent approves again.
 *
 * Online (docs/reconciliation.md), against Mosquitto and the central server: killed after the
 * till's intent is durable and before it asks, and after the server approved (holding the
 * money) and before the till's commit. Once restarted and drained, the server holds no
 * debit the till did not journal, no hold is left open, and the balance is whole.
 */
import { randomBytes } from "node:crypto";
import { writeFile } from "node:fs/promises";
import t from "tap";
import { CRASH_POINTS, ONLINE_CRASH_POINTS } from "../../agent/faults/crash-points.js";
import { TerminalLedger } from "../../agent/journal/terminal-ledger.js";
import { silentLogger } from "../../agent/logger.js";
import { demoPolicy } from "../../rules/policy.js";
import { issueCard } from "../../server/backoffice/card-issue.js";
import { topUpAtHq } from "../../server/backoffice/top-up.js";
import { startHqServer } from "../../server/hq-server.js";
import {
  balancesAgainstJournal,
  debitsWithoutJournal,
  openHolds,
  serverDebits,
  serverJournalTxns,
  tillJournal,
} from "../e2e/debit-audit.js";
import { startAgentProcess } from "../helpers/agent-process.js";
import { getJson, postSale } from "../helpers/api-client.js";
import { freePort } from "../helpers/free-port.js";
import { startMosquitto } from "../helpers/mosquitto.js";
import { tempDir } from "../helpers/temp-dir.js";
import { waitFor } from "../helpers/wait-for.js";

const CARD = "ic:04A1B2C3";

/**
 * The points an offline sale passes. The `store:` points belong to whole-file writes
 * (journal.json on an ack, a card refresh or a PIN attempt; print jobs), which an offline
 * sale without a PIN does not make; the power-loss suite crashes those op by op.
 */
const SALE_PATH = CRASH_POINTS.filter((p) => !p.startsWith("store:"));

/** A box that has been online before: policy, the card and a recent contact, then the network went away. */
async function offlineBox(dir: string, key: Buffer): Promise<void> {
  await writeFile(`${dir}/policy.json`, JSON.stringify(demoPolicy()));
  const ledger = await TerminalLedger.open({ dataDir: dir, terminalId: "T001", key });
  ledger.noteContact(Date.now()); // written with the card below
  await ledger.rememberCard(
    {
      cardId: CARD,
      accountId: "A1",
      memberName: "张伟",
      cardType: "standard",
      status: "active",
      balance: 10_000_000,
      points: 0,
    },
    { appliedSeq: 0, onlineThrough: 0 },
    Date.now(),
  );
  await ledger.close();
}

t.test("SIGKILL at every point between tap and approval never loses an approval or breaks the chain", async (t) => {
  const dir = await tempDir(t);
  const key = randomBytes(32);
  await offlineBox(dir, key);
  const apiPort = await freePort();
  const config = `${dir}/cardterm.yaml`;
  await writeFile(
    config,
    [
      "version: 1",
      "terminal:",
      "  id: T001",
      `  key: { hex: "${key.toString("hex")}" }`,
      `  dataDir: ${dir}`,
      "api: { host: 127.0.0.1, port: " + apiPort + " }",
      "server:",
      `  mqttUrl: mqtt://127.0.0.1:${await freePort()}`, // nothing listens: the till is offline
      "offline:",
      '  perTransaction: "100.00"',
      '  perCard: "100000.00"',
      "  perCardCount: 100000",
      '  terminalTotal: "100000.00"',
      "  terminalCount: 100000",
    ].join("\n"),
  );

  const seen = new Set<string>(); // approvals the POS was shown
  let kills = 0;
  for (const point of SALE_PATH) {
    for (const nth of [1, 2]) {
      const agent = await startAgentProcess({ config, apiPort, env: { CARDTERM_CRASH_AT: `${point}:${nth}` } });
      t.teardown(() => agent.kill()); // never leave a child behind, even when the test fails
      for (let i = 0; i < 4; i++) {
        const reply = await postSale(agent.url, { amount: 100, cardUid: CARD }).catch(() => undefined);
        if (!reply) break; // killed mid-request: this sale was never shown as approved
        t.equal(reply.body.approved, true, `sale approved before the crash at ${point}#${nth}`);
        seen.add(reply.body.txnId);
      }
      const stillAlive = setTimeout(() => void agent.kill("SIGTERM"), 5000); // a crash point never reached fails below
      const { signal } = await agent.exited;
      clearTimeout(stillAlive);
      t.equal(signal, "SIGKILL", `killed at ${point}#${nth}`);
      kills++;

      const ledger = await TerminalLedger.open({ dataDir: dir, terminalId: "T001", key, readOnly: true });
      t.same(ledger.checkIntegrity(), { ok: true }, `chain verifies after the crash at ${point}#${nth}`);
      const entries = ledger.pending();
      const txns = new Set(entries.map((e) => e.txnId));
      const missing = [...seen].filter((id) => !txns.has(id));
      t.same(missing, [], `every approval shown survived the crash at ${point}#${nth}`);
      t.same(
        entries.map((e) => e.seq),
        entries.map((_, i) => i + 1),
        "sequence numbers have no gap",
      );
    }
  }
  t.equal(kills, SALE_PATH.length * 2);

  // After all that, the agent still starts and approves.
  const agent = await startAgentProcess({ config, apiPort });
  t.teardown(() => agent.kill());
  const reply = await postSale(agent.url, { amount: 100, cardUid: CARD });
  t.equal(reply.body.approved, true);
  await agent.kill("SIGTERM");
});

t.test("SIGKILL after the intent and after the server's approval: no debit the till did not journal", async (t) => {
  const broker = await startMosquitto({ logTypes: ["error"] });
  t.teardown(() => broker.close());
  const key = randomBytes(32);
  const hq = await startHqServer({
    mqttUrl: broker.url,
    seedDemo: { terminals: [{ id: "T001", keyHex: key.toString("hex") }] },
    reconnectPeriodMs: 200,
    log: silentLogger(),
  });
  t.teardown(() => hq.close());
  const card = "ic:C5000001";
  const actor = { id: "test", via: "cli" as const };
  await issueCard(hq.db, { cardId: card, cardType: "standard", member: { name: "断点" } }, actor);
  await topUpAtHq(hq.db, { cardId: card, amount: 1_000_000 }, actor);

  const dir = await tempDir(t);
  const apiPort = await freePort();
  const config = `${dir}/cardterm.yaml`;
  await writeFile(
    config,
    [
      "version: 1",
      "terminal:",
      "  id: T001",
      `  key: { hex: "${key.toString("hex")}" }`,
      `  dataDir: ${dir}/data`,
      `api: { host: 127.0.0.1, port: ${apiPort} }`,
      "server:",
      `  mqttUrl: ${broker.url}`,
      "  authTimeout: 5s", // never offline here: every sale is asked online
    ].join("\n"),
  );
  const start = async (env?: Record<string, string>) => {
    const agent = await startAgentProcess({ config, apiPort, ...(env ? { env } : {}) });
    t.teardown(() => agent.kill());
    const connected = async () =>
      (await getJson<{ broker: { connected: boolean } }>(`${agent.url}/api/v1/status`)).broker.connected;
    await waitFor("the agent to reach the broker", connected, 20_000);
    return agent;
  };

  const seen = new Set<string>(); // approvals the POS was shown
  for (const point of ONLINE_CRASH_POINTS) {
    for (const nth of [1, 2]) {
      const agent = await start({ CARDTERM_CRASH_AT: `${point}:${nth}` });
      for (let i = 0; i < 4; i++) {
        const reply = await postSale(agent.url, { amount: 100 + i, cardUid: card }).catch(() => undefined);
        if (!reply) break; // killed mid-request: never shown as approved
        t.match(
          reply.body,
          { approved: true, mode: "online" },
          `online sale approved before the crash at ${point}#${nth}`,
        );
        seen.add(reply.body.txnId);
      }
      const stillAlive = setTimeout(() => void agent.kill("SIGTERM"), 5000); // a point never reached fails below
      const { signal } = await agent.exited;
      clearTimeout(stillAlive);
      t.equal(signal, "SIGKILL", `killed at ${point}#${nth}`);
      const journal = await tillJournal(`${dir}/data`, "T001", key);
      const txns = new Set(journal.map((e) => e.txnId));
      t.same(
        [...seen].filter((id) => !txns.has(id)),
        [],
        `every approval shown survived the crash at ${point}#${nth}`,
      );
    }
  }

  // Restarted with no crash armed: it settles what the killed ones left and drains.
  const agent = await start();
  const reply = await postSale(agent.url, { amount: 500, cardUid: card });
  t.match(reply.body, { approved: true, mode: "online" }, "the restarted agent approves online");
  seen.add(reply.body.txnId);
  await waitFor(
    "the journal to drain and no hold to be left open",
    async () => {
      const s = await getJson<{ journal: { pending: number; nextSeq: number } }>(`${agent.url}/api/v1/status`);
      const acked = (await hq.ledger.terminalState("T001"))?.ackedSeq;
      return (
        s.journal.pending === 0 && acked === s.journal.nextSeq - 1 && (await openHolds(hq.db, "T001")).length === 0
      );
    },
    30_000,
  ).catch(() => undefined); // what is left is reported below
  await agent.kill("SIGTERM");

  const journal = await tillJournal(`${dir}/data`, "T001", key);
  const atServer = await serverJournalTxns(hq.db, "T001");
  t.same(
    [...seen].filter((id) => atServer.get(id) !== 1),
    [],
    "every approval shown is in the server's journal exactly once",
  );
  t.same(await debitsWithoutJournal(hq.db, "T001"), [], "no debit at the server without the till's journal entry");
  t.same(await openHolds(hq.db, "T001"), [], "no hold left open");
  t.equal(
    (await serverDebits(hq.db, "T001")).length,
    journal.length,
    "the server debited the journaled sales, each once",
  );
  const [balance] = await balancesAgainstJournal(hq.db, [card], journal);
  t.equal(balance?.balance, balance?.expected, "the balance is the top-up minus the journaled sales");
});
