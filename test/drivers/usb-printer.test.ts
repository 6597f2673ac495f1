/**
 * The USB receipt printer (usblp: the printer is a character device written like a
 * file) against stand-ins: a plain file that takes the bytes and cannot answer, and a
 * socat pty — a real character device — whose far side reads the job and answers DLE EOT
 * from the same fd.
 */
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import t, { type Test } from "tap";
import { saleReceiptMarkup } from "../../agent/receipts/sale-receipt.js";
import { mayHavePrinted, type PrintJob } from "../../drivers/printer/receipt-printer.js";
import { UsbPrinter, type UsbPrinterOptions } from "../../drivers/printer/usb-printer.js";
import { isCardtermError } from "../../protocol/errors.js";
import { decodeEscPos } from "../helpers/escpos-decode.js";
import { PtyPrinterStandIn } from "../helpers/pty-printer.js";
import { SAMPLE_SALE } from "../helpers/render-samples.js";
import { startPtyPair } from "../helpers/socat.js";
import { STATUS } from "../helpers/tcp-printer.js";
import { tempDir } from "../helpers/temp-dir.js";

const TIMEOUT = 400;
const SLACK = 700;

const job: PrintJob = {
  id: SAMPLE_SALE.txnId,
  markup: saleReceiptMarkup(SAMPLE_SALE, { language: "zh-CN", paperWidth: 58, timeZone: "Asia/Shanghai" }),
};

function usb(t: Test, path: string, over: Partial<UsbPrinterOptions> = {}): UsbPrinter {
  const printer = new UsbPrinter(
    "receipt",
    { path, paperWidth: 58, timeoutMs: TIMEOUT, ...over },
    { language: "zh-CN" },
  );
  t.teardown(() => printer.close());
  return printer;
}

async function timed<T>(fn: () => Promise<T>): Promise<{ ms: number; value?: T; error?: unknown }> {
  const start = performance.now();
  try {
    return { ms: performance.now() - start, value: await fn() };
  } catch (error) {
    return { ms: performance.now() - start, error };
  }
}

t.test("a plain file as the device takes every job, appended; its status is 'unknown', said why", async (t) => {
  const dir = await tempDir(t);
  const path = join(dir, "lp0");
  await writeFile(path, "");
  const printer = usb(t, path);
  const first = await printer.print(job);
  await printer.print({ id: "second", markup: "second receipt\n" });
  const bytes = await readFile(path);
  const d = decodeEscPos(bytes);
  t.same(d.unknown, []);
  t.equal(d.cuts, 2, "both receipts, the first not overwritten");
  t.ok(decodeEscPos(bytes.subarray(0, first.bytes)).qrCodes.length === 1, "the first job is at the start, whole");
  t.ok(
    d.lines.some((l) => /^实付\s+￥115\.20$/.test(l)),
    "Chinese decoded from GB18030",
  );
  t.same(d.qrCodes, [SAMPLE_SALE.txnId]);
  const s = await printer.refreshStatus();
  t.equal(s.state, "unknown");
  t.match(s.detail, /plain file/);
  t.equal((await readFile(path)).length, bytes.length, "no status query written into a file");
});

t.test("a character device that answers: the job arrives and DLE EOT is read back from the same fd", async (t) => {
  const pair = await startPtyPair();
  t.teardown(() => pair.stop());
  const stand = await PtyPrinterStandIn.start(pair, { replies: { 2: STATUS.n2(), 4: STATUS.n4() } });
  t.teardown(() => stand.close());
  const printer = usb(t, pair.agentPath);
  const r = await printer.print({ ...job, openDrawer: true });
  await stand.waitForBytes(r.bytes);
  t.same(decodeEscPos(stand.bytes).qrCodes, [SAMPLE_SALE.txnId]);
  t.equal(decodeEscPos(stand.bytes).drawerKicks, 0, "no drawer configured, no pulse");
  for (const c of [
    { n2: STATUS.n2(), n4: STATUS.n4(), state: "ready" },
    { n2: STATUS.n2({ paperEndStop: true }), n4: STATUS.n4(), state: "paper-out" },
    { n2: STATUS.n2({ coverOpen: true }), n4: STATUS.n4(), state: "cover-open" },
    { n2: STATUS.n2(), n4: STATUS.n4({ nearEnd: true }), state: "paper-near-end" },
  ]) {
    stand.answers = { replies: { 2: c.n2, 4: c.n4 }, noise: Buffer.from([0x14, 0x00]) };
    t.equal((await printer.refreshStatus()).state, c.state, c.state);
  }
  stand.answers = null;
  const silent = await timed(() => printer.refreshStatus());
  t.equal(silent.value?.state, "unknown", "a printer that does not answer");
  t.ok(silent.ms < TIMEOUT + SLACK, `gave up in ${Math.round(silent.ms)} ms`);
});

t.test("no device (unplugged, switched off): offline at once, nothing printed, and it comes back", async (t) => {
  const dir = await tempDir(t);
  const path = join(dir, "lp0");
  const printer = usb(t, path);
  const r = await timed(() => printer.print(job));
  t.ok(isCardtermError(r.error, "CT_PRINTER_OFFLINE"));
  t.match((r.error as Error).message, /no such device/);
  t.notOk(mayHavePrinted(r.error), "nothing reached a printer: the later copy is not a reprint");
  t.ok(r.ms < 200);
  t.equal((await printer.refreshStatus()).state, "offline");
  await writeFile(path, "");
  await printer.print(job);
  t.equal(decodeEscPos(await readFile(path)).cuts, 1);
});

t.test("a device that stops taking data: the write gives up at the timeout and may have printed", async (t) => {
  const pair = await startPtyPair();
  t.teardown(() => pair.stop());
  const stand = await PtyPrinterStandIn.start(pair);
  t.teardown(() => stand.close());
  stand.hold();
  const printer = usb(t, pair.agentPath);
  const big: PrintJob = { id: "big", markup: `${"y".repeat(30)}\n`.repeat(8000) };
  const r = await timed(() => printer.print(big));
  t.ok(isCardtermError(r.error, "CT_PRINTER_OFFLINE"), String(r.error));
  t.match((r.error as Error).message, /bytes not taken within 400 ms/);
  t.ok(mayHavePrinted(r.error));
  t.ok(r.ms < TIMEOUT + SLACK, `${Math.round(r.ms)} ms`);
  stand.release();
});
