/**
 * The serial receipt printer through the real `serialport` over a socat pty pair: the
 * bytes decoded on the far side, DLE EOT status over the same line (noise and split
 * replies, silence), unplug and replug, a receipt cut off mid-way, and no listeners or
 * timers left behind.
 */
import t, { type Test } from "tap";
import { saleReceiptMarkup } from "../../agent/receipts/sale-receipt.js";
import { mayHavePrinted, type PrintJob } from "../../drivers/printer/receipt-printer.js";
import {
  SerialPrinter,
  type SerialPrinterLink,
  type SerialPrinterOptions,
} from "../../drivers/printer/serial-printer.js";
import { isCardtermError } from "../../protocol/errors.js";
import { decodeEscPos } from "../helpers/escpos-decode.js";
import { PtyPrinterStandIn } from "../helpers/pty-printer.js";
import { SAMPLE_SALE } from "../helpers/render-samples.js";
import { startPtyPair } from "../helpers/socat.js";
import { STATUS } from "../helpers/tcp-printer.js";

const TIMEOUT = 400;
const SLACK = 700;

const job: PrintJob = {
  id: SAMPLE_SALE.txnId,
  markup: saleReceiptMarkup(SAMPLE_SALE, { language: "zh-CN", paperWidth: 80, timeZone: "Asia/Shanghai" }),
  openDrawer: true,
};

function config(path: string, over: Partial<SerialPrinterOptions> = {}): SerialPrinterOptions {
  return {
    path,
    baudRate: 115200,
    dataBits: 8,
    parity: "none",
    stopBits: 1,
    flowControl: "none",
    paperWidth: 80,
    timeoutMs: TIMEOUT,
    drawerPin: 2,
    ...over,
  };
}

async function rig(t: Test, over: Partial<SerialPrinterOptions> = {}) {
  const pair = await startPtyPair();
  t.teardown(() => pair.stop());
  const stand = await PtyPrinterStandIn.start(pair, { replies: { 2: STATUS.n2(), 4: STATUS.n4() } });
  t.teardown(() => stand.close());
  const printer = new SerialPrinter("receipt", config(pair.agentPath, over), { language: "zh-CN" });
  t.teardown(() => printer.close());
  return { pair, stand, printer };
}

async function timed<T>(fn: () => Promise<T>): Promise<{ ms: number; value?: T; error?: unknown }> {
  const start = performance.now();
  try {
    return { ms: performance.now() - start, value: await fn() };
  } catch (error) {
    return { ms: performance.now() - start, error };
  }
}

t.test("a receipt over a serial line arrives whole: Chinese text, QR, one cut, then the drawer pulse", async (t) => {
  const { stand, printer } = await rig(t);
  const result = await printer.print(job);
  await stand.waitForBytes(result.bytes);
  t.equal(stand.bytes.length, result.bytes, "every byte rendered crossed the line");
  const d = decodeEscPos(stand.bytes);
  t.same(d.unknown, []);
  t.ok(d.lines.some((l) => l.trim() === "消费小票"));
  t.ok(d.lines.some((l) => /^实付\s+￥115\.20$/.test(l)));
  t.same(d.qrCodes, [SAMPLE_SALE.txnId]);
  t.equal(d.cuts, 1);
  t.same(d.events.at(-1), { kind: "drawer", pin: 0 }, "ESC p on pin 2 after the cut");
  await printer.print({ id: "second", markup: "second receipt\n" });
  await stand.waitFor("the second receipt", (b) => decodeEscPos(b).cuts === 2);
  t.ok(
    decodeEscPos(stand.bytes).lines.some((l) => l.trim() === "second receipt"),
    "the port stays open for the next",
  );
});

t.test("DLE EOT over the serial line: each condition, replies after noise written byte by byte", async (t) => {
  const { stand, printer } = await rig(t);
  const cases = [
    { n2: STATUS.n2(), n4: STATUS.n4(), state: "ready" },
    { n2: STATUS.n2(), n4: STATUS.n4({ paperEnd: true }), state: "paper-out" },
    { n2: STATUS.n2({ coverOpen: true }), n4: STATUS.n4(), state: "cover-open" },
    { n2: STATUS.n2(), n4: STATUS.n4({ nearEnd: true }), state: "paper-near-end" },
  ];
  for (const c of cases) {
    stand.answers = { replies: { 2: c.n2, 4: c.n4 } };
    t.equal((await printer.refreshStatus()).state, c.state, c.state);
  }
  stand.answers = {
    replies: { 2: STATUS.n2(), 4: STATUS.n4({ paperEnd: true }) },
    noise: Buffer.from([0x14, 0x00, 0x00, 0x0f]), // an ASB packet, split over four reads
  };
  t.equal((await printer.refreshStatus()).state, "paper-out", "ASB bytes before each reply are skipped");
  t.same([...stand.bytes.subarray(0, 6)], [0x10, 0x04, 0x02, 0x10, 0x04, 0x04], "asks DLE EOT 2 then 4");
});

