import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { createConnection, Socket } from "node:net";
import { basename, join } from "node:path";
import t, { type Test } from "tap";
import { saleReceiptMarkup } from "../../agent/receipts/sale-receipt.js";
import { interpretStatus, StatusReplyReader } from "../../drivers/printer/escpos-status.js";
import { NetworkPrinter, type NetworkPrinterOptions } from "../../drivers/printer/network-printer.js";
import { PreviewPrinter, previewFileStem } from "../../drivers/printer/preview-printer.js";
import { mayHavePrinted, type PrintJob } from "../../drivers/printer/receipt-printer.js";
import { isCardtermError } from "../../protocol/errors.js";
import { decodeEscPos } from "../helpers/escpos-decode.js";
import { SAMPLE_SALE } from "../helpers/render-samples.js";
import { STATUS, TcpPrinterStandIn } from "../helpers/tcp-printer.js";
import { tempDir } from "../helpers/temp-dir.js";

const TIMEOUT = 300;
/** Slack for timers on a loaded CI box: an operation must end within its timeout plus this. */
const SLACK = 700;
const NOW = Date.parse("2024-05-01T04:35:00.000Z");

const job: PrintJob = {
  id: SAMPLE_SALE.txnId,
  markup: saleReceiptMarkup(SAMPLE_SALE, { language: "zh-CN", paperWidth: 80, timeZone: "Asia/Shanghai" }),
};

async function standIn(t: Test): Promise<TcpPrinterStandIn> {
  const p = await TcpPrinterStandIn.start();
  t.teardown(() => p.close());
  return p;
}

/** A printer whose sockets the test can inspect afterwards. */
function networkPrinter(t: Test, port: number, over: Partial<NetworkPrinterOptions> = {}) {
  const sockets: Socket[] = [];
  const config: NetworkPrinterOptions = { host: "127.0.0.1", port, paperWidth: 80, timeoutMs: TIMEOUT };
  const printer = new NetworkPrinter(
    "receipt",
    { ...config, ...over },
    {
      language: "zh-CN",
      now: () => NOW,
      connect: (p, host) => {
        const s = createConnection({ port: p, host });
        sockets.push(s);
        return s;
      },
    },
  );
  t.teardown(() => printer.close());
  return { printer, sockets };
}

async function timed<T>(fn: () => Promise<T>): Promise<{ ms: number; value?: T; error?: unknown }> {
  const start = performance.now();
  try {
    const value = await fn();
    return { ms: performance.now() - start, value };
  } catch (error) {
    return { ms: performance.now() - start, error };
  }
}

function assertNoSocketLeft(t: Test, sockets: Socket[]): void {
  t.ok(sockets.length > 0, "the printer opened connections");
  for (const s of sockets) {
    t.ok(s.destroyed, "socket destroyed");
    t.equal(s.listenerCount("data") + s.listenerCount("connect"), 0, "no data or connect listeners left");
    t.ok(s.listenerCount("end") <= 1, "only net.Socket's own 'end' listener");
    t.ok(s.listenerCount("error") <= 1, "only the guard against late errors");
  }
}

t.test(
  "a receipt printed over TCP arrives whole: decoded text, QR = txn id, one cut; the connection is closed",
  async (t) => {
    const stand = await standIn(t);
    const { printer, sockets } = networkPrinter(t, stand.port);
    const result = await printer.print(job);
    await stand.waitForClosed(1);
    const [bytes] = stand.jobs();
    t.ok(bytes, "the printer got bytes");
    t.equal(result.bytes, bytes!.length, "every byte rendered reached the printer");
    const d = decodeEscPos(bytes!);
    t.same(d.unknown, []);
    t.ok(
      d.lines.some((l) => l.includes("悦享生活馆")),
      "store name",
    );
    t.ok(
      d.lines.some((l) => /^实付\s+￥115\.20$/.test(l)),
      "amount paid",
    );
    t.same(d.qrCodes, [SAMPLE_SALE.txnId]);
    t.equal(d.cuts, 1);
    t.equal(stand.openConnections, 0, "one connection per job, closed after it");
    t.equal(printer.status().lastPrintAt, new Date(NOW).toISOString(), "time from the injected clock");
    t.equal(printer.status().state, "unknown", "printing alone says nothing about paper");
    t.equal(result.previewPng, undefined, "no previews unless asked");
    assertNoSocketLeft(t, sockets);
  },
);

