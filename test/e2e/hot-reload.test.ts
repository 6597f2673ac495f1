/**
 * Hot reload under a loop of sales: a real `cardterm run` child process, offline
 * (a box that was online before: policy, cards, a recent contact), a network printer
 * stand-in, and four POS workers selling through the HTTP API the whole time while the
 * config file is changed under it:
 *
 *   1. the offline per-sale limit lowered (file saved by rename, as editors do) → applied:
 *      sales started after it obey it;
 *   2. SIGHUP with the file as it is → "unchanged";
 *   3. an invalid file (a typo, and a raised limit that must NOT take effect) → refused,
 *      the old limit still in force, the status naming file:line;
 *   4. the printer moved to another port → that device alone reopened, later receipts
 *      print there;
 *   5. the API port changed → refused: it needs a restart.
 *
 * At the end every approved sale is in the journal exactly once, none is missing, its
 * receipt printed, and no request failed.
 */
import { randomBytes } from "node:crypto";
import { rename, writeFile } from "node:fs/promises";
import t from "tap";
import { TerminalLedger } from "../../agent/journal/terminal-ledger.js";
import { demoPolicy } from "../../rules/policy.js";
import { startAgentProcess } from "../helpers/agent-process.js";
import { getJson, postSale, type SaleReply } from "../helpers/api-client.js";
import { decodeEscPos } from "../helpers/escpos-decode.js";
import { freePort } from "../helpers/free-port.js";
import { parsePrometheusText, sampleValue } from "../helpers/prometheus-text.js";
import { TcpPrinterStandIn } from "../helpers/tcp-printer.js";
import { tempDir } from "../helpers/temp-dir.js";
import { waitFor } from "../helpers/wait-for.js";

const CARDS = ["ic:04A1B2C3", "ic:04A1B2C4", "ic:04A1B2C5", "ic:04A1B2C6"];
const SMALL = 4_000; // 40.00: within every limit used here
const LARGE = 8_000; // 80.00: within 100.00, over 50.00

interface Sale {
  amount: number;
  startedAt: number;
  finishedAt: number;
  status: number;
  body: SaleReply & { message?: string };
}

interface ReloadStatus {
  at: string;
  trigger: string;
  result: string;
  code?: string;
  problems: { file: string; line: number; path: string; message: string }[];
  changes: { path: string; kind: string }[];
  devicesRestarted: string[];
}

/** A box that has been online before: the policy, the cards and a recent contact. */
async function offlineBox(dir: string, key: Buffer): Promise<void> {
  await writeFile(`${dir}/policy.json`, JSON.stringify(demoPolicy()));
  const ledger = await TerminalLedger.open({ dataDir: dir, terminalId: "T001", key });
  ledger.noteContact(Date.now());
  for (const [i, cardId] of CARDS.entries()) {
    const card = { cardId, accountId: `A${i}`, memberName: `会员${i}`, cardType: "standard", status: "active" };
    await ledger.rememberCard(
      { ...card, balance: 10_000_000, points: 0 } as never,
      { appliedSeq: 0, onlineThrough: 0 },
      Date.now(),
    );
  }
  await ledger.close();
}

function configText(o: {
  dir: string;
  key: Buffer;
  apiPort: number;
  mqttPort: number;
  printerPort: number;
  perTransaction: string;
}) {
  return [
    "version: 1",
    "terminal:",
    "  id: T001",
    `  key: { hex: "${o.key.toString("hex")}" }`,
    `  dataDir: ${o.dir}`,
    `api: { host: 127.0.0.1, port: ${o.apiPort} }`,
    "server:",
    `  mqttUrl: mqtt://127.0.0.1:${o.mqttPort}`, // nothing listens there: the till is offline
    "printer:",
    "  type: network",
    "  host: 127.0.0.1",
    `  port: ${o.printerPort}`,
    "  statusInterval: 1s",
    "offline:",
    `  perTransaction: "${o.perTransaction}"`,
    '  perCard: "100000.00"',
    "  perCardCount: 100000",
    '  terminalTotal: "100000.00"',
    "  terminalCount: 100000",
    "",
  ].join("\n");
}