t.test(
  "a serial printer that never answers is 'unknown' after the timeout, and a late reply is not taken later",
  async (t) => {
    const { stand, printer } = await rig(t);
    stand.answers = null;
    const r = await timed(() => printer.refreshStatus());
    t.equal(r.value?.state, "unknown");
    t.ok(r.ms < TIMEOUT + SLACK, `gave up in ${Math.round(r.ms)} ms`);
    stand.answers = { replies: { 2: STATUS.n2({ coverOpen: true }), 4: STATUS.n4() }, delayMs: TIMEOUT };
    t.equal((await printer.refreshStatus()).state, "unknown", "a reply after the wait is too late");
    stand.answers = { replies: { 2: STATUS.n2(), 4: STATUS.n4() } };
    await new Promise((r) => setTimeout(r, TIMEOUT));
    t.equal((await printer.refreshStatus()).state, "ready", "and the stale cover-open byte is not read as the answer");
  },
);

t.test("unplugged: CT_PRINTER_OFFLINE fast with nothing printed; plugged back: prints again", async (t) => {
  const { pair, stand, printer } = await rig(t);
  const before = await printer.print({ id: "before", markup: "before\n" });
  await stand.waitForBytes(before.bytes);
  await pair.unplug();
  await new Promise((r) => setTimeout(r, 50));
  const r = await timed(() => printer.print(job));
  t.ok(isCardtermError(r.error, "CT_PRINTER_OFFLINE"), String(r.error));
  t.ok(r.ms < TIMEOUT + SLACK, `failed in ${Math.round(r.ms)} ms`);
  t.equal(printer.status().state, "offline");
  t.equal((await printer.refreshStatus()).state, "offline", "status of an unplugged printer: offline, no throw");
  await pair.restart();
  await stand.reopen();
  const bytesBefore = stand.bytes.length;
  await printer.print(job);
  await stand.waitFor("the receipt after replugging", (b) => b.length > bytesBefore && decodeEscPos(b).cuts === 2);
  t.equal((await printer.refreshStatus()).state, "ready");
});

t.test(
  "unplugged in the middle of a receipt: the write fails within the timeout and says it may have printed",
  async (t) => {
    const { pair, stand, printer } = await rig(t, { timeoutMs: 5_000 });
    stand.hold();
    const big: PrintJob = { id: "big", markup: `${"0123456789 ".repeat(4).trim()}\n`.repeat(6000) };
    const pending = timed(() => printer.print(big));
    await new Promise((r) => setTimeout(r, 300));
    await pair.unplug();
    const r = await pending;
    t.ok(isCardtermError(r.error, "CT_PRINTER_OFFLINE"), String(r.error));
    t.ok(mayHavePrinted(r.error), "part of it may be on paper: the next copy must say REPRINT");
    t.ok(r.ms < 5_000, `ended by the unplug, not the timeout (${Math.round(r.ms)} ms)`);
  },
);

t.test("a line that does not drain (flow control held) times out and is closed, not left to trickle out", async (t) => {
  const { stand, printer } = await rig(t);
  stand.hold();
  const big: PrintJob = { id: "big", markup: `${"x".repeat(40)}\n`.repeat(6000) };
  const r = await timed(() => printer.print(big));
  t.ok(isCardtermError(r.error, "CT_PRINTER_OFFLINE"), String(r.error));
  t.match((r.error as Error).message, /not drained within 400 ms/);
  t.ok(r.ms < TIMEOUT + SLACK, `${Math.round(r.ms)} ms`);
  stand.release();
});

/** An in-memory line that counts what the driver registers on it. */
class FakeLink implements SerialPrinterLink {
  data: ((c: Buffer) => void)[] = [];
  lost: ((e: Error) => void)[] = [];
  written: Buffer[] = [];
  closed = 0;
  answer = true;
  async write(bytes: Buffer): Promise<void> {
    this.written.push(bytes);
    if (this.answer && bytes[0] === 0x10)
      setImmediate(() => {
        for (const f of this.data) f(Buffer.from([0x12]));
      });
  }
  onData(listener: (chunk: Buffer) => void): void {
    this.data.push(listener);
  }
  onLost(listener: (err: Error) => void): void {
    this.lost.push(listener);
  }
  async discard(): Promise<void> {}
  async close(): Promise<void> {
    this.closed++;
  }
}

t.test("many polls and prints on one line: opened once, one listener each, nothing left after close", async (t) => {
  const links: FakeLink[] = [];
  const printer = new SerialPrinter("receipt", config("/dev/fake"), {
    language: "en",
    open: async () => {
      const l = new FakeLink();
      links.push(l);
      return l;
    },
  });
  for (let i = 0; i < 50; i++) t.equal((await printer.refreshStatus()).state, "ready");
  for (let i = 0; i < 5; i++) await printer.print({ id: `j${i}`, markup: `j${i}\n` });
  t.equal(links.length, 1, "the port was opened once");
  t.equal(links[0]!.data.length, 1, "one data listener");
  t.equal(links[0]!.lost.length, 1, "one lost listener");
  links[0]!.lost[0]!(new Error("unplugged"));
  t.equal(printer.status().state, "offline");
  t.equal((await printer.refreshStatus()).state, "ready", "reopened after the loss");
  t.equal(links.length, 2);
  await printer.close();
  await printer.close();
  t.equal(links[1]!.closed, 1, "closed once");
  t.equal(printer.status().state, "closed");
  await t.rejects(printer.print(job), { code: "CT_PRINTER_OFFLINE" });
});
