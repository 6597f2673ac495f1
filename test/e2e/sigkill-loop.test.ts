/**
 * No debit without the till's record (docs/reconciliation.md), the technician's way: the real
 * agent SIGKILLed over and over (≥ 200 times) while three POS clients sell on four cards,
 * online and offline in stretches (the link to the broker cut and refused), one central server
 * and one Mosquitto for the whole run. The kills land wherever they land: before the ask, while
 * the server decides, between its approval and the till's commit, after.
 *
 * When the last agent has drained its journal and settled what it left open:
 * - every approval a client was shown is in the server's ledger exactly once;
 * - no debit at the server lacks the till's journal entry (the defect: the server charged
 *   for a sale the till never recorded);
 * - each card's balance is its top-ups minus the till's journaled sales.
 *
 * Lean, to stay within 3 minutes on 2 cores: the agent is started from a bundle by a
 * process that loaded it ahead (standby-agents.ts); nothing else restarts.
 */
import { randomBytes } from "node:crypto";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import t from "tap";
import { silentLogger } from "../../agent/logger.js";
import { issueCard } from "../../server/backoffice/card-issue.js";
import { topUpAtHq } from "../../server/backoffice/top-up.js";
import { startHqServer } from "../../server/hq-server.js";
import type { AgentProcess } from "../helpers/agent-process.js";
import { getJson, postSale } from "../helpers/api-client.js";
import { freePort } from "../helpers/free-port.js";
import { startMosquitto } from "../helpers/mosquitto.js";
import { startMqttProxy } from "../helpers/mqtt-proxy.js";
import { postgresUnavailable, startPostgres } from "../helpers/postgres.js";
import { bundleAgent, standbyAgents } from "../helpers/standby-agents.js";
import { tempDir } from "../helpers/temp-dir.js";
import { waitFor } from "../helpers/wait-for.js";
import {
  balancesAgainstJournal,
  debitsWithoutJournal,
  openHolds,
  serverDebits,
  serverJournalTxns,
  tillJournal,
} from "./debit-audit.js";

// ≥ 200 restarts take ~3.5 minutes alone on 2 cores and more beside another test file:
// this file's own limit, above the suite's 240 s.
t.setTimeout(540_000);

const TERMINAL = "T001";
const KILLS = Number(process.env.CARDTERM_KILLS ?? 200);
/** Kills per stretch of one kind: online, then offline, then online… */
const STRETCH = 30;
const CLIENTS = 3;
const CARDS = ["ic:5A000001", "ic:5A000002", "ic:5A000003", "ic:5A000004"];
const TOP_UP = 10_000_000;

interface AgentStatus {
  broker: { connected: boolean };
  journal: { nextSeq: number; ackedSeq: number; pending: number };
}

interface Seen {
  txnId: string;
  cardId: string;
  mode: string;
  net: number;
}

const pick = <T>(xs: readonly T[]): T => xs[Math.floor(Math.random() * xs.length)]!;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

