/**
 * What the reconciliation fault suites share: a real agent (startAgent) for terminal
 * T001 talking through a fault proxy to a real Mosquitto, the real server, entries
 * committed to the agent's journal in bulk, and the final proof — the ledger holds every
 * journal entry exactly once and its sums equal the journal's (archive + pending).
 */
import { randomUUID } from "node:crypto";
import type { Test } from "tap";
import { type AgentDeps, type RunningAgent, startAgent } from "../../agent/agent.js";
import { JournalArchive } from "../../agent/journal/journal-archive.js";
import type { NewEntry } from "../../agent/journal/terminal-ledger.js";
import { silentLogger } from "../../agent/logger.js";
import { balanceDelta, type JournalEntry } from "../../protocol/journal-entry.js";
import type { LedgerQueries } from "../../server/ledger/queries.js";
import { testAgentConfig } from "../helpers/agent-config.js";
import { tempDir } from "../helpers/temp-dir.js";
import { waitFor } from "../helpers/wait-for.js";
import { T1 } from "../server/ledger-fixture.js";

export const ZHANG = "ic:04A1B2C3"; // gold, 1000.00
export const WANG = "ic:0A0B0C0D"; // standard, 50.00
export const CHEN = "id:0012345678"; // standard, 200.00

export interface TestAgent {
  agent: RunningAgent;
  dataDir: string;
}

/** Terminal T001 (the fixture's key), offline limits out of the way, quick retries. */
export async function startTestAgent(
  t: Test,
  mqttUrl: string,
  opts: { batchSize?: number; deps?: AgentDeps } = {},
): Promise<TestAgent> {
  const dataDir = await tempDir(t, "cardterm-reconcile-");
  const config = testAgentConfig({
    dataDir,
    mqttUrl,
    key: T1.key,
    terminalId: T1.id,
    authTimeoutMs: 2000,
    offline: { perCardMinor: 10_000_000, perCardCount: 10_000, terminalMinor: 100_000_000, terminalCount: 10_000 },
  });
  config.server.uploadBatchSize = opts.batchSize ?? 20;
  const agent = await startAgent(config, {
    log: silentLogger(),
    backoff: { baseMs: 50, capMs: 250 },
    ackTimeoutMs: 500,
    heartbeatMs: 60_000,
    ...opts.deps,
  });
  t.teardown(() => agent.close());
  return { agent, dataDir };
}

/**
 * Commits `n` entries straight into the agent's journal (as the decider would after
 * approving): top-ups on 王芳's card and small sales on 张伟's and 陈静's, so no
 * shortfall clouds the sums. The uploader picks them up by itself.
 */
export async function commitEntries(agent: RunningAgent, n: number): Promise<JournalEntry[]> {
  const out: JournalEntry[] = [];
  const day = new Date().toISOString().slice(0, 10);
  for (let i = 0; i < n; i++) {
    const topup = i % 3 === 0;
    const entry: NewEntry = {
      txnId: randomUUID(),
      kind: topup ? "topup" : "sale",
      mode: topup ? "online" : "offline",
      at: new Date().toISOString(),
      businessDay: day,
      operatorId: "001",
      cardId: topup ? WANG : i % 3 === 1 ? ZHANG : CHEN,
      gross: topup ? 100 : 50 + (i % 7),
      discount: 0,
      net: topup ? 100 : 50 + (i % 7),
      bonus: topup ? 10 : 0,
      pointsEarned: topup ? 0 : 1,
      balanceAfter: null,
    };
    out.push(await agent.ledger.commit(entry));
  }
  return out;
}

/** Every entry the agent ever journaled: its archive (acknowledged) and its pending entries. */
export async function journalOf(ta: TestAgent): Promise<JournalEntry[]> {
  const archived = await new JournalArchive(`${ta.dataDir}/archive`, 90).read();
  return [...archived, ...ta.agent.ledger.pending()].sort((a, b) => a.seq - b.seq);
}

export async function waitForDrain(ta: TestAgent, ledger: LedgerQueries, timeoutMs = 30_000): Promise<void> {
  const last = ta.agent.ledger.summary().nextSeq - 1;
  await waitFor(
    `the journal to drain to #${last}`,
    async () => ta.agent.ledger.pending().length === 0 && (await ledger.terminalState(T1.id))?.ackedSeq === last,
    timeoutMs,
  );
}

/**
 * The proof: the ledger holds each journal entry exactly once — one journal row per
 * sequence number, one transaction per transaction id — and the per-card counts, stored
 * value and points in the ledger equal those summed from the terminal's journal.
 */
export async function assertLedgerMatchesJournal(
  t: Test,
  ta: TestAgent,
  ledger: LedgerQueries,
  opts: { duplicated?: boolean } = {},
): Promise<void> {
  const journal = await journalOf(ta);
  const seqs = journal.map((e) => e.seq);
  t.same(
    seqs,
    Array.from({ length: seqs.length }, (_, i) => i + 1),
    `the journal holds #1…#${seqs.length}, each once`,
  );
  t.equal(ta.agent.ledger.pending().length, 0, "nothing left to upload");
  t.equal(await ledger.journalCount(T1.id), journal.length, "one journal row per entry at the server");
  t.match(await ledger.terminalState(T1.id), { ackedSeq: journal.length });
  const expected: Record<string, { count: number; delta: number; points: number }> = {};
  for (const e of journal) {
    const c = (expected[e.cardId] ??= { count: 0, delta: 0, points: 0 });
    c.count++;
    c.delta += balanceDelta(e);
    c.points += e.pointsEarned;
  }
  const totals = await ledger.ledgerTotals();
  t.equal(totals.count, journal.length, "one ledger transaction per journal entry");
  t.same(totals.byCard, expected, "per card: count, stored value and points equal the journal's");
  t.same(await ledger.reconcile(), [], "every account equals its opening figures plus its transactions");
  // Delivered twice, a signed request is refused as a replay the second time (harmless: the
  // first was answered; docs/security.md): expected only where the test duplicates messages.
  const alerts = await ledger.listAlerts();
  const replays = alerts.filter((a) => opts.duplicated && a.kind === "message-replayed");
  t.same(
    alerts.filter((a) => !replays.includes(a)),
    [],
    "no conflict, rejection or shortfall",
  );
}
