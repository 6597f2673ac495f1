/**
 * Receipts end to end: sales through the agent's API with a network printer (the TCP
 * stand-in), decoded on the printer side. The printer goes away: the approval is not held
 * up and the receipt waits; it comes back: printed once. The agent restarts with a
 * receipt waiting: printed after the restart. `cardterm receipt reprint` through the
 * running agent and without it: marked REPRINT.
 */
import { randomBytes } from "node:crypto";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import t from "tap";
import { type RunningAgent, startAgent } from "../../agent/agent.js";
import { receiptCommand } from "../../agent/cli/receipt-command.js";
import { startEmbeddedBroker } from "../../agent/demo/embedded-broker.js";
import { silentLogger } from "../../agent/logger.js";
import { REPRINT_MARK } from "../../agent/receipts/receipt-layout.js";
import { loadConfig } from "../../config/load-config.js";
import { startHqServer } from "../../server/hq-server.js";
import { getJson, postSale } from "../helpers/api-client.js";
import { decodeEscPos } from "../helpers/escpos-decode.js";
import { freePort } from "../helpers/free-port.js";
import { STATUS, TcpPrinterStandIn } from "../helpers/tcp-printer.js";
import { tempDir } from "../helpers/temp-dir.js";
import { waitFor } from "../helpers/wait-for.js";

const GOLD = "04A1B2C3";

type Status = {
  broker: { connected: boolean };
  policy: { policy: number | null };
  printer: { state: string; queue: { pending: number } };
};

