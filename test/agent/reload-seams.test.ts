/**
 * The parts a reload works through: a sale keeps the settings it started with, operator
 * sessions follow the new operators, a printer or a serial reader is reopened in place
 * (real socat ptys), the config file watch survives an editor's rename, and the
 * watchdog's health check.
 */
import { randomBytes } from "node:crypto";
import { rename, writeFile } from "node:fs/promises";
import t from "tap";
import { startAgent } from "../../agent/agent.js";
import { TerminalLedger } from "../../agent/journal/terminal-ledger.js";
import { silentLogger } from "../../agent/logger.js";
import { OperatorSessions } from "../../agent/operators/sessions.js";
import { watchConfigFile } from "../../agent/runtime/config-watch.js";
import { startHealthWatch } from "../../agent/runtime/health-watch.js";
import { SwappablePrinter } from "../../agent/runtime/swappable-printer.js";
import { Decider } from "../../agent/sale/decider.js";
import { loadConfig } from "../../config/load-config.js";
import { NullPrinter } from "../../drivers/printer/null-printer.js";
import type { PrintJob, PrintResult, ReceiptPrinter } from "../../drivers/printer/receipt-printer.js";
import type { OfflineLimits } from "../../rules/offline-rules.js";
import { hashPin } from "../../rules/pin.js";
import { demoPolicy } from "../../rules/policy.js";
import { postSale } from "../helpers/api-client.js";
import { freePort } from "../helpers/free-port.js";
import { startPtyPair } from "../helpers/socat.js";
import { tempDir } from "../helpers/temp-dir.js";
import { waitFor } from "../helpers/wait-for.js";

const limits: OfflineLimits = {
  enabled: true,
  perTransactionMinor: 30_000,
  perCardMinor: 500_000,
  perCardCount: 50,
  terminalMinor: 800_000,
  terminalCount: 300,
  maxOfflineAgeMs: 3_600_000,
  allowUnknownCards: false,
};
const card = {
  cardId: "ic:04A1B2C3",
  accountId: "A1",
  memberName: "张伟",
  cardType: "gold",
  status: "active" as const,
  balance: 1_000_000,
  points: 0,
};

t.test("a sale decides under the settings it started with; the next one under the new", async (t) => {
  const key = randomBytes(32);
  const ledger = await TerminalLedger.open({ dataDir: await tempDir(t), terminalId: "T001", key });
  t.teardown(() => ledger.close());
  await ledger.rememberCard(card, { appliedSeq: 0, onlineThrough: 0 }, Date.now());
  ledger.noteContact(Date.now());
  const settings = { offline: limits, authTimeoutMs: 50, timeZone: "Asia/Shanghai", language: "en" as const };
  const decider = new Decider({
    terminalId: "T001",
    ledger,
    online: { isConnected: () => false, authorise: async () => "timeout" },
    policy: demoPolicy,
    hotlist: () => new Set(),
    now: Date.now,
    log: silentLogger(),
    settings,
  });
  const sale = (txnId: string) => decider.decideSale({ txnId, cardId: card.cardId, gross: 20_000, operatorId: "001" });
  const started = sale("before"); // in progress when the reload lands
  decider.reconfigure({ ...settings, offline: { ...limits, perTransactionMinor: 10_000 } });
  const after = sale("after");
  t.match(await started, { approved: true, mode: "offline" }, "started under 300.00: approved");
  t.match(await after, { approved: false, code: "OFFLINE_LIMIT_TXN" }, "started under 100.00: declined");
});

t.test("operator sessions follow a reload: removed or re-roled operators are logged out", async (t) => {
  const op = (id: string, role: "cashier" | "supervisor") => ({ id, name: id, role, pinHash: hashPin("1234") });
  let now = 0;
  const sessions = new OperatorSessions(
    [op("001", "cashier"), op("002", "cashier"), op("900", "supervisor")],
    60_000,
    () => now,
  );
  const [a, b, c] = ["001", "002", "900"].map((id) => sessions.logInWithPin(id, "1234").token);
  sessions.reconfigure([op("001", "cashier"), op("900", "cashier")], 10_000);
  t.equal(sessions.use(a).operator.id, "001", "an unchanged operator stays logged in");
  t.throws(() => sessions.use(b), { code: "CT_UNAUTHORIZED" }, "a removed operator is logged out");
  t.throws(() => sessions.use(c), { code: "CT_UNAUTHORIZED" }, "a demoted supervisor must log in again");
  t.throws(() => sessions.logInWithPin("002", "1234"), { code: "CT_LOGIN_FAILED" });
  now += 11_000;
  t.throws(() => sessions.use(a), { code: "CT_UNAUTHORIZED" }, "the new idle time-out holds");
});

