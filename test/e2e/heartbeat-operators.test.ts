/**
 * Which operators document each till holds: the heartbeat carries it
 * (optional, so older tills stay accepted), head office stores it and shows it in
 * `cardterm-hq report terminals`. Through the real embedded broker, the server on PGlite in
 * a temp dir, a real agent, and the real CLI reading the same ledger afterwards.
 */
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { once } from "node:events";
import { join } from "node:path";
import t from "tap";
import { startAgent } from "../../agent/agent.js";
import { startEmbeddedBroker } from "../../agent/demo/embedded-broker.js";
import { silentLogger } from "../../agent/logger.js";
import { decodeMessage, type Heartbeat } from "../../protocol/messages.js";
import { addOperator } from "../../server/backoffice/operators.js";
import { startHqServer } from "../../server/hq-server.js";
import { recordHeartbeat, terminalStatus } from "../../server/ledger/terminal-status.js";
import { testAgentConfig } from "../helpers/agent-config.js";
import { freePort } from "../helpers/free-port.js";
import { tempDir } from "../helpers/temp-dir.js";
import { waitFor } from "../helpers/wait-for.js";

const OLD_TILL: Heartbeat = {
  v: 1,
  at: "2026-11-22T08:00:00.000Z",
  pending: 2,
  policyVersion: 3,
  hotlistVersion: 4,
  devices: {},
};

t.test("the heartbeat schema: an older till's heartbeat without the field, a new one with it", async (t) => {
  t.match(decodeMessage("heartbeat", JSON.stringify(OLD_TILL)), { ok: true, value: { policyVersion: 3 } });
  t.match(decodeMessage("heartbeat", JSON.stringify({ ...OLD_TILL, operatorsVersion: 7 })), {
    ok: true,
    value: { operatorsVersion: 7 },
  });
  t.match(decodeMessage("heartbeat", JSON.stringify({ ...OLD_TILL, operatorsVersion: null })), { ok: true });
  for (const bad of ["7", -1, 1.5]) {
    t.match(
      decodeMessage("heartbeat", JSON.stringify({ ...OLD_TILL, operatorsVersion: bad })),
      { ok: false },
      `${bad}`,
    );
  }
});

t.test("a till's operators version: sent, stored, reported; an operator change shows who has it", async (t) => {
  const broker = await startEmbeddedBroker(await freePort());
  t.teardown(() => broker.close());
  const ledgerDir = join(await tempDir(t, "cardterm-hb-ops-"), "ledger");
  const key = randomBytes(32);
  const hq = await startHqServer({
    mqttUrl: broker.url,
    dataDir: ledgerDir,
    seedDemo: { terminals: [{ id: "T001", keyHex: key.toString("hex") }] },
    log: silentLogger(),
  });
  let hqOpen = true;
  t.teardown(() => (hqOpen ? hq.close() : undefined));
  await hq.db.query("UPDATE terminals SET store_id = 'S1' WHERE id = 'T001'");
  // An operator in the till's store: head office has a document for it.
  await addOperator(
    hq.db,
    { operatorId: "S1-07", storeId: "S1", name: "小李", role: "cashier", pin: "2468" },
    { id: "hq-test", via: "cli" },
  );
  const agent = await startAgent(testAgentConfig({ dataDir: await tempDir(t), mqttUrl: broker.url, key }), {
    log: silentLogger(),
    heartbeatMs: 100,
  });
  t.teardown(() => agent.close());
  await hq.republish(); // the till's store was set after the server started

  const first = await waitFor("a heartbeat naming the operators document held", async () => {
    const s = await hq.ledger.terminalStatus("T001");
    return typeof s?.operatorsVersion === "number" ? s.operatorsVersion : undefined;
  });
  await addOperator(
    hq.db,
    { operatorId: "S1-08", storeId: "S1", name: "小王", role: "cashier", pin: "2468" },
    { id: "hq-test", via: "cli" },
  );
  await hq.republish();
  const second = await waitFor("the till's heartbeat after the operator change", async () => {
    const s = await terminalStatus(hq.db, "T001");
    return s?.operatorsVersion !== undefined && s.operatorsVersion !== null && s.operatorsVersion > first
      ? s.operatorsVersion
      : undefined;
  });
  t.ok(second > first, `the till reports the new version (${first} → ${second})`);
  const held = (agent.status() as { operators?: { version?: number | null } }).operators?.version;
  t.equal(second, held, "the version stored is the one the till says it holds");

  // An older till's heartbeat (no field) beside it: accepted, and stored as unknown, not a stale number.
  await recordHeartbeat(hq.db, "T002", { ...OLD_TILL, operatorsVersion: 5 });
  await recordHeartbeat(hq.db, "T002", OLD_TILL);
  t.match(await terminalStatus(hq.db, "T002"), { policyVersion: 3, operatorsVersion: null });

  await agent.close();
  await hq.close();
  hqOpen = false;
  const report = await hqCli(["report", "terminals", "--json", "--data-dir", ledgerDir]);
  t.equal(report.code, 0, report.stderr);
  const rows = JSON.parse(report.stdout) as { terminalId: string; operatorsVersion: number | null }[];
  t.match(
    rows.find((r) => r.terminalId === "T001"),
    { operatorsVersion: second },
    "the terminals report shows it",
  );
  const table = await hqCli(["report", "terminals", "--data-dir", ledgerDir]);
  t.match(table.stdout, /^terminal .* operators +behind/m, "a column of its own in the table");
  t.match(table.stdout, new RegExp(`^T001 .* ${second} *$`, "m"));
});

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
