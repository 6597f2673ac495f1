/**
 * The durable print queue against the TCP printer stand-in: a receipt that cannot print
 * is kept on disk and printed exactly once when the printer returns — across a restart, a
 * printer cut off mid-receipt, paper out — and a copy that may be a second one says
 * REPRINT. The sale never waits on the printer beyond its bound.
 */
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import t, { type Test } from "tap";
import { silentLogger } from "../../agent/logger.js";
import { PrintQueue, type StoredJob } from "../../agent/receipts/print-queue.js";
import { PrinterMonitor } from "../../agent/receipts/printer-monitor.js";
import type { ReceiptRequest } from "../../agent/receipts/receipt-data.js";
import { REPRINT_MARK } from "../../agent/receipts/receipt-layout.js";
import { type DurableFs, nodeDurableFs } from "../../agent/store/durable-file.js";
import type { NetworkPrinterConfig } from "../../config/agent-config.js";
import { NetworkPrinter } from "../../drivers/printer/network-printer.js";
import { NullPrinter } from "../../drivers/printer/null-printer.js";
import { decodeEscPos } from "../helpers/escpos-decode.js";
import { SAMPLE_SALE, SAMPLE_TOPUP } from "../helpers/sample-receipts.js";
import { STATUS, TcpPrinterStandIn } from "../helpers/tcp-printer.js";
import { tempDir } from "../helpers/temp-dir.js";
import { waitFor } from "../helpers/wait-for.js";

const LAYOUT = { language: "zh-CN", paperWidth: 80, timeZone: "Asia/Shanghai" } as const;
const RETRY = { baseMs: 40, capMs: 160 };

function sale(n: number): ReceiptRequest {
  return { template: "sale", data: { ...SAMPLE_SALE, txnId: `T-${n}`, seq: n } };
}

async function rig(t: Test, over: Partial<NetworkPrinterConfig> = {}) {
  const stand = await TcpPrinterStandIn.start();
  t.teardown(() => stand.close());
  const dir = join(await tempDir(t), "print-queue");
  const printers: NetworkPrinter[] = [];
  const queues: PrintQueue[] = [];
  const newPrinter = () => {
    const p = new NetworkPrinter(
      "receipt",
      { type: "network", host: stand.host, port: stand.port, paperWidth: 80, timeoutMs: 300, drawerPin: 2, ...over },
      { language: "zh-CN" },
    );
    printers.push(p);
    return p;
  };
  /** A queue as the agent opens it at start-up (a "process" of its own, with its own printer). */
  const open = async (fs?: DurableFs) => {
    const q = await PrintQueue.open({
      dir,
      printer: newPrinter(),
      layout: LAYOUT,
      retry: RETRY,
      log: silentLogger(),
      ...(fs ? { fs } : {}),
    });
    queues.push(q);
    return q;
  };
  t.teardown(async () => {
    for (const q of queues) q.close();
    for (const p of printers) await p.close();
    for (const q of queues) await q.idle();
  });
  return {
    stand,
    dir,
    open,
    stop: async (q: PrintQueue) => {
      q.close();
      for (const p of printers) await p.close();
      await q.idle();
    },
  };
}

function stored(dir: string): StoredJob[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith(".json"))
    .map((f) => JSON.parse(readFileSync(join(dir, f), "utf8")) as StoredJob);
}

/** Receipts the stand-in printed in full (a cut at the end), decoded. */
function printedReceipts(stand: TcpPrinterStandIn) {
  return stand
    .jobs()
    .map((b) => decodeEscPos(b))
    .filter((d) => d.cuts === 1);
}

function isReprint(d: ReturnType<typeof decodeEscPos>): boolean {
  return d.runs.some((r) => r.text === REPRINT_MARK);
}

t.test("printer up: printed at once, stored as printed, not marked", async (t) => {
  const { stand, dir, open } = await rig(t);
  const q = await open();
  const o = await q.submit(sale(1));
  t.same(o, { jobId: "T-1", printed: true, previewPng: undefined });
  const [d] = printedReceipts(stand);
  t.same(d?.qrCodes, ["T-1"]);
  t.notOk(isReprint(d!));
  t.match(stored(dir), [{ id: "T-1", state: "printed", prints: 1, inFlight: false, attempts: 1 }]);
});