t.test("jobs sent at once go one connection at a time, in order", async (t) => {
  const stand = await standIn(t);
  const { printer } = networkPrinter(t, stand.port);
  const ids = ["A-1", "A-2", "A-3"];
  let open = 0;
  let maxOpen = 0;
  const watch = setInterval(() => {
    open = stand.openConnections;
    maxOpen = Math.max(maxOpen, open);
  }, 1);
  t.teardown(() => clearInterval(watch));
  await Promise.all(ids.map((id) => printer.print({ id, markup: `${id}\n` })));
  await stand.waitForClosed(3);
  t.same(
    stand.jobs().map((b) => decodeEscPos(b).lines[0]?.trim()),
    ids,
    "each job on its own connection, in the order given",
  );
  t.ok(maxOpen <= 1, "never two connections to the printer at once");
});

const statusCases: { name: string; n2: number; n4: number; state: string }[] = [
  { name: "all clear", n2: STATUS.n2(), n4: STATUS.n4(), state: "ready" },
  { name: "roll paper end (n=4 bits 5-6)", n2: STATUS.n2(), n4: STATUS.n4({ paperEnd: true }), state: "paper-out" },
  {
    name: "stopped by paper end (n=2 bit 5)",
    n2: STATUS.n2({ paperEndStop: true }),
    n4: STATUS.n4(),
    state: "paper-out",
  },
  { name: "cover open (n=2 bit 2)", n2: STATUS.n2({ coverOpen: true }), n4: STATUS.n4(), state: "cover-open" },
  { name: "near end (n=4 bits 2-3)", n2: STATUS.n2(), n4: STATUS.n4({ nearEnd: true }), state: "paper-near-end" },
  {
    name: "cover open and paper out: the cover is reported first",
    n2: STATUS.n2({ coverOpen: true, paperEndStop: true }),
    n4: STATUS.n4({ paperEnd: true }),
    state: "cover-open",
  },
];

t.test("DLE EOT status: each printer condition maps to its state", async (t) => {
  const stand = await standIn(t);
  const { printer, sockets } = networkPrinter(t, stand.port);
  for (const c of statusCases) {
    stand.answers = { replies: { 2: c.n2, 4: c.n4 } };
    const s = await printer.refreshStatus();
    t.equal(s.state, c.state, c.name);
    t.equal(printer.status().state, c.state, `${c.name}: status() holds it`);
  }
  await stand.waitForClosed(statusCases.length);
  const queries = stand.connections.map((c) => [...c.bytes]);
  t.same(queries[0], [0x10, 0x04, 0x02, 0x10, 0x04, 0x04], "asks DLE EOT 2 then DLE EOT 4");
  assertNoSocketLeft(t, sockets);
});

t.test("status replies after noise in separate segments, or late, still parse", async (t) => {
  const stand = await standIn(t);
  const { printer } = networkPrinter(t, stand.port);
  const asb = Buffer.from([0x14, 0x00, 0x00, 0x0f]); // an ASB packet: not a DLE EOT reply
  stand.answers = { replies: { 2: STATUS.n2(), 4: STATUS.n4({ paperEnd: true }) }, noise: asb };
  t.equal((await printer.refreshStatus()).state, "paper-out", "ASB bytes before each reply are skipped");
  stand.answers = { replies: { 2: STATUS.n2({ coverOpen: true }), 4: STATUS.n4() }, delayMs: TIMEOUT / 4 };
  t.equal((await printer.refreshStatus()).state, "cover-open", "a reply within the timeout counts");
});

