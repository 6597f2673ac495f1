/**
 * No debit without the till's record (docs/reconciliation.md), at the crash points of the
 * online path: the agent as its own process (`cardterm run`), SIGKILLed (CARDTERM_CRASH_AT)
 * after its intent is durable, after the server approved and before the till's commit, and just
 * after the commit; Mosquitto; the central server on PGlite in this process. After a restart
 * the till resolves what it left: a sale it never recorded is released (the member's balance
 * whole), a sale it recorded is confirmed and debited exactly once.
 */
import { randomBytes } from "node:crypto";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import t, { type Test } from "tap";
import { silentLogger } from "../../agent/logger.js";
import { issueCard } from "../../server/backoffice/card-issue.js";
import { topUpAtHq } from "../../server/backoffice/top-up.js";
import { type HqServer, startHqServer } from "../../server/hq-server.js";
import { type AgentProcess, startAgentProcess } from "../helpers/agent-process.js";
import { getJson, postSale } from "../helpers/api-client.js";
import { freePort } from "../helpers/free-port.js";
import { startMosquitto } from "../helpers/mosquitto.js";
import { tempDir } from "../helpers/temp-dir.js";
import { waitFor } from "../helpers/wait-for.js";
import { balancesAgainstJournal, debitsWithoutJournal, openHolds, serverDebits, tillJournal } from "./debit-audit.js";

const CARD = "ic:DC000001";
const TERMINAL = "T001";
const TOP_UP = 100_000; // 1000.00 (the standard card type adds its top-up bonus)

interface AgentStatus {
  broker: { connected: boolean };
  journal: { nextSeq: number; pending: number };
}

interface Rig {
  hq: HqServer;
  key: Buffer;
  dataDir: string;
  /** The agent, armed to SIGKILL itself at `crashAt` when given. */
  start(crashAt?: string): Promise<AgentProcess>;
  /** The card's balance at the server now (its top-up and the standard card's bonus, less sales). */
  balance(): Promise<number>;
}

async function rig(t: Test): Promise<Rig> {
  const broker = await startMosquitto();
  t.teardown(() => broker.close());
  const key = randomBytes(32);
  const hq = await startHqServer({
    mqttUrl: broker.url,
    seedDemo: { terminals: [{ id: TERMINAL, keyHex: key.toString("hex") }] },
    reconnectPeriodMs: 200,
    log: silentLogger(),
  });
  t.teardown(() => hq.close());
  const actor = { id: "test", via: "cli" as const };
  await issueCard(hq.db, { cardId: CARD, cardType: "standard", member: { name: "崩溃" } }, actor);
  await topUpAtHq(hq.db, { cardId: CARD, amount: TOP_UP }, actor);
  const dataDir = await tempDir(t, "cardterm-hold-crash-");
  const apiPort = await freePort();
  const config = join(dataDir, "cardterm.yaml");
  await writeFile(
    config,
    [
      "version: 1",
      "terminal:",
      `  id: ${TERMINAL}`,
      `  key: { hex: "${key.toString("hex")}" }`,
      `  dataDir: ${dataDir}`,
      `api: { host: 127.0.0.1, port: ${apiPort} }`,
      "server:",
      `  mqttUrl: ${broker.url}`,
      "  authTimeout: 3s",
    ].join("\n"),
  );
  const start = async (crashAt?: string) => {
    const agent = await startAgentProcess({
      config,
      apiPort,
      ...(crashAt ? { env: { CARDTERM_CRASH_AT: crashAt } } : {}),
    });
    t.teardown(() => agent.kill());
    await waitFor(
      "the agent to reach the broker",
      async () => (await getJson<AgentStatus>(`${agent.url}/api/v1/status`)).broker.connected,
      20_000,
    );
    return agent;
  };
  const balance = async () => (await hq.ledger.getCard(CARD))?.balance ?? Number.NaN;
  return { hq, key, dataDir, start, balance };
}

/** One online sale on an agent armed to die on the way; returns the txn ids the server saw asked. */
async function saleThatDies(t: Test, r: Rig, crashAt: string): Promise<void> {
  const agent = await r.start(`${crashAt}:1`);
  const reply = await postSale(agent.url, { amount: 2_500, cardUid: CARD }).catch(() => undefined);
  t.equal(reply, undefined, `the POS got no answer: the till died at ${crashAt}`);
  const { signal } = await agent.exited;
  t.equal(signal, "SIGKILL", `killed at ${crashAt}`);
}