t.test("receipts through the agent: printed, kept while the printer is away, printed once, reprinted", async (t) => {
  const broker = await startEmbeddedBroker(await freePort());
  t.teardown(() => broker.close());
  const key = randomBytes(32);
  const hq = await startHqServer({
    mqttUrl: broker.url,
    seedDemo: { terminals: [{ id: "T001", keyHex: key.toString("hex") }] },
    log: silentLogger(),
  });
  t.teardown(() => hq.close());
  const printer = await TcpPrinterStandIn.start();
  t.teardown(() => printer.close());
  const dir = await tempDir(t);
  const apiPort = await freePort();
  const file = join(dir, "cardterm.yaml");
  await writeFile(
    file,
    [
      "version: 1",
      "terminal:",
      "  id: T001",
      "  storeName: 测试门店",
      `  key: { hex: "${key.toString("hex")}" }`,
      "  dataDir: ./data",
      `api: { port: ${apiPort} }`,
      "printer:",
      "  type: network",
      `  host: ${printer.host}`,
      `  port: ${printer.port}`,
      "  timeout: 300ms",
      "  statusInterval: 200ms",
      "  header: [漕溪北路 88 号]",
      "  footer: [会员热线 400-820-8820]",
      `server: { mqttUrl: "${broker.url}", authTimeout: 1s }`,
    ].join("\n"),
  );
  const config = await loadConfig(file);
  let agent: RunningAgent | undefined;
  const start = async () => {
    agent = await startAgent(config, { log: silentLogger(), printRetry: { baseMs: 50, capMs: 200 } });
    return agent;
  };
  t.teardown(() => agent?.close());
  const url = `http://127.0.0.1:${apiPort}`;
  const status = () => getJson<Status>(`${url}/api/v1/status`);
  await start();
  await waitFor("agent connected with the policy", async () => {
    const s = await status();
    return s.broker.connected && s.policy.policy !== null;
  });
  const receipts = () =>
    printer
      .jobs()
      .map((b) => decodeEscPos(b))
      .filter((d) => d.cuts === 1);

  // 1. The printer is there: printed before the reply, decoded on the printer side.
  const first = await postSale(url, { amount: 2500, cardUid: GOLD });
  t.match(first.body, { approved: true, receipt: { printed: true } });
  const [r1] = receipts();
  t.same(r1?.qrCodes, [first.body.txnId]);
  t.ok(r1?.lines.some((l) => l.trim() === "测试门店"));
  t.ok(
    r1?.lines.some((l) => l.trim() === "漕溪北路 88 号"),
    "the chain's header from the config",
  );
  t.ok(r1?.lines.some((l) => /^实付\s+￥22\.00$/.test(l)));
  await waitFor("the monitor to see the printer ready", async () => (await status()).printer.state === "ready");

  // 2. The printer goes away: the approval comes back quickly, the receipt waits.
  await printer.stop();
  const t0 = performance.now();
  const second = await postSale(url, { amount: 1000, cardUid: GOLD });
  const ms = performance.now() - t0;
  t.match(second.body, { approved: true, receipt: { printed: "queued" } });
  t.ok(ms < 1_500, `approved in ${Math.round(ms)} ms with the printer gone`);
  const s2 = await status();
  t.equal(s2.printer.state, "offline");
  t.equal(s2.printer.queue.pending, 1);

  // 3. It comes back: printed once.
  await printer.restart();
  await waitFor("the waiting receipt to print", async () => (await status()).printer.queue.pending === 0);
  await new Promise((r) => setTimeout(r, 300));
  t.same(
    receipts().map((d) => d.qrCodes[0]),
    [first.body.txnId, second.body.txnId],
    "each receipt once",
  );

  // 4. The printer is away across an agent restart: printed after the restart.
  await printer.stop();
  const third = await postSale(url, { amount: 500, cardUid: GOLD });
  t.match(third.body, { receipt: { printed: "queued" } });
  await agent!.close();
  await printer.restart();
  await start();
  await waitFor(
    "the receipt kept across the restart to print",
    async () => (await status()).printer.queue.pending === 0,
  );
  t.equal(receipts().filter((d) => d.qrCodes[0] === third.body.txnId).length, 1, "printed once after the restart");

  // 5. Reprint through the running agent: marked REPRINT.
  const out: string[] = [];
  const err: string[] = [];
  t.equal(
    await receiptCommand(
      ["reprint", first.body.txnId, "--config", file],
      (l) => out.push(l),
      (l) => err.push(l),
    ),
    0,
    err.join("\n"),
  );
  t.match(out.join("\n"), /printed/);
  const reprinted = receipts().at(-1)!;
  t.same(reprinted.qrCodes, [first.body.txnId]);
  t.ok(
    reprinted.runs.some((r) => r.text === REPRINT_MARK),
    "REPRINT",
  );
  t.equal(
    await receiptCommand(
      ["reprint", "no-such-txn", "--config", file],
      () => {},
      (l) => err.push(l),
    ),
    1,
  );
  t.match(err.at(-1), /no receipt no-such-txn/);

  // 6. The self-test page through the agent.
  t.equal(
    await receiptCommand(
      ["self-test", "--config", file],
      () => {},
      (l) => err.push(l),
    ),
    0,
  );
  const page = receipts().at(-1)!;
  t.ok(page.lines.some((l) => l.trim() === "打印机自检"));
  t.ok(
    page.lines.some((l) => /^消息服务器\s+已连接$/.test(l)),
    "live broker state from the running agent",
  );

  // 7. Without the agent: the command prints by itself.
  await agent!.close();
  agent = undefined;
  printer.answers = { replies: { 2: STATUS.n2(), 4: STATUS.n4() } };
  const before = receipts().length;
  t.equal(
    await receiptCommand(
      ["reprint", second.body.txnId, "--config", file],
      () => {},
      (l) => err.push(l),
    ),
    0,
    err.join("\n"),
  );
  t.equal(receipts().length, before + 1);
  t.ok(
    receipts()
      .at(-1)!
      .runs.some((r) => r.text === REPRINT_MARK),
  );
  const listed: string[] = [];
  t.equal(await receiptCommand(["list", "--config", file], (l) => listed.push(l)), 0);
  t.match(listed.at(-1), /receipt\(s\), 0 waiting/);
});