t.test("a printer that never answers DLE EOT is 'unknown' after the timeout — no hang", async (t) => {
  const stand = await standIn(t);
  const { printer, sockets } = networkPrinter(t, stand.port);
  stand.answers = null;
  const r = await timed(() => printer.refreshStatus());
  t.equal(r.value?.state, "unknown");
  t.match(r.value?.detail, /did not answer/);
  t.ok(r.ms < TIMEOUT + SLACK, `gave up in ${Math.round(r.ms)} ms`);
  t.ok(r.ms >= TIMEOUT / 2 - 20, "after waiting for the reply");
  stand.answers = { replies: { 2: STATUS.n2() } };
  const half = await printer.refreshStatus();
  t.equal(half.state, "ready", "n=2 alone rules out cover open, paper-end stop and errors");
  t.match(half.detail, /partial/, "and says the status is partial");
  assertNoSocketLeft(t, sockets);
});

t.test("printer gone: print rejects CT_PRINTER_OFFLINE fast, status says offline, and it recovers", async (t) => {
  const stand = await standIn(t);
  const { printer, sockets } = networkPrinter(t, stand.port);
  await stand.stop();
  const r = await timed(() => printer.print(job));
  t.ok(isCardtermError(r.error, "CT_PRINTER_OFFLINE"), "CT_PRINTER_OFFLINE");
  t.match((r.error as Error).message, /127\.0\.0\.1:\d+/, "the message says which printer");
  t.ok(r.ms < TIMEOUT + SLACK, `within the timeout (${Math.round(r.ms)} ms)`);
  t.equal(printer.status().state, "offline");
  t.equal((await printer.refreshStatus()).state, "offline", "status query on a dead printer: offline, no throw");

  await stand.restart();
  await printer.print(job);
  t.equal(stand.jobs().length, 1, "prints again once the printer is back on the same port");
  assertNoSocketLeft(t, sockets);
});

t.test("a printer that accepts but never reads or closes: print fails within the timeout", async (t) => {
  const stand = await standIn(t);
  const { printer, sockets } = networkPrinter(t, stand.port);
  stand.behaviour = "hold";
  const r = await timed(() => printer.print(job));
  t.ok(isCardtermError(r.error, "CT_PRINTER_OFFLINE"));
  t.match((r.error as Error).message, /no answer within 300 ms/);
  t.ok(r.ms < TIMEOUT * 2 + SLACK, `gave up in ${Math.round(r.ms)} ms`);
  assertNoSocketLeft(t, sockets);
});

t.test("a printer that resets the connection: CT_PRINTER_OFFLINE, not a false 'printed'", async (t) => {
  const stand = await standIn(t);
  const { printer, sockets } = networkPrinter(t, stand.port);
  stand.behaviour = "reset";
  const r = await timed(() => printer.print(job));
  t.ok(isCardtermError(r.error, "CT_PRINTER_OFFLINE"), String(r.error));
  t.ok(r.ms < TIMEOUT + SLACK);
  assertNoSocketLeft(t, sockets);
});

t.test("a connect that never completes is cut off at the timeout and the socket destroyed", async (t) => {
  const stuck = new Socket(); // never connects: like a host that drops SYNs
  const printer = new NetworkPrinter(
    "receipt",
    { host: "192.0.2.1", port: 9100, paperWidth: 58, timeoutMs: TIMEOUT },
    { language: "en", connect: () => stuck },
  );
  t.teardown(() => printer.close());
  const r = await timed(() => printer.print(job));
  t.ok(isCardtermError(r.error, "CT_PRINTER_OFFLINE"));
  t.match((r.error as Error).message, /connect failed: no answer within 300 ms/);
  t.ok(r.ms >= TIMEOUT - 20 && r.ms < TIMEOUT + SLACK, `${Math.round(r.ms)} ms`);
  t.ok(stuck.destroyed);
});

