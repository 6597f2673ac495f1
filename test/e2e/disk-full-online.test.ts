/**
 * No debit without the till's record (docs/reconciliation.md), as the auditor found it: the
 * till's data directory full, every sale answered 503 CT_STORE_WRITE_FAILED — and yet each had
 * been debited at the server. Real parts: the agent as its own process (`cardterm run`) with
 * its data dir on a 256 KiB tmpfs, Mosquitto, the central server (on PGlite, in this process).
 *
 * After the disk has room again and the agent has restarted (resolving whatever it left)
 * and drained its journal, the ledger must hold no debit of a refused sale: every sale
 * debit at the server has the till's journal entry with the same txn id, no hold is still
 * waiting, and the card's balance is what was paid in minus what the till journaled.
 */
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdir, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import t, { type Test } from "tap";
import { silentLogger } from "../../agent/logger.js";
import { issueCard } from "../../server/backoffice/card-issue.js";
import { topUpAtHq } from "../../server/backoffice/top-up.js";
import { startHqServer } from "../../server/hq-server.js";
import { startAgentProcess } from "../helpers/agent-process.js";
import { getJson, postSale } from "../helpers/api-client.js";
import { freePort } from "../helpers/free-port.js";
import { startMosquitto } from "../helpers/mosquitto.js";
import { tempDir } from "../helpers/temp-dir.js";
import { waitFor } from "../helpers/wait-for.js";
import { balancesAgainstJournal, debitsWithoutJournal, openHolds, serverDebits, tillJournal } from "./debit-audit.js";

const CARD = "ic:DF000001";
const TERMINAL = "T001";

/** Why a tmpfs cannot be mounted here (not root, not Linux, not permitted), or false. */
function cannotMount(): string | false {
  if (process.platform !== "linux") return "needs Linux (a tmpfs for a real ENOSPC)";
  if (process.getuid?.() !== 0) return "mounting a tmpfs needs root: run as root to reproduce the full disk";
  const probe = join("/tmp", `cardterm-mount-probe-${process.pid}`);
  try {
    execFileSync("mkdir", ["-p", probe]);
    execFileSync("mount", ["-t", "tmpfs", "-o", "size=64k", "tmpfs", probe], { stdio: "pipe" });
    execFileSync("umount", [probe]);
    return false;
  } catch (err) {
    return `mount -t tmpfs is not permitted here (${(err as Error).message.split("\n")[0]})`;
  } finally {
    execFileSync("rm", ["-rf", probe]);
  }
}

async function tmpfs(t: Test, size: string): Promise<string> {
  const dir = await tempDir(t, "cardterm-full-");
  execFileSync("mount", ["-t", "tmpfs", "-o", `size=${size},mode=0700`, "tmpfs", dir], { stdio: "pipe" });
  t.teardown(() => execFileSync("umount", ["-l", dir])); // lazy: a killed agent may still hold a file
  return dir;
}

/** Appends to a ballast file until the filesystem says ENOSPC: not one block is left. */
async function fillUp(dir: string): Promise<void> {
  const chunk = Buffer.alloc(1024, 0x78);
  for (;;) {
    try {
      await writeFile(join(dir, "ballast"), chunk, { flag: "a" });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOSPC") return;
      throw err;
    }
  }
}

interface AgentStatus {
  broker: { connected: boolean };
  journal: { nextSeq: number; ackedSeq: number; pending: number };
}

t.test(
  "a till whose disk is full refuses the sale, and the server keeps no debit for it",
  { skip: cannotMount() },
  async (t) => {
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
    await issueCard(hq.db, { cardId: CARD, cardType: "standard", member: { name: "满盘" } }, actor);
    await topUpAtHq(hq.db, { cardId: CARD, amount: 1_000_000 }, actor);

    const dataDir = await tmpfs(t, "256k");
    const confDir = await tempDir(t, "cardterm-full-conf-");
    await mkdir(confDir, { recursive: true });
    const apiPort = await freePort();
    const config = join(confDir, "cardterm.yaml");
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
    const start = async () => {
      const agent = await startAgentProcess({ config, apiPort });
      t.teardown(() => agent.kill());
      await waitFor(
        "the agent to reach the broker",
        async () => (await getJson<AgentStatus>(`${agent.url}/api/v1/status`)).broker.connected,
        20_000,
      );
      return agent;
    };
    let agent = await start();

    const seen: string[] = []; // approvals the POS was shown
    for (let i = 0; i < 3; i++) {
      const reply = await postSale(agent.url, { amount: 1_000 + i, cardUid: CARD });
      t.match(reply, { status: 200, body: { approved: true, mode: "online" } }, `online sale ${i + 1} approved`);
      seen.push(reply.body.txnId);
    }

    await fillUp(dataDir);
    // An append that still fits in the journal's last block is durable and rightly
    // approved; past that, every sale must be refused — and must cost the member nothing.
    let refused = 0;
    for (let i = 0; i < 80 && refused < 5; i++) {
      const reply = await postSale(agent.url, { amount: 2_000, cardUid: CARD });
      if (reply.status === 200 && reply.body.approved) {
        seen.push(reply.body.txnId);
        continue;
      }
      t.match(reply, { status: 503, body: { code: "CT_STORE_WRITE_FAILED" } }, "refused: the till cannot write");
      refused++;
    }
    t.equal(refused, 5, "the full disk was reached and five sales were refused");

    // Room again; the agent restarts (as systemd would after the technician freed space),
    // settles whatever it left open with the server and uploads its journal.
    await rm(join(dataDir, "ballast"));
    await agent.kill("SIGTERM");
    agent = await start();
    const drained = async () => {
      const s = await getJson<AgentStatus>(`${agent.url}/api/v1/status`);
      const server = await hq.ledger.terminalState(TERMINAL);
      return s.journal.pending === 0 && server?.ackedSeq === s.journal.nextSeq - 1;
    };
    await waitFor("the journal to drain", drained, 30_000);
    await waitFor("no hold left open", async () => (await openHolds(hq.db, TERMINAL)).length === 0, 30_000).catch(
      () => undefined, // reported below, with the rows
    );
    await agent.kill("SIGTERM");

    const journal = await tillJournal(dataDir, TERMINAL, key);
    const journaled = new Set(journal.map((e) => e.txnId));
    t.same(
      seen.filter((id) => !journaled.has(id)),
      [],
      "every approval the POS saw is in the till's journal",
    );
    const orphans = await debitsWithoutJournal(hq.db, TERMINAL);
    t.same(orphans, [], `no debit at the server without the till's journal entry (${orphans.length} found)`);
    t.same(await openHolds(hq.db, TERMINAL), [], "no hold left waiting after the till resolved its sales");
    t.equal(
      (await serverDebits(hq.db, TERMINAL)).length,
      journal.filter((e) => e.kind === "sale").length,
      "the server debited exactly the sales the till journaled",
    );
    const [balance] = await balancesAgainstJournal(hq.db, [CARD], journal);
    t.equal(balance?.balance, balance?.expected, "the card's balance is its top-up minus the journaled sales");
  },
);