t.test("a printer swap waits for the print in progress, holds new jobs, then closes the old device", async (t) => {
  const events: string[] = [];
  const slow = (name: string, ms: number): ReceiptPrinter => ({
    id: "receipt",
    type: name,
    async print(job: PrintJob): Promise<PrintResult> {
      events.push(`${name} start ${job.id}`);
      await new Promise((r) => setTimeout(r, ms));
      events.push(`${name} done ${job.id}`);
      return { bytes: 1 };
    },
    status: () => ({ id: "receipt", type: name, state: "ready", lastPrintAt: null }),
    async close() {
      events.push(`${name} closed`);
    },
  });
  const printer = new SwappablePrinter(slow("old", 60));
  const first = printer.print({ id: "1", markup: "" });
  await new Promise((r) => setTimeout(r, 10));
  const swapped = printer.swap(slow("new", 1));
  const second = printer.print({ id: "2", markup: "" });
  await Promise.all([first, swapped, second]);
  t.same(events, ["old start 1", "old done 1", "old closed", "new start 2", "new done 2"]);
  t.equal(printer.type, "new");
  await printer.swap(new NullPrinter("receipt"));
  t.equal(printer.status().state, "closed", "status is the new device's");
});

t.test("a serial reader moved to another port is reopened; a sale waiting for a tap takes it from there", async (t) => {
  const [ptyA, ptyB] = [await startPtyPair(), await startPtyPair()];
  t.teardown(() => Promise.all([ptyA.stop(), ptyB.stop()]));
  const dir = await tempDir(t);
  const key = randomBytes(32);
  await writeFile(`${dir}/policy.json`, JSON.stringify(demoPolicy()));
  const apiPort = await freePort();
  const file = `${dir}/cardterm.yaml`;
  const mqttPort = await freePort(); // nothing listens: offline
  const yaml = (path: string) =>
    [
      "version: 1",
      "terminal:",
      "  id: T001",
      `  key: { hex: "${key.toString("hex")}" }`,
      `  dataDir: ${dir}`,
      `api: { host: 127.0.0.1, port: ${apiPort} }`,
      "readers:",
      "  - id: front",
      "    type: serial-id",
      `    path: ${path}`,
      "    debounce: 100ms",
      "server:",
      `  mqttUrl: mqtt://127.0.0.1:${mqttPort}`,
      "",
    ].join("\n");
  await writeFile(file, yaml(ptyA.agentPath));
  const agent = await startAgent(await loadConfig(file), { log: silentLogger() });
  t.teardown(() => agent.close());
  const reader = () => agent.readers[0]!.status();
  await waitFor("reader open on A", () => reader().state === "present");

  const waiting = postSale(agent.url, { amount: 1000 }); // waits for a tap across the reload
  await new Promise((r) => setTimeout(r, 200));
  await writeFile(file, yaml(ptyB.agentPath));
  const report = await agent.reload();
  t.same(report.devicesRestarted, ["reader:front"]);
  t.same(report.changes, [{ path: "readers[0]", kind: "device", device: "reader:front" }]);
  await waitFor("reader open on B", () => reader().state === "present");
  await ptyB.write("0012345678\r\n");
  const reply = await waiting;
  t.equal(reply.status, 200, "the waiting sale got its tap from the new port");
  t.match(reply.body, { txnId: String });
  t.equal(agent.readers[0]!.id, "front", "same reader, same id");
});

t.test("the config watch sees an editor's save by rename, once, and nothing else in the directory", async (t) => {
  const dir = await tempDir(t);
  const file = `${dir}/config.yaml`;
  await writeFile(file, "a: 1\n");
  let changes = 0;
  const watch = watchConfigFile(file, () => changes++, { debounceMs: 100 });
  t.teardown(() => watch.close());
  await writeFile(`${dir}/other.txt`, "x");
  await new Promise((r) => setTimeout(r, 250));
  t.equal(changes, 0, "another file in the directory is not the config");
  await writeFile(`${dir}/.config.yaml.swp`, "x");
  await rename(`${dir}/.config.yaml.swp`, file);
  await waitFor("the change", () => changes === 1);
  await writeFile(file, "a: 2\n");
  await writeFile(file, "a: 3\n");
  await waitFor("the second change", () => changes === 2);
  await new Promise((r) => setTimeout(r, 250));
  t.equal(changes, 2, "a burst of writes is one change");
  watch.close();
  await writeFile(file, "a: 4\n");
  await new Promise((r) => setTimeout(r, 250));
  t.equal(changes, 2, "closed: no more");
});

t.test("the watchdog health check: a stalled event loop and a journal that stops taking approvals", async (t) => {
  let journalOk = true;
  const health = startHealthWatch({ journalOk: () => journalOk, stallMs: 150 });
  t.teardown(() => health.stop());
  await new Promise((r) => setTimeout(r, 100));
  t.match(health.check(), { healthy: true });
  const until = Date.now() + 300;
  while (Date.now() < until) {
    // a stalled event loop: nothing else runs for 300 ms
  }
  await new Promise((r) => setTimeout(r, 50));
  const stalled = health.check();
  t.equal(stalled.healthy, false);
  t.ok(stalled.maxStallMs >= 150, `stall measured: ${stalled.maxStallMs} ms`);
  t.match(stalled.problem, /event loop stalled/);
  await new Promise((r) => setTimeout(r, 100));
  t.match(health.check(), { healthy: true }, "one answer per interval: the next one is fine again");
  journalOk = false;
  t.match(health.check(), { healthy: false, problem: /journal/ });

  const corruptAtStart = startHealthWatch({ journalOk: () => false, stallMs: 10_000 });
  t.teardown(() => corruptAtStart.stop());
  t.match(corruptAtStart.check(), { healthy: true }, "a journal bad since start-up is not the watchdog's to fix");
});