t.test("close() ends a job in flight at once, is safe twice, and later jobs reject", async (t) => {
  const stand = await standIn(t);
  const { printer, sockets } = networkPrinter(t, stand.port, { timeoutMs: 10_000 });
  stand.behaviour = "hold";
  const pending = timed(() => printer.print(job));
  await new Promise((r) => setTimeout(r, 50));
  await printer.close();
  await printer.close();
  const r = await pending;
  t.ok(isCardtermError(r.error, "CT_PRINTER_OFFLINE"));
  t.ok(r.ms < 2000, "did not wait for the 10 s timeout");
  t.equal(printer.status().state, "closed");
  await t.rejects(printer.print(job), { code: "CT_PRINTER_OFFLINE" });
  t.equal((await printer.refreshStatus()).state, "closed");
  assertNoSocketLeft(t, sockets);
});

t.test("a network printer with previewDir also keeps PNG, SVG and ESC/POS previews", async (t) => {
  const stand = await standIn(t);
  const dir = await tempDir(t);
  const { printer } = networkPrinter(t, stand.port, { previewDir: dir });
  const result = await printer.print(job);
  t.ok(result.previewPng && existsSync(result.previewPng));
  t.ok(result.previewSvg && existsSync(result.previewSvg));
  await stand.waitForClosed(1);
  const bin = readFileSync(join(dir, `${previewFileStem(job.id)}.bin`));
  t.ok(bin.equals(stand.jobs()[0]!), "the .bin is exactly what the printer got");
});

t.test("the preview printer writes a real PNG, the SVG and the ESC/POS bytes under a safe name", async (t) => {
  const dir = await tempDir(t);
  const printer = new PreviewPrinter(
    "receipt",
    { previewDir: dir, paperWidth: 58 },
    { language: "zh-CN", now: () => NOW },
  );
  const result = await printer.print(job);
  const png = readFileSync(result.previewPng!);
  t.same([...png.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], "PNG signature");
  t.ok(png.length > 10_000, `a whole receipt (${png.length} bytes)`);
  t.equal(png.readUInt32BE(16), 384 + 32, "58 mm wide plus margins");
  t.match(readFileSync(result.previewSvg!, "utf8"), /^<svg /);
  t.same(decodeEscPos(readFileSync(result.previewBin)).qrCodes, [SAMPLE_SALE.txnId]);
  t.equal(result.bytes, readFileSync(result.previewBin).length);
  t.equal(printer.status().state, "ready");
  t.equal(printer.status().lastPrintAt, new Date(NOW).toISOString());

  const evil = await printer.print({ id: "../../etc/passwd", markup: "x\n" });
  t.equal(evil.previewPng.startsWith(`${dir}/`), true, "stays inside previewDir");
  t.match(basename(evil.previewPng), /^[A-Za-z0-9_][A-Za-z0-9._-]*-[0-9a-f]{8}\.png$/, "a plain file name");
  t.not(previewFileStem("a/b"), previewFileStem("a_b"), "ids that sanitise alike get different files");
  t.equal(previewFileStem("T001-000123"), "T001-000123", "safe ids are kept as they are");
  t.equal(readdirSync(dir).filter((f) => f.endsWith(".tmp")).length, 0, "no temp files left");
});

t.test("a preview dir that cannot be written: CT_PRINTER_OFFLINE and status offline", async (t) => {
  const dir = await tempDir(t);
  const blocker = join(dir, "not-a-dir");
  writeFileSync(blocker, "");
  const printer = new PreviewPrinter("receipt", { previewDir: blocker, paperWidth: 80 }, { language: "en" });
  await t.rejects(printer.print(job), { code: "CT_PRINTER_OFFLINE" });
  t.equal(printer.status().state, "offline");
  t.match(printer.status().detail, /not-a-dir/);
});

