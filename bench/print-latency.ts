import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { silentLogger } from "../agent/logger.js";
import { PrintQueue } from "../agent/receipts/print-queue.js";
import { saleReceiptMarkup } from "../agent/receipts/sale-receipt.js";
import { SaleService } from "../agent/sale/sale-service.js";
import { TapSource } from "../agent/sale/tap-source.js";
import { nodeDurableFs, writeDurably } from "../agent/store/durable-file.js";
import { NetworkPrinter } from "../drivers/printer/network-printer.js";
import { renderEscPos, renderSvg, svgToPng } from "../drivers/printer/render-receipt.js";
import { SimulatedReader } from "../drivers/readers/simulated-reader.js";
import { demoPolicy } from "../rules/policy.js";
import { SAMPLE_SALE } from "../test/helpers/sample-receipts.js";
import { TcpPrinterStandIn } from "../test/helpers/tcp-printer.js";
import { offlineTill } from "./offline-till.js";
import { fmt, printTable, summarize } from "./stats.js";

const SALES = Number(process.argv[2] ?? 600);
const _LIMIT = 1_000_000_000;

async function setup(dir: string, stand: TcpPrinterStandIn) {
  await mkdir(dir, { recursive: true });
  const cards = Array.from({ length: 50 }, (_, i) => `ic:${(0x04a10000 + i).toString(16).toUpperCase()}`);
  const { decider } = await offlineTill(dir, cards, "zh-CN");
  const printer = new NetworkPrinter(
    "receipt",
    { host: stand.host, port: stand.port, paperWidth: 80, timeoutMs: 3000 },
    { language: "zh-CN" },
  );
  const queue = await PrintQueue.open({
    dir: join(dir, "print-queue"),
    printer,
    layout: { language: "zh-CN", paperWidth: 80, timeZone: "Asia/Shanghai" },
    log: silentLogger(),
  });
  let committedAt = 0;
  let seq = 0;
  const sales = new SaleService({
    decider,
    taps: new TapSource([new SimulatedReader("sim")], silentLogger()),
    receipts: queue,
    policy: demoPolicy,
    newTxnId: () => `T001-${String(++seq).padStart(6, "0")}`,
    afterCommit: () => {
      committedAt = performance.now();
    },
    log: silentLogger(),
    settings: {
      storeName: "悦享生活馆 徐汇店",
      terminalId: "T001",
      operatorId: "001",
      tapTimeoutMs: 1000,
      receiptWaitMs: 1000,
    },
  });
  return { sales, cards, queue, printer, committedAt: () => committedAt };
}

async function printPath(dir: string, n: number) {
  const stand = await TcpPrinterStandIn.start();
  const rig = await setup(dir, stand);
  const firstByte: number[] = [];
  const reply: number[] = [];
  for (let i = 0; i < n + 20; i++) {
    const out = await rig.sales.sale({ amount: 12_800, cardUid: rig.cards[i % rig.cards.length]! });
    const replied = performance.now();
    if (out.receipt?.printed !== true) throw new Error(`receipt ${i} not printed: ${out.receipt?.error}`);
    // The receipt's own connection: status checks (DLE EOT, before and after) have their own.
    const conn = stand.connections.findLast((c) => c.bytes.length > 16)!;
    if (i < 20) continue; // warm-up: JIT, first connections, first files
    firstByte.push(conn.firstByteAt! - rig.committedAt());
    reply.push(replied - rig.committedAt());
  }
  rig.queue.close();
  await rig.printer.close();
  await stand.close();
  return { firstByte, reply };
}

async function durableFloor(dir: string, n: number): Promise<number[]> {
  const data = JSON.stringify({ pad: "x".repeat(900) });
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await writeDurably(nodeDurableFs, join(dir, `floor-${i % 10}.json`), data);
    out.push(performance.now() - t0);
  }
  return out;
}

function renderCosts(n: number) {
  const opts = { language: "zh-CN" as const, paperWidth: 80 as const, timeZone: "Asia/Shanghai" };
  const markup: number[] = [];
  const escpos: number[] = [];
  const png: number[] = [];
  for (let i = 0; i < n + 10; i++) {
    const data = { ...SAMPLE_SALE, txnId: `T001-${i}` };
    const t0 = performance.now();
    const m = saleReceiptMarkup(data, opts);
    const t1 = performance.now();
    renderEscPos(m, opts);
    const t2 = performance.now();
    svgToPng(renderSvg(m, opts));
    const t3 = performance.now();
    if (i < 10) continue;
    markup.push(t1 - t0);
    escpos.push(t2 - t1);
    png.push(t3 - t2);
  }
  return { markup, escpos, png };
}

function row(what: string, samples: number[]) {
  const s = summarize(samples);
  return { measure: what, n: s.n, "median ms": fmt(s.median), "p99 ms": fmt(s.p99), "max ms": fmt(s.max) };
}

const dir = await mkdtemp(join(tmpdir(), "cardterm-print-bench-"));
try {
  const floor = await durableFloor(dir, 300);
  const path = await printPath(join(dir, "agent"), SALES);
  const costs = renderCosts(200);
  printTable([
    row("approval → first byte at the printer", path.firstByte),
    row("approval → sale reply (receipt printed)", path.reply),
    row("durable write floor (1 KB, same disk)", floor),
    row("render: sale markup (template)", costs.markup),
    row("render: ESC/POS bytes", costs.escpos),
    row("render: PNG preview (SVG + resvg)", costs.png),
  ]);
  const p99 = summarize(path.firstByte).p99;
  console.log(
    `\ntarget p99 ≤ 20 ms: ${p99 <= 20 ? "met" : "NOT met"} (${fmt(p99)} ms over ${path.firstByte.length} sales)`,
  );
} finally {
  await rm(dir, { recursive: true, force: true });
}