t.test(
  "printer down: the job is kept on disk, and printed exactly once, unmarked, when the printer is back",
  async (t) => {
    const { stand, dir, open } = await rig(t);
    await stand.stop();
    const q = await open();
    const start = performance.now();
    const o = await q.submit(sale(1), 1_000);
    t.equal(o.printed, "queued");
    t.match(o.error, /CT_PRINTER_OFFLINE/);
    t.ok(performance.now() - start < 1_000, "a refused printer answers fast; the sale is not held up");
    t.match(stored(dir), [{ id: "T-1", state: "pending", inFlight: false, mayBeOnPaper: false }], "durable");
    t.equal(q.status().pending, 1);
    await new Promise((r) => setTimeout(r, 300)); // a few retries against the dead printer
    await stand.restart();
    await waitFor("the kept receipt to print", () => q.status().pending === 0, 5_000);
    await new Promise((r) => setTimeout(r, 300)); // no second copy follows
    const receipts = printedReceipts(stand);
    t.equal(receipts.length, 1, "printed once");
    t.same(receipts[0]!.qrCodes, ["T-1"]);
    t.notOk(isReprint(receipts[0]!), "nothing reached paper before: not a reprint");
    t.match(stored(dir), [{ state: "printed", prints: 1 }]);
  },
);

t.test("restart with receipts waiting: printed after the restart, in order, each once", async (t) => {
  const { stand, dir, open, stop } = await rig(t);
  await stand.stop();
  const first = await open();
  for (const n of [1, 2, 3]) t.equal((await first.submit(sale(n), 50)).printed, "queued");
  await stop(first); // the process ends
  t.equal(stored(dir).filter((j) => j.state === "pending").length, 3);
  await stand.restart();
  const second = await open(); // the process starts again
  await waitFor("the queue to drain", () => second.status().pending === 0, 5_000);
  const receipts = printedReceipts(stand);
  t.same(
    receipts.map((d) => d.qrCodes[0]),
    ["T-1", "T-2", "T-3"],
    "in the order of the sales",
  );
  t.notOk(receipts.some(isReprint));
});

// A printer cut off mid-receipt is in print-status-checks.test.ts: its retry is the
// customer's first receipt, not a REPRINT.

t.test("a crash during an attempt: after the restart the receipt prints again, marked REPRINT", async (t) => {
  const { stand, dir, open } = await rig(t);
  const crashed: StoredJob = {
    v: 1,
    id: "T-9",
    n: 1,
    request: sale(9),
    createdAt: "2024-05-01T04:34:56.000Z",
    state: "pending",
    inFlight: true, // written just before the attempt; the process died before the outcome
    mayBeOnPaper: false,
    openDrawer: true,
    attempts: 1,
    prints: 0,
    printedAt: null,
    lastError: null,
  };
  const { mkdirSync } = await import("node:fs");
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "T-9.json"), JSON.stringify(crashed));
  const q = await open();
  await waitFor("the receipt to print", () => q.status().pending === 0, 5_000);
  const [d] = printedReceipts(stand);
  t.ok(isReprint(d!), "the outcome of the first attempt is unknown: REPRINT");
  t.equal(d!.drawerKicks, 0, "the drawer does not open after a restart");
  t.match(stored(dir), [{ state: "printed", inFlight: false, mayBeOnPaper: true }]);
});

t.test("reprint: the same receipt again, marked REPRINT; an unknown id is CT_NOT_FOUND", async (t) => {
  const { stand, dir, open } = await rig(t);
  const q = await open();
  await q.submit(sale(1));
  const again = await q.reprint("T-1");
  t.equal(again.printed, true);
  const [first, second] = printedReceipts(stand);
  t.notOk(isReprint(first!));
  t.ok(isReprint(second!));
  t.same(second!.qrCodes, ["T-1"]);
  t.match(stored(dir), [{ state: "printed", prints: 2 }]);
  await t.rejects(q.reprint("nope"), { code: "CT_NOT_FOUND" });
  t.equal((await q.submit(sale(1))).printed, true, "submitting a printed id again is a reprint, not a new receipt");
  t.ok(isReprint(printedReceipts(stand)[2]!));
});

t.test("a printer that takes the connection but never the job: the sale waits its bound, then 'queued'", async (t) => {
  const { stand, open } = await rig(t, { timeoutMs: 3_000 });
  stand.behaviour = "hold";
  const q = await open();
  const start = performance.now();
  const o = await q.submit(sale(1), 200);
  const ms = performance.now() - start;
  t.equal(o.printed, "queued");
  t.ok(ms < 600, `the approval got its answer in ${Math.round(ms)} ms`);
});