t.test(
  `${KILLS} SIGKILLs of the agent while clients sell, online and offline: no debit without the till's record`,
  async (t) => {
    const began = Date.now();
    const pg = postgresUnavailable() ? undefined : await startPostgres({ durable: false });
    if (pg) t.teardown(() => pg.close());
    const broker = await startMosquitto({ logTypes: ["error"] });
    t.teardown(() => broker.close());
    const key = randomBytes(32);
    const hq = await startHqServer({
      mqttUrl: broker.url,
      databaseUrl: pg?.url,
      seedDemo: { terminals: [{ id: TERMINAL, keyHex: key.toString("hex") }] },
      reconnectPeriodMs: 200,
      log: silentLogger(),
    });
    t.teardown(() => hq.close());
    const actor = { id: "test", via: "cli" as const };
    for (const [i, cardId] of CARDS.entries()) {
      await issueCard(hq.db, { cardId, cardType: "standard", member: { name: `会员${i}` } }, actor);
      await topUpAtHq(hq.db, { cardId, amount: TOP_UP }, actor);
    }
    // The till reaches the broker through a proxy that can cut it off.
    const link = await startMqttProxy({ port: broker.port });
    t.teardown(() => link.close());

    const dir = await tempDir(t, "cardterm-kill-loop-");
    const apiPort = await freePort();
    const config = join(dir, "cardterm.yaml");
    await writeFile(
      config,
      [
        "version: 1",
        "terminal:",
        `  id: ${TERMINAL}`,
        `  key: { hex: "${key.toString("hex")}" }`,
        `  dataDir: ${join(dir, "data")}`,
        `api: { host: 127.0.0.1, port: ${apiPort} }`,
        "server:",
        `  mqttUrl: ${link.url}`,
        "  authTimeout: 1s",
        "offline:",
        '  perTransaction: "100.00"',
        '  perCard: "100000.00"',
        "  perCardCount: 100000",
        '  terminalTotal: "100000.00"',
        "  terminalCount: 100000",
      ].join("\n"),
    );
    const agents = standbyAgents(t, { bundle: await bundleAgent(t), config, apiPort });
    const status = (agent: AgentProcess) => getJson<AgentStatus>(`${agent.url}/api/v1/status`);

    const seen: Seen[] = [];
    const counts = { online: 0, offline: 0, declined: 0, cutOff: 0 };
    const declines: Record<string, number> = {}; // by code: a till declining everything proves nothing
    /** One POS client: sells until its agent dies under it, counting the replies it got. */
    const client = async (agent: AgentProcess, replies: { n: number }) => {
      for (;;) {
        const cardId = pick(CARDS);
        const reply = await postSale(agent.url, { amount: 100 + Math.floor(Math.random() * 4_900), cardUid: cardId })
          // killed mid-request: the client was never shown an approval
          .catch(() => undefined);
        if (!reply) return void counts.cutOff++;
        replies.n++;
        if (reply.status === 200 && reply.body.approved) {
          seen.push({ txnId: reply.body.txnId, cardId, mode: reply.body.mode, net: reply.body.transaction?.net ?? 0 });
          counts[reply.body.mode]++;
        } else {
          counts.declined++;
          const code = String(reply.body.code ?? reply.status);
          declines[code] = (declines[code] ?? 0) + 1;
        }
      }
    };

    let kills = 0;
    let duringStartUp = 0;
    const startUps: number[] = []; // ms from "go" to the API answering
    for (let i = 0; i < KILLS; i++) {
      const offline = Math.floor(i / STRETCH) % 2 === 1;
      if (offline !== link.faults.refuse) {
        link.faults = { refuse: offline };
        if (offline) link.cut();
      }
      if (i % 4 === 3) {
        // Killed while starting: opening the journal, settling what the last one left open.
        const agent = await agents.start({ ready: false });
        await sleep(Math.random() * 400);
        await agent.kill("SIGKILL");
        if ((await agent.exited).signal === "SIGKILL") {
          kills++;
          duringStartUp++;
        }
        continue;
      }
      const woke = Date.now();
      const agent = await agents.start();
      startUps.push(Date.now() - woke);
      if (!offline)
        await waitFor("the agent to reach the broker", async () => (await status(agent)).broker.connected, 10_000, 10);
      const replies = { n: 0 };
      const selling = Array.from({ length: CLIENTS }, () => client(agent, replies));
      // Killed once sales flow (a first sale after a start is slow, and slower under load),
      // at a random moment among them, so kills land before, during and after the asks.
      await waitFor("a first reply", () => replies.n > 0, 10_000, 5).catch(() => undefined);
      await sleep(Math.random() * 120);
      await agent.kill("SIGKILL");
      if ((await agent.exited).signal === "SIGKILL") kills++;
      await Promise.all(selling);
    }
    const loopSeconds = (Date.now() - began) / 1000;
    t.equal(kills, KILLS, `${kills} SIGKILLs`);
    t.comment(
      `${kills} kills (${duringStartUp} during start-up) in ${loopSeconds.toFixed(1)} s; approvals seen: ${counts.online} online, ` +
        `${counts.offline} offline; ${counts.declined} declined ${JSON.stringify(declines)}; ${counts.cutOff} requests cut by a kill; ` +
        `agent start-up median ${startUps.sort((a, b) => a - b)[startUps.length >> 1]} ms`,
    );
    t.ok(counts.online > 0 && counts.offline > 0, "both online and offline approvals were seen");

    // The broker back; one last agent settles what the killed ones left and uploads everything.
    link.faults = {};
    const agent = await agents.start();
    await waitFor("the agent to reach the broker", async () => (await status(agent)).broker.connected, 20_000);
    await waitFor(
      "the journal to drain",
      async () => {
        const s = await status(agent);
        return s.journal.pending === 0 && (await hq.ledger.terminalState(TERMINAL))?.ackedSeq === s.journal.nextSeq - 1;
      },
      60_000,
    );
    await waitFor("no hold left open", async () => (await openHolds(hq.db, TERMINAL)).length === 0, 30_000).catch(
      () => undefined, // reported below, with the rows
    );
    await agent.kill("SIGTERM");
    await agents.close();

    const journal = await tillJournal(join(dir, "data"), TERMINAL, key);
    const atServer = await serverJournalTxns(hq.db, TERMINAL);
    const debits = new Map((await serverDebits(hq.db, TERMINAL)).map((d) => [d.txnId, d]));
    const notOnce = seen.filter((s) => atServer.get(s.txnId) !== 1 || !debits.has(s.txnId));
    t.same(notOnce, [], `every one of the ${seen.length} approvals seen is in the ledger exactly once`);
    t.equal(
      [...atServer.values()].reduce((a, b) => a + b, 0),
      journal.length,
      "the server holds each of the till's journal entries once",
    );
    const orphans = await debitsWithoutJournal(hq.db, TERMINAL);
    const orphanSum = orphans.reduce((sum, o) => sum + o.net, 0);
    t.same(
      orphans,
      [],
      `no debit at the server without the till's journal entry (${orphans.length} found, ${(orphanSum / 100).toFixed(2)} yuan)`,
    );
    t.same(await openHolds(hq.db, TERMINAL), [], "no hold left waiting");
    const wrong = (await balancesAgainstJournal(hq.db, CARDS, journal)).filter((b) => b.balance !== b.expected);
    t.same(wrong, [], "each card's balance is its top-ups minus the till's journaled sales");
    const own = process.cpuUsage();
    t.comment(
      `whole test ${((Date.now() - began) / 1000).toFixed(1)} s; this process's CPU ${((own.user + own.system) / 1e6).toFixed(1)} s`,
    );
  },
);