t.test("config reloads during a loop of sales lose no sale and never apply an invalid file", async (t) => {
  const dir = await tempDir(t);
  const key = randomBytes(32);
  await offlineBox(dir, key);
  const [printerA, printerB] = [await TcpPrinterStandIn.start(), await TcpPrinterStandIn.start()];
  t.teardown(() => Promise.all([printerA.close(), printerB.close()]));
  const apiPort = await freePort();
  const file = `${dir}/cardterm.yaml`;
  const base = { dir, key, apiPort, mqttPort: await freePort(), printerPort: printerA.port, perTransaction: "100.00" };
  /** Save as an editor does: a new file renamed over the old one. */
  const save = async (text: string) => {
    await writeFile(`${file}.tmp`, text);
    await rename(`${file}.tmp`, file);
  };
  await writeFile(file, configText(base));
  const agent = await startAgentProcess({ config: file, apiPort });
  t.teardown(() => agent.kill());
  const status = () =>
    getJson<{ reload: ReloadStatus | null; printer: { queue: { pending: number } } }>(`${agent.url}/api/v1/status`);
  const reloadAfter = (since: string | undefined, what: (r: ReloadStatus) => boolean) =>
    waitFor("the reload", async () => {
      const r = (await status()).reload;
      return r && r.at !== since && what(r) ? r : null;
    });

  // The POS: four workers, one card each, alternating 40.00 and 80.00, until told to stop.
  const sales: Sale[] = [];
  let stop = false;
  const worker = async (card: string) => {
    for (let i = 0; !stop; i++) {
      const amount = i % 2 === 0 ? SMALL : LARGE;
      const startedAt = Date.now();
      const reply = await postSale(agent.url, { amount, cardUid: card });
      sales.push({ amount, startedAt, finishedAt: Date.now(), ...reply });
      await new Promise((r) => setTimeout(r, 40));
    }
  };
  const workers = CARDS.map(worker);
  const moreSales = (n: number) => {
    const target = sales.length + n;
    return waitFor(`${n} more sales`, () => sales.length >= target, 30_000);
  };

  // 1. The limit lowered to 50.00.
  await moreSales(30);
  const loweredAt = Date.now();
  await save(configText({ ...base, perTransaction: "50.00" }));
  const lowered = await reloadAfter(undefined, (r) => r.result === "applied");
  t.same(lowered.changes, [{ path: "offline.perTransactionMinor", kind: "live" }], "one live change");
  t.equal(lowered.trigger, "file", "noticed by the file watch");

  // 2. SIGHUP with the file unchanged.
  await moreSales(30);
  process.kill(agent.child.pid!, "SIGHUP");
  const hup = await reloadAfter(lowered.at, (r) => r.trigger === "signal");
  t.equal(hup.result, "unchanged");

  // 3. An invalid file: a typo on line 20, and a raised limit that must not take effect.
  await moreSales(30);
  const invalid = `${configText({ ...base, perTransaction: "100.00" })}tapTimeot: 5s\n`;
  t.equal(invalid.split("\n")[19], "tapTimeot: 5s");
  await writeFile(file, invalid);
  const refused = await reloadAfter(hup.at, (r) => r.result === "refused");
  t.equal(refused.code, "CT_RELOAD_REFUSED");
  t.match(refused.problems, [{ file, line: 20, path: "tapTimeot" }], "the status names file:line and the key");

  // 4. The printer moved to another port: only that device is reopened.
  await moreSales(30);
  await save(configText({ ...base, perTransaction: "50.00", printerPort: printerB.port }));
  const moved = await reloadAfter(refused.at, (r) => r.result === "applied");
  t.same(moved.devicesRestarted, ["printer:receipt"]);
  t.same(
    moved.changes.map((c) => c.kind),
    ["device"],
    "the printer port is a device change",
  );

  // 5. The API port changed: refused, a restart is needed.
  await moreSales(30);
  await save(configText({ ...base, perTransaction: "50.00", printerPort: printerB.port, apiPort: apiPort + 2 }));
  const restart = await reloadAfter(moved.at, (r) => r.result === "restart-needed");
  t.equal(restart.code, "CT_RELOAD_RESTART_NEEDED");
  t.match(restart.problems, [{ path: "api.port", line: 6 }]);

  await moreSales(Math.max(30, 200 - sales.length));
  stop = true;
  await Promise.all(workers);
  t.ok(sales.length >= 200, `${sales.length} sales through the reloads`);

  // No request failed, and each decision followed the limit in force when the sale started.
  t.same(
    sales.filter((s) => s.status !== 200).map((s) => `${s.status} ${s.body.message}`),
    [],
    "every sale answered 200",
  );
  const at = (r: ReloadStatus) => Date.parse(r.at);
  const wrong = sales.filter((s) => {
    const declinedOverLimit = !s.body.approved && s.body.code === "OFFLINE_LIMIT_TXN";
    if (s.amount === SMALL) return !s.body.approved; // within every limit, always
    if (s.finishedAt < loweredAt) return !s.body.approved; // 100.00 in force
    if (s.startedAt > at(lowered)) return !declinedOverLimit; // 50.00 in force — also after the refused file
    return !(s.body.approved || declinedOverLimit); // in flight during the reload: either limit
  });
  t.same(wrong, [], "every sale decided under the limit in force when it started");
  t.ok(
    sales.some((s) => s.amount === LARGE && s.startedAt > at(refused) && s.body.code === "OFFLINE_LIMIT_TXN"),
    "after the refused file the old 50.00 limit still holds",
  );

  // Every receipt printed once at least; those of sales started after the move, on the new port.
  const approved = sales.filter((s) => s.body.approved);
  await waitFor("the print queue to drain", async () => (await status()).printer.queue.pending === 0, 20_000);
  const printed = (p: TcpPrinterStandIn) => new Set(p.jobs().flatMap((b) => decodeEscPos(b).qrCodes));
  const [onA, onB] = [printed(printerA), printed(printerB)];
  t.same(
    approved.filter((s) => !onA.has(s.body.txnId) && !onB.has(s.body.txnId)).map((s) => s.body.txnId),
    [],
    "every approved sale's receipt was printed",
  );
  const afterMove = approved.filter((s) => s.startedAt > at(moved));
  t.ok(afterMove.length > 0);
  t.same(
    afterMove.filter((s) => onA.has(s.body.txnId)).map((s) => s.body.txnId),
    [],
    "nothing started after the move printed on the old port",
  );

  // The reloads, counted.
  const metrics = parsePrometheusText(await (await fetch(`${agent.url}/metrics`)).text());
  t.equal(sampleValue(metrics, "cardterm_reload_total", { result: "applied" }), 2);
  t.equal(sampleValue(metrics, "cardterm_reload_total", { result: "refused" }), 1);
  t.equal(sampleValue(metrics, "cardterm_reload_total", { result: "restart-needed" }), 1);
  t.ok((sampleValue(metrics, "cardterm_reload_total", { result: "unchanged" }) ?? 0) >= 1);

  // A clean stop, then the journal: every approval exactly once, nothing else, no gap.
  await agent.kill("SIGTERM");
  t.match(await agent.exited, { code: 0 }, "SIGTERM ends the agent cleanly");
  const ledger = await TerminalLedger.open({ dataDir: dir, terminalId: "T001", key, readOnly: true });
  t.same(ledger.checkIntegrity(), { ok: true });
  const entries = ledger.pending();
  t.same(
    entries.map((e) => e.txnId).sort(),
    approved.map((s) => s.body.txnId).sort(),
    `the journal holds the ${approved.length} approvals, each once, and nothing declined`,
  );
  t.same(
    entries.map((e) => e.seq),
    entries.map((_, i) => i + 1),
    "no gap in the sequence",
  );
});
