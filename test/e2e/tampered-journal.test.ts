/**
 * A tampered journal (docs/reconciliation.md, "A gap in a till's chain"), as the auditor found
 * it: an entry edited in the journal on the box. The agent rightly refused sales, but its
 * status and heartbeat said 0 pending, head office showed the till online with nothing pending
 * and no alert, and the untampered entries before and after the edited one were never uploaded.
 *
 * Real parts: the agent as its own process (`cardterm run`), Mosquitto, the central
 * server on PGlite in a data directory (this process), `cardterm doctor` and
 * `cardterm-hq report` as processes. The till sells #1 online, #2..#6 offline while the
 * broker is down; #4 is edited on disk; the agent restarts. It must say "journal
 * integrity failed at seq 4" in its status, its heartbeat and the doctor, keep its
 * pending count true, upload #2, #3, #5 and #6 but not #4, and head office must hold
 * exactly one alert however many heartbeats and restarts follow; when the journal is
 * restored the real #4 fills the gap and the alert clears.
 */
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { once } from "node:events";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import mqtt from "mqtt";
import t from "tap";
import { HEADER_BYTES } from "../../agent/journal/journal-log.js";
import { silentLogger } from "../../agent/logger.js";
import type { JournalEntry } from "../../protocol/journal-entry.js";
import type { Heartbeat } from "../../protocol/messages.js";
import { topics } from "../../protocol/topics.js";
import { type HqServer, startHqServer } from "../../server/hq-server.js";
import { type AgentProcess, startAgentProcess } from "../helpers/agent-process.js";
import { getJson, postSale } from "../helpers/api-client.js";
import { freePort } from "../helpers/free-port.js";
import { editLog, entryAt } from "../helpers/journal-files.js";
import { startMosquitto } from "../helpers/mosquitto.js";
import { tempDir } from "../helpers/temp-dir.js";
import { waitFor } from "../helpers/wait-for.js";
import { doctor } from "./doctor-rig.js";

const TERMINAL = "T001";
const ZHANG = "ic:04A1B2C3"; // a demo member's gold card, 1000.00

interface Status {
  broker: { connected: boolean };
  journal: {
    pending: number;
    nextSeq: number;
    ackedSeq: number;
    integrity: { ok: boolean; failedSeq?: number | null; reason?: string; problem?: string };
  };
}