t.test("a cash top-up opens the drawer with its first attempt only, never with a later copy", async (t) => {
  const { stand, open } = await rig(t);
  const topup: ReceiptRequest = { template: "topup", data: SAMPLE_TOPUP };
  const up = await open();
  await up.submit(topup);
  t.equal(printedReceipts(stand)[0]?.drawerKicks, 1, "printed at once: the drawer opens");
  await up.reprint(SAMPLE_TOPUP.txnId);
  t.equal(printedReceipts(stand)[1]?.drawerKicks, 0, "a reprint does not");

  await stand.stop();
  const late: ReceiptRequest = { template: "topup", data: { ...SAMPLE_TOPUP, txnId: "T-late" } };
  t.equal((await up.submit(late, 100)).printed, "queued");
  await stand.restart();
  await waitFor("the late receipt", () => up.status().pending === 0, 5_000);
  t.equal(printedReceipts(stand)[2]?.drawerKicks, 0, "printed later: the drawer stays shut");
});

t.test("paper out holds the queue; the monitor sees the paper back and the receipt prints within a poll", async (t) => {
  const { stand, open } = await rig(t);
  stand.answers = { replies: { 2: STATUS.n2(), 4: STATUS.n4({ paperEnd: true }) } };
  const q = await open();
  const printer = (q as unknown as { opts: { printer: NetworkPrinter } }).opts.printer;
  const monitor = new PrinterMonitor({
    printer,
    intervalMs: 10_000,
    busyMs: 50,
    pending: () => q.status().pending,
    onReady: () => q.printerReady(),
  });
  const events: string[] = [];
  monitor.on("status", (s) => events.push(s.state));
  t.teardown(() => monitor.stop());
  monitor.start();
  await waitFor("paper out to be seen", () => printer.status().state === "paper-out", 2_000);
  t.equal((await q.submit(sale(1), 200)).printed, "queued", "not sent into a printer without paper");
  t.equal(stand.jobs().filter((b) => decodeEscPos(b).cuts > 0).length, 0);
  stand.answers = { replies: { 2: STATUS.n2(), 4: STATUS.n4() } };
  await waitFor("the receipt after the paper is back", () => q.status().pending === 0, 2_000);
  t.equal(printedReceipts(stand).length, 1);
  t.same(events.slice(0, 2), ["paper-out", "ready"], "a status event for each change");
  await monitor.stop();
  await monitor.stop();
});

t.test("kept for keepFor: old printed receipts are pruned at start, waiting ones never", async (t) => {
  const { dir, open } = await rig(t);
  const { mkdirSync } = await import("node:fs");
  mkdirSync(dir, { recursive: true });
  const old = (id: string, state: "printed" | "pending", n: number): StoredJob => ({
    v: 1,
    id,
    n,
    request: sale(n),
    createdAt: "2020-01-01T00:00:00.000Z",
    state,
    inFlight: false,
    mayBeOnPaper: false,
    openDrawer: false,
    attempts: 1,
    prints: state === "printed" ? 1 : 0,
    printedAt: state === "printed" ? "2020-01-01T00:00:01.000Z" : null,
    lastError: null,
  });
  writeFileSync(join(dir, "old-printed.json"), JSON.stringify(old("old-printed", "printed", 1)));
  writeFileSync(join(dir, "old-pending.json"), JSON.stringify(old("old-pending", "pending", 2)));
  writeFileSync(join(dir, "broken.json"), "{ not json");
  const q = await open();
  await waitFor("the old pending receipt to print", () => q.status().pending === 0, 5_000);
  t.same(
    q.list().map((j) => j.id),
    ["old-pending"],
    "the printed one is gone, the pending one printed",
  );
  t.ok(readdirSync(dir).includes("broken.json.corrupt"), "an unreadable job is set aside, not deleted");
});

t.test("a disk that refuses the job file: the receipt still prints, and says it was not stored", async (t) => {
  const { stand, open } = await rig(t);
  const failing: DurableFs = {
    ...nodeDurableFs,
    writeFileSynced: async () => {
      throw Object.assign(new Error("no space"), { code: "ENOSPC" });
    },
  };
  const q = await open(failing);
  const o = await q.submit(sale(1));
  t.equal(o.printed, true);
  t.match(o.error, /not be stored/);
  t.equal(printedReceipts(stand).length, 1);
});

t.test("no printer configured: nothing stored, printed false", async (t) => {
  const dir = join(await tempDir(t), "print-queue");
  const q = await PrintQueue.open({ dir, printer: new NullPrinter("receipt"), layout: LAYOUT });
  t.same(await q.submit(sale(1)), { jobId: "T-1", printed: false, error: "no printer is configured" });
  t.same(readdirSync(dir), []);
  q.close();
});