/** Restart, let it resolve and drain, stop it; then the auditor's questions. */
async function restartAndAudit(t: Test, r: Rig) {
  const agent = await r.start();
  await waitFor(
    "the journal to drain and no hold to be left",
    async () => {
      const s = await getJson<AgentStatus>(`${agent.url}/api/v1/status`);
      const server = await r.hq.ledger.terminalState(TERMINAL);
      const drained = s.journal.pending === 0 && (server?.ackedSeq ?? 0) === s.journal.nextSeq - 1;
      return drained && (await openHolds(r.hq.db, TERMINAL)).length === 0;
    },
    30_000,
  ).catch(() => undefined); // reported below, with the rows
  await agent.kill("SIGTERM");
  const journal = await tillJournal(r.dataDir, TERMINAL, r.key);
  t.same(await openHolds(r.hq.db, TERMINAL), [], "no hold left waiting");
  t.same(await debitsWithoutJournal(r.hq.db, TERMINAL), [], "no debit at the server without the till's entry");
  const [balance] = await balancesAgainstJournal(r.hq.db, [CARD], journal);
  t.equal(balance?.balance, balance?.expected, "the card's balance is its top-up minus the journaled sales");
  t.same(await r.hq.ledger.reconcile(), [], "every account equals its opening figures plus its transactions");
  return journal;
}

t.test("killed after the intent, before the ask: nothing held, nothing debited, the tombstone kept", async (t) => {
  const r = await rig(t);
  const before = await r.balance();
  await saleThatDies(t, r, "sale:after-intent");
  const journal = await restartAndAudit(t, r);
  t.equal(journal.length, 0, "the till recorded nothing");
  t.equal(await r.balance(), before, "the balance is whole");
  const { rows } = await r.hq.db.query<{ n: number }>("SELECT count(*)::int AS n FROM released_holds");
  t.equal(rows[0]?.n, 1, "the release left a tombstone, so a late copy of the request is refused");
});

t.test(
  "killed after the server approved, before the till's commit: the hold is released, the balance whole",
  async (t) => {
    const r = await rig(t);
    const before = await r.balance();
    await saleThatDies(t, r, "sale:after-approval-before-commit");
    t.equal((await openHolds(r.hq.db, TERMINAL)).length, 1, "the server approved: it holds the money");
    t.equal(await r.balance(), before - 2_500, "held: out of the balance");
    const journal = await restartAndAudit(t, r);
    t.equal(journal.length, 0, "the till never recorded the sale");
    t.equal(await r.balance(), before, "the member is not charged for it");
    t.equal((await serverDebits(r.hq.db, TERMINAL)).length, 0);
    t.match(await r.hq.ledger.listAlerts(), [{ kind: "hold-released", terminalId: TERMINAL }], "head office is told");
    // The till goes on selling online after it.
    const agent = await r.start();
    const again = await postSale(agent.url, { amount: 1_000, cardUid: CARD });
    t.match(again, { status: 200, body: { approved: true, mode: "online" } });
    await agent.kill("SIGTERM");
  },
);

t.test("killed just after the commit: the sale is confirmed and debited exactly once", async (t) => {
  const r = await rig(t);
  const before = await r.balance();
  // The first journal append of this process is the sale's commit; it dies once it is synced.
  await saleThatDies(t, r, "journal:synced");
  const journal = await restartAndAudit(t, r);
  t.equal(journal.length, 1, "the till recorded the sale before it died");
  const { rows } = await r.hq.db.query<{ hold_state: string; n: number }>(
    "SELECT hold_state, count(*) OVER ()::int AS n FROM transactions WHERE terminal_id = $1",
    [TERMINAL],
  );
  t.same(rows, [{ hold_state: "confirmed", n: 1 }], "one transaction, confirmed");
  t.equal(await r.balance(), before - 2_500, "debited once");
  t.same(
    (await r.hq.ledger.listAlerts()).map((a) => a.kind),
    [],
    "nothing released, nothing applied late",
  );
});