t.test("a journal edited on the box is reported at its seq, alerted once, and its good entries uploaded", async (t) => {
  const broker = await startMosquitto();
  t.teardown(() => broker.close());
  const key = randomBytes(32);
  const ledgerDir = join(await tempDir(t, "cardterm-tamper-hq-"), "ledger");
  let hq: HqServer | undefined;
  const startHq = async (seed: boolean) => {
    hq = await startHqServer({
      mqttUrl: broker.url,
      dataDir: ledgerDir,
      ...(seed ? { seedDemo: { terminals: [{ id: TERMINAL, keyHex: key.toString("hex") }] } } : {}),
      reconnectPeriodMs: 200,
      log: silentLogger(),
    });
  };
  const stopHq = async () => {
    await hq?.close();
    hq = undefined;
  };
  t.teardown(stopHq);
  await startHq(true);
  const server = () => hq!;

  const dataDir = await tempDir(t, "cardterm-tamper-till-");
  const apiPort = await freePort();
  const config = join(await tempDir(t, "cardterm-tamper-conf-"), "cardterm.yaml");
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
  let agent: AgentProcess | undefined;
  const startTill = async () => {
    agent = await startAgentProcess({ config, apiPort });
    t.teardown(() => agent?.kill());
    return agent;
  };
  const stopTill = async () => {
    await agent?.kill("SIGTERM"); // a clean stop: the newest entry is attested, as on an idle till
    agent = undefined;
  };
  const status = () => getJson<Status>(`http://127.0.0.1:${apiPort}/api/v1/status`);

  // #1 online (the card is then known to the till), #2..#6 offline with the broker down.
  await startTill();
  await waitFor("the agent to reach the broker", async () => (await status()).broker.connected, 20_000);
  t.match(await postSale(agent!.url, { amount: 1_000, cardUid: ZHANG }), { body: { approved: true, mode: "online" } });
  await waitFor("#1 acknowledged", async () => (await status()).journal.ackedSeq === 1, 20_000);
  await broker.stop();
  await waitFor("the agent to notice the broker is gone", async () => !(await status()).broker.connected, 20_000);
  for (let n = 2; n <= 6; n++) {
    const reply = await postSale(agent!.url, { amount: 100 * n, cardUid: ZHANG });
    t.match(reply, { body: { approved: true, mode: "offline" } }, `offline sale #${n}`);
  }
  await stopTill();

  // The auditor's edit: entry #4's amount lowered on the box.
  const original = await readFile(join(dataDir, "journal.log"));
  await editLog(dataDir, (entries) => {
    entryAt(entries, 4).net = 1;
  });

  // Restarted while the broker is still down: the status is already true.
  await startTill();
  const before = await status();
  t.match(
    before.journal.integrity,
    { ok: false, failedSeq: 4, reason: "entry-edited", problem: /entry #4 was edited/ },
    "status: journal integrity failed at seq 4",
  );
  t.equal(before.journal.pending, 4, "status: the four entries that still verify are pending, not 0");
  t.match(await postSale(agent!.url, { amount: 100, cardUid: ZHANG }), {
    status: 503,
    body: { code: "CT_JOURNAL_CORRUPT" },
  });

  const doc = await doctor(config);
  t.match(
    doc.rows.journal,
    {
      verdict: "FAIL",
      code: "CT_JOURNAL_CORRUPT",
      detail: /journal integrity failed at seq 4 .*4 verified entries pending/,
    },
    "doctor: the failure at seq 4 and the pending entries",
  );

  // The broker back: the heartbeat says it, the good entries go up, the edited one does not.
  const heartbeats: Heartbeat[] = [];
  await broker.start();
  const watcher = await mqtt.connectAsync(broker.url, { reconnectPeriod: 200 });
  t.teardown(() => watcher.endAsync());
  watcher.on("message", (_topic, payload) => heartbeats.push(JSON.parse(payload.toString()) as Heartbeat));
  await watcher.subscribeAsync(topics.heartbeat(TERMINAL), { qos: 0 });
  const first = await waitFor("the till's heartbeat", async () => heartbeats[0], 30_000);
  t.match(first, { pending: 4, integrity: { ok: false, failedSeq: 4, reason: "entry-edited" } }, "heartbeat");
  await waitFor("the good entries to be acknowledged", async () => (await status()).journal.pending === 0, 30_000);
  t.same(
    await storedSeqs(server()),
    [1, 2, 3, 5, 6],
    "the entries before and after #4 are in journal_entries; #4 is not",
  );
  t.match(await server().ledger.terminalState(TERMINAL), { ackedSeq: 6 });
  t.match(await server().ledger.terminalStatus(TERMINAL), {
    presence: "online",
    integrity: { ok: false, failedSeq: 4, reason: "entry-edited" },
  });

  // More heartbeats and restarts of the still-tampered till: still one alert.
  for (let i = 0; i < 2; i++) {
    const seen = heartbeats.length;
    await stopTill();
    await startTill();
    await waitFor("the restarted till's heartbeat", async () => heartbeats.length > seen || undefined, 30_000);
    await waitFor("its resend to settle", async () => (await status()).journal.pending === 0, 30_000);
  }
  t.ok(heartbeats.filter((h) => h.integrity?.ok === false).length >= 3, "three heartbeats or more said it");
  const alerts = await server().ledger.listAlerts();
  t.match(alerts, [{ kind: "journal-integrity", terminalId: TERMINAL, seq: 4 }], "exactly one alert at head office");
  t.equal(alerts.length, 1);

  // Head office's report, from the CLI on the same ledger.
  await stopHq();
  const report = await hqCli(["report", "terminals", "--json", "--data-dir", ledgerDir]);
  t.equal(report.code, 0, report.stderr);
  const row = (JSON.parse(report.stdout) as { terminalId: string }[]).find((r) => r.terminalId === TERMINAL);
  t.match(row, { integrity: { ok: false, failedSeq: 4 }, openGaps: [4] }, "report terminals --json");
  const table = await hqCli(["report", "terminals", "--data-dir", ledgerDir]);
  t.match(table.stdout, /^T001 .*FAILED at seq 4 \(entry-edited\), gaps #4/m, "report terminals");
  await startHq(false);

  // Fixed: the journal restored from the auditor's copy. The real #4 fills the gap; the alert clears.
  await stopTill();
  await writeFile(join(dataDir, "journal.log"), original);
  await startTill();
  t.same((await status()).journal.integrity, { ok: true });
  await waitFor("the restored journal to drain", async () => (await status()).journal.pending === 0, 30_000);
  t.same(await storedSeqs(server()), [1, 2, 3, 4, 5, 6], "the real #4 filled its gap");
  await waitFor(
    "the alert to clear",
    async () => (await clearedAlerts(server())).every((cleared) => cleared) || undefined,
    30_000,
  );
  t.equal((await server().ledger.listAlerts()).length, 1, "cleared, and no new one");
  const journaled = original
    .toString("utf8")
    .slice(HEADER_BYTES)
    .split("\n")
    .filter((line) => line.length > 0)
    .map((line) => JSON.parse(line) as JournalEntry);
  t.same(
    journaled.map((e) => e.seq),
    [1, 2, 3, 4, 5, 6],
  );
  t.match(
    await server().ledger.getCard(ZHANG),
    { balance: 100_000 - journaled.reduce((n, e) => n + e.net, 0) },
    "the card paid each of the six sales once, #4 at its real amount",
  );
  t.same(await server().ledger.reconcile(), [], "the ledger's sums agree with its journal");
  t.match(await postSale(agent!.url, { amount: 100, cardUid: ZHANG }), { body: { approved: true } }, "sales again");
});

async function storedSeqs(hq: HqServer): Promise<number[]> {
  const { rows } = await hq.db.query<{ seq: unknown }>(
    "SELECT seq FROM journal_entries WHERE terminal_id = $1 ORDER BY seq",
    [TERMINAL],
  );
  return rows.map((r) => Number(r.seq));
}

async function clearedAlerts(hq: HqServer): Promise<boolean[]> {
  const { rows } = await hq.db.query<{ cleared_at: unknown }>("SELECT cleared_at FROM alerts WHERE kind = $1", [
    "journal-integrity",
  ]);
  return rows.map((r) => r.cleared_at !== null);
}

async function hqCli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const cli = join(import.meta.dirname, "../../server/cli/cardterm-hq.ts");
  const child = spawn(process.execPath, ["--import", "tsx", cli, ...args], { stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  const [code] = (await once(child, "exit")) as [number];
  return { code, stdout, stderr };
}
