/**
 * The printer is asked (DLE EOT) before and after every receipt, against the TCP printer
 * stand-in: paper that runs out between two status polls, or while the receipt prints,
 * leaves the receipt queued — never `printed: true` — and it prints when the paper is
 * back. A copy is marked REPRINT only when a complete one may already be in the
 * customer's hands: not after a dropped connection or a paper-out.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import t, { type Test } from "tap";
import { silentLogger } from "../../agent/logger.js";
import { PrintQueue, type StoredJob } from "../../agent/receipts/print-queue.js";
import { PrinterMonitor } from "../../agent/receipts/printer-monitor.js";
import type { ReceiptRequest } from "../../agent/receipts/receipt-data.js";
import { REPRINT_MARK } from "../../agent/receipts/receipt-layout.js";
import { NetworkPrinter } from "../../drivers/printer/network-printer.js";
import { decodeEscPos } from "../helpers/escpos-decode.js";
import { SAMPLE_SALE } from "../helpers/sample-receipts.js";
import { type Connection, STATUS, TcpPrinterStandIn } from "../helpers/tcp-printer.js";
import { tempDir } from "../helpers/temp-dir.js";
import { waitFor } from "../helpers/wait-for.js";

const LAYOUT = { language: "zh-CN", paperWidth: 80, timeZone: "Asia/Shanghai" } as const;
const READY = { replies: { 2: STATUS.n2(), 4: STATUS.n4() } };
const PAPER_OUT = { replies: { 2: STATUS.n2({ paperEndStop: true }), 4: STATUS.n4({ paperEnd: true }) } };

function sale(n: number): ReceiptRequest {
  return { template: "sale", data: { ...SAMPLE_SALE, txnId: `T-${n}`, seq: n } };
}

/** A job's bytes (not a status query) with its final cut: the whole receipt reached the printer. */
function isWholeJob(conn: Connection): boolean {
  return conn.bytes.length > 16 && decodeEscPos(conn.bytes).cuts > 0;
}

async function rig(t: Test) {
  const stand = await TcpPrinterStandIn.start();
  t.teardown(() => stand.close());
  const dir = join(await tempDir(t), "print-queue");
  const printer = new NetworkPrinter(
    "receipt",
    { host: stand.host, port: stand.port, paperWidth: 80, timeoutMs: 400, drawerPin: 2 },
    { language: "zh-CN" },
  );
  const queue = await PrintQueue.open({
    dir,
    printer,
    layout: LAYOUT,
    retry: { baseMs: 40, capMs: 160 },
    log: silentLogger(),
  });
  t.teardown(async () => {
    queue.close();
    await printer.close();
    await queue.idle();
  });
  const stored = () =>
    readdirSync(dir)
      .filter((f) => f.endsWith(".json"))
      .map((f) => JSON.parse(readFileSync(join(dir, f), "utf8")) as StoredJob);
  const receipts = () =>
    stand
      .jobs()
      .map((b) => decodeEscPos(b))
      .filter((d) => d.cuts === 1);
  return { stand, printer, queue, stored, receipts };
}

const isReprint = (d: ReturnType<typeof decodeEscPos>) => d.runs.some((r) => r.text === REPRINT_MARK);

t.test("the paper runs out between two status polls: the receipt is not sent, the sale says queued", async (t) => {
  const { stand, printer, queue, stored, receipts } = await rig(t);
  const monitor = new PrinterMonitor({
    printer,
    intervalMs: 60_000, // the field's case: the next poll is far away
    busyMs: 50,
    pending: () => queue.status().pending,
    onReady: () => queue.printerReady(),
  });
  t.teardown(() => monitor.stop());
  monitor.start();
  await waitFor("the first poll to say ready", () => printer.status().state === "ready", 2_000);
  stand.answers = PAPER_OUT; // after the poll, before the sale

  const o = await queue.submit(sale(1), 1_000);
  t.equal(o.printed, "queued", "not printed: true");
  t.match(o.error, /CT_PRINTER_NOT_READY.*paper/);
  t.equal(receipts().length, 0, "no receipt was sent into a printer without paper");
  t.match(stored(), [{ id: "T-1", state: "pending", mayBeOnPaper: false }], "kept on disk");
  t.equal(printer.status().state, "paper-out", "the status shows it at once, not at the next poll");

  stand.answers = READY;
  await waitFor("the receipt once the paper is back", () => queue.status().pending === 0, 3_000);
  t.equal(receipts().length, 1, "printed once");
  t.notOk(isReprint(receipts()[0]!), "the first copy: no REPRINT mark");
});

