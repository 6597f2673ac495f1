import { mkdtemp, open, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { CardTap } from "../drivers/readers/card-reader.js";
import { openNodeSerialPort } from "../drivers/readers/node-serial-port.js";
import { SerialIdReader } from "../drivers/readers/serial-id-reader.js";
import { startPtyPair } from "../test/helpers/socat.js";
import { offlineTill } from "./offline-till.js";
import { fmt, nowMs, printTable, summarize } from "./stats.js";

const TAPS = Number(process.argv[2] ?? 1000);
const _LIMIT = 1_000_000_000;

async function rawPty(pty: Awaited<ReturnType<typeof startPtyPair>>, n: number): Promise<number[]> {
  const link = await openNodeSerialPort({
    path: pty.agentPath,
    baudRate: 9600,
    dataBits: 8,
    parity: "none",
    stopBits: 1,
  });
  const samples: number[] = [];
  let pending: ((t: number) => void) | undefined;
  let buf = "";
  link.readable.on("data", (chunk: Buffer) => {
    buf += chunk.toString("latin1");
    if (buf.includes("\r\n")) {
      buf = "";
      pending?.(nowMs());
    }
  });
  for (let i = 0; i < n; i++) {
    const got = new Promise<number>((r) => {
      pending = r;
    });
    const t0 = nowMs();
    await pty.write(`${String(i).padStart(10, "0")}\r\n`);
    samples.push((await got) - t0);
  }
  await link.close();
  return samples;
}

async function agentPath(pty: Awaited<ReturnType<typeof startPtyPair>>, dir: string, n: number): Promise<number[]> {
  const cards = Array.from({ length: 50 }, (_, i) => `id:${String(i).padStart(10, "0")}`);
  const { ledger, decider } = await offlineTill(dir, cards);
  const reader = new SerialIdReader(
    {
      id: "bench",
      path: pty.agentPath,
      baudRate: 9600,
      dataBits: 8,
      parity: "none",
      stopBits: 1,
      delimiter: "\r\n",
      format: "decimal",
      debounceMs: 0,
    },
    { log: () => {} },
  );
  let seq = 0;
  let pending: ((t: number) => void) | undefined;
  reader.on("tap", (tap: CardTap) => {
    void decider.decideSale({ txnId: `b${++seq}`, cardId: tap.cardId, gross: 100, operatorId: "001" }).then((d) => {
      if (!d.approved) throw new Error(`declined: ${d.code}`);
      pending?.(nowMs());
    });
  });
  await reader.start();
  const samples: number[] = [];
  for (let i = 0; i < n; i++) {
    const got = new Promise<number>((r) => {
      pending = r;
    });
    const t0 = nowMs();
    await pty.write(`${cards[i % cards.length]!.slice(3)}\r\n`);
    samples.push((await got) - t0);
    // A till that is online has its journal acknowledged as it goes (untimed here), so
    // the pending outbox stays small as in production rather than growing to 1,000.
    if (seq % 50 === 0) await ledger.acknowledge(seq - 10, Date.now());
  }
  await reader.close();
  return samples;
}

/** The durable-write floor of the same run: write + fsync + rename + directory fsync. */
async function floor(dir: string, bytes: number, n: number): Promise<number[]> {
  const data = Buffer.alloc(bytes, 97);
  const samples: number[] = [];
  const { rename } = await import("node:fs/promises");
  for (let i = 0; i < n; i++) {
    const t0 = nowMs();
    const fh = await open(join(dir, ".floor.tmp"), "w");
    await fh.writeFile(data);
    await fh.sync();
    await fh.close();
    await rename(join(dir, ".floor.tmp"), join(dir, "floor.json"));
    const d = await open(dir, "r");
    await d.sync();
    await d.close();
    samples.push(nowMs() - t0);
  }
  return samples;
}

/** The append floor: a 500-byte line (an entry's size) written at the end of a file and fdatasync'ed — what a commit costs on this disk. */
async function appendFloor(dir: string, n: number): Promise<number[]> {
  const line = Buffer.alloc(500, 97);
  const samples: number[] = [];
  const fh = await open(join(dir, "floor.log"), "w+");
  try {
    for (let i = 0; i < n; i++) {
      const t0 = nowMs();
      await fh.write(line, 0, line.length, i * line.length);
      await fh.datasync();
      samples.push(nowMs() - t0);
    }
  } finally {
    await fh.close();
  }
  return samples;
}

const dir = await mkdtemp(join(tmpdir(), "cardterm-bench-"));
const pty = await startPtyPair();
try {
  const raw = summarize(await rawPty(pty, TAPS));
  const total = summarize(await agentPath(pty, dir, TAPS));
  const fsync = summarize(await floor(dir, 2048, TAPS));
  const append = summarize(await appendFloor(dir, TAPS));
  console.log(`serial tap → offline decision, ${TAPS} taps (${new Date().toISOString()})`);
  printTable([
    { measure: "pty write → line read (raw floor)", median: fmt(raw.median), p99: fmt(raw.p99) },
    { measure: "durable write floor (2 KB file)", median: fmt(fsync.median), p99: fmt(fsync.p99) },
    { measure: "append floor (500 B + fdatasync)", median: fmt(append.median), p99: fmt(append.p99) },
    { measure: "pty write → decision committed", median: fmt(total.median), p99: fmt(total.p99) },
    {
      measure: "agent's own share (total − pty)",
      median: fmt(total.median - raw.median),
      p99: fmt(total.p99 - raw.p99),
    },
  ]);
} finally {
  await pty.stop();
  await rm(dir, { recursive: true, force: true });
}
