/**
 * Crash sweep (issue 3): the agent process is SIGKILLed at each crash point between tap
 * and approval, again and again on the same data directory. After every kill the
 * journal must hold every approval the POS saw, with no gap in the sequence and a chain
 * that verifies — and the restarted agent approves again.
 */
import { randomBytes } from "node:crypto";
import { writeFile } from "node:fs/promises";
import t from "tap";
import { CRASH_POINTS } from "../../agent/faults/crash-points.js";
import { TerminalLedger } from "../../agent/journal/terminal-ledger.js";
import { demoPolicy } from "../../protocol/policy.js";
import { startAgentProcess } from "../helpers/agent-process.js";
import { postSale } from "../helpers/api-client.js";
import { freePort } from "../helpers/free-port.js";
import { tempDir } from "../helpers/temp-dir.js";

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