t.test(
  "the paper runs out while the receipt prints: kept until the printer confirms, then printed unmarked",
  async (t) => {
    const { stand, queue, stored, receipts } = await rig(t);
    stand.onData = (conn) => {
      if (isWholeJob(conn)) {
        stand.answers = PAPER_OUT; // the roll ends under this receipt
        stand.onData = null;
      }
    };
    const o = await queue.submit(sale(2), 1_000);
    t.equal(o.printed, "queued", "the printer took the bytes but did not confirm: not printed: true");
    t.match(o.error, /CT_PRINTER_NOT_READY.*paper/);
    t.match(stored(), [{ id: "T-2", state: "pending", mayBeOnPaper: false, prints: 0 }]);

    await new Promise((r) => setTimeout(r, 300));
    t.equal(receipts().length, 1, "nothing more is sent while the paper is out");
    stand.answers = READY;
    queue.printerReady();
    await waitFor("the receipt once the paper is back", () => queue.status().pending === 0, 3_000);
    const all = receipts();
    t.equal(all.length, 2, "sent again once the paper is back");
    t.notOk(isReprint(all[1]!), "the customer never got the first: not marked REPRINT");
    await waitFor("the printed state on disk", () => stored()[0]?.state === "printed", 2_000);
    t.match(stored(), [{ state: "printed", prints: 1 }]);
  },
);

t.test("a retry after a dropped connection is not marked REPRINT", async (t) => {
  const { stand, queue, stored, receipts } = await rig(t);
  stand.behaviour = "cut";
  stand.cutAfterBytes = 400;
  const o = await queue.submit(sale(3), 500);
  t.equal(o.printed, "queued");
  t.match(stored(), [{ id: "T-3", state: "pending", mayBeOnPaper: false }]);
  stand.behaviour = "normal";
  await waitFor("the receipt in full", () => queue.status().pending === 0, 5_000);
  const full = receipts();
  t.equal(full.length, 1, "one complete copy");
  t.notOk(isReprint(full[0]!), "the cut-off attempt never became a receipt: this one is the original");
});

t.test(
  "the printer took the whole job but cannot be asked after it: kept, and the next copy says REPRINT",
  async (t) => {
    const { stand, queue, stored, receipts } = await rig(t);
    stand.onData = (conn) => {
      if (isWholeJob(conn)) {
        stand.behaviour = "reset"; // the next connection (the status check after the job) is refused
        stand.onData = null;
      }
    };
    const o = await queue.submit(sale(4), 1_000);
    t.equal(o.printed, "queued", "not confirmed: the receipt is kept");
    t.match(stored(), [{ id: "T-4", state: "pending", mayBeOnPaper: true }], "a whole copy may be on paper");
    stand.behaviour = "normal";
    await waitFor("the second copy", () => queue.status().pending === 0, 5_000);
    const all = receipts();
    t.equal(all.length, 2);
    t.notOk(isReprint(all[0]!));
    t.ok(isReprint(all[1]!), "a complete first copy may exist: REPRINT");
  },
);

t.test("a printer that never answers status still prints, and is not asked again before each job", async (t) => {
  const { stand, queue, receipts } = await rig(t);
  stand.answers = null;
  const first = await queue.submit(sale(5), 3_000);
  t.equal(first.printed, true, "no status to ask: the clean close is the confirmation");
  const before = stand.connections.length;
  const start = performance.now();
  t.equal((await queue.submit(sale(6), 3_000)).printed, true);
  const ms = performance.now() - start;
  t.equal(stand.connections.length - before, 1, "one connection: the job alone");
  t.ok(ms < 200, `no status timeouts in the way (${Math.round(ms)} ms)`);
  t.equal(receipts().length, 2);
});