t.test("the status reader takes one reply byte per query from any chunking and skips other bytes", async (t) => {
  const r = new StatusReplyReader();
  r.push(Buffer.from([0x12, 0x72])); // two replies in one segment
  t.equal(r.take(), 0x12);
  t.equal(r.take(), 0x72);
  t.equal(r.take(), undefined);
  r.push(Buffer.from([0x14, 0x00, 0x00, 0x0f])); // ASB
  r.push(Buffer.from([0x13])); // XOFF
  r.push(Buffer.from([0x16]));
  t.equal(r.take(), 0x16, "cover-open reply found after ASB and XOFF");
  t.equal(r.ignoredBytes, 5);

  t.same(interpretStatus({ offlineCause: null, paperSensor: null }).state, "unknown");
  t.same(interpretStatus({ offlineCause: 0x12, paperSensor: null }).state, "ready");
  t.match(interpretStatus({ offlineCause: 0x12, paperSensor: null }).detail, /partial/);
  t.same(interpretStatus({ offlineCause: 0x52, paperSensor: 0x12 }).state, "offline", "error bit (n=2 bit 6)");
});

t.test("a status reply spread over TCP segments (ASB noise one byte per segment) still parses", async (t) => {
  const stand = await standIn(t);
  const { printer, sockets } = networkPrinter(t, stand.port);
  stand.answers = {
    replies: { 2: STATUS.n2({ coverOpen: true }), 4: STATUS.n4() },
    noise: Buffer.from([0x14, 0x00, 0x00, 0x0f]),
    noiseBytewise: true,
  };
  t.equal((await printer.refreshStatus()).state, "cover-open");
  stand.answers = {
    replies: { 2: STATUS.n2(), 4: STATUS.n4({ nearEnd: true }) },
    noise: Buffer.from([0x13, 0x11]), // XOFF, XON
    noiseBytewise: true,
  };
  t.equal((await printer.refreshStatus()).state, "paper-near-end");
  assertNoSocketLeft(t, sockets);
});

t.test("a hundred status polls leave no socket, listener or connection behind", async (t) => {
  const stand = await standIn(t);
  const { printer, sockets } = networkPrinter(t, stand.port);
  for (let i = 0; i < 100; i++) await printer.refreshStatus();
  await stand.waitForClosed(100);
  t.equal(stand.openConnections, 0);
  t.equal(sockets.length, 100);
  assertNoSocketLeft(t, sockets);
});

t.test("a drawer pulse follows the receipt over TCP when the job opens the drawer and one is wired", async (t) => {
  const stand = await standIn(t);
  const { printer } = networkPrinter(t, stand.port, { drawerPin: 5 });
  await printer.print({ ...job, openDrawer: true });
  await printer.print(job);
  await stand.waitForClosed(2);
  const [withDrawer, without] = stand.jobs().map((b) => decodeEscPos(b));
  t.same(withDrawer!.events.at(-1), { kind: "drawer", pin: 1 }, "ESC p 1 (pin 5) after the cut");
  t.equal(without!.drawerKicks, 0, "a job that does not ask opens nothing");
});

t.test("a printer that loses power mid-receipt: CT_PRINTER_OFFLINE that may have printed", async (t) => {
  const stand = await standIn(t);
  const { printer, sockets } = networkPrinter(t, stand.port);
  stand.behaviour = "cut";
  stand.cutAfterBytes = 300;
  const r = await timed(() => printer.print(job));
  t.ok(isCardtermError(r.error, "CT_PRINTER_OFFLINE"), String(r.error));
  t.ok(mayHavePrinted(r.error), "bytes reached the printer: the next copy must say REPRINT");
  t.equal(stand.connections[0]?.bytes.length, 300, "the printer had part of it");
  await stand.stop();
  const refused = await timed(() => printer.print(job));
  t.notOk(mayHavePrinted(refused.error), "refused before connecting: nothing can have printed");
  assertNoSocketLeft(t, sockets);
});
