/**
 * The serial ID-card reader, end to end over socat ptys with the real `serialport`
 * (docs/architecture.md#testing-against-real-components), plus its supervision logic over a
 * fake port with a fake clock.
 */
import { spawn } from "node:child_process";
import { promises as fs } from "node:fs";
import os from "node:os";
import path from "node:path";
import { PassThrough } from "node:stream";
import { fileURLToPath } from "node:url";
import fc from "fast-check";
import t, { type Test } from "tap";
import type { SerialIdReaderConfig } from "../../config/agent-config.js";
import type { CardTap, ReaderStatus } from "../../drivers/readers/card-reader.js";
import {
  backoffDelay,
  DEFAULT_BACKOFF,
  LineLengthGuard,
  type ReaderTimers,
  SerialIdReader,
  type SerialIdReaderDeps,
  type SerialLink,
} from "../../drivers/readers/serial-id-reader.js";
import { type PtyPair, startPtyPair } from "../helpers/socat.js";

const FAST_BACKOFF = { initialMs: 20, maxMs: 200, jitter: 0.2 };

function baseConfig(over: Partial<SerialIdReaderConfig> = {}): SerialIdReaderConfig {
  return {
    id: "door",
    type: "serial-id",
    path: "/nonexistent",
    baudRate: 9600,
    dataBits: 8,
    parity: "none",
    stopBits: 1,
    delimiter: "\r\n",
    format: "decimal",
    debounceMs: 300,
    ...over,
  };
}

interface LogEntry {
  level: string;
  msg: string;
  fields: Record<string, unknown>;
}

interface Harness {
  reader: SerialIdReader;
  taps: CardTap[];
  ids: () => string[];
  statuses: ReaderStatus[];
  logs: LogEntry[];
}

function harness(t: Test, config: SerialIdReaderConfig, deps: SerialIdReaderDeps = {}): Harness {
  const logs: LogEntry[] = [];
  const reader = new SerialIdReader(config, {
    backoff: FAST_BACKOFF,
    log: (level, msg, fields = {}) => logs.push({ level, msg, fields }),
    ...deps,
  });
  const taps: CardTap[] = [];
  const statuses: ReaderStatus[] = [];
  reader.on("tap", (tap) => taps.push(tap));
  reader.on("status", (s) => statuses.push(s));
  t.teardown(() => reader.close());
  return { reader, taps, ids: () => taps.map((x) => x.cardId), statuses, logs };
}

async function waitFor(what: string, cond: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function ptyPair(t: Test): Promise<PtyPair> {
  const pair = await startPtyPair();
  t.teardown(() => pair.stop());
  return pair;
}

/** A started reader on the pair's device side, already `present`. */
async function readerOn(t: Test, pair: PtyPair, over: Partial<SerialIdReaderConfig> = {}): Promise<Harness> {
  const h = harness(t, baseConfig({ path: pair.agentPath, ...over }));
  await h.reader.start();
  t.equal(h.reader.status().state, "present");
  return h;
}

t.test("over a real pty, one card line in each format gives one tap with the normalised id", async (t) => {
  const pair = await ptyPair(t);
  const cases: { over: Partial<SerialIdReaderConfig>; line: string; id: string }[] = [
    { over: { format: "decimal" }, line: "0012345678", id: "id:0012345678" },
    { over: { format: "hex" }, line: "0a1b2c3d4e", id: "id:0A1B2C3D4E" },
    { over: { format: "em4100" }, line: "0F00A1B2C3", id: "id:0F00A1B2C3" },
    { over: { format: "em4100" }, line: "\x020f00a1b2c3df\x03", id: "id:0F00A1B2C3" },
    { over: { format: "wiegand26" }, line: "10000110010000111000001111", id: "id:012-34567" },
    { over: { format: "wiegand26" }, line: "2190E0F", id: "id:012-34567" },
    { over: { format: "wiegand26" }, line: "012,34567", id: "id:012-34567" },
    { over: { format: "regex", pattern: "^ID=(?<id>\\d{10})$" }, line: "ID=0012345678", id: "id:0012345678" },
  ];
  for (const c of cases) {
    const h = await readerOn(t, pair, c.over);
    const before = Date.now();
    await pair.write(`${c.line}\r\n`);
    await waitFor(`tap for ${c.line}`, () => h.taps.length > 0);
    // A garbage line behind it proves the line was consumed once and nothing else tapped.
    await pair.write("x\r\n");
    await waitFor("the trailing line", () => h.reader.stats().lines === 2);
    t.strictSame(h.ids(), [c.id], `${c.over.format}: ${JSON.stringify(c.line)}`);
    t.equal(h.taps[0]?.readerId, "door");
    t.ok((h.taps[0]?.at ?? 0) >= before && (h.taps[0]?.at ?? 0) <= Date.now(), "at is the read time");
    t.ok(h.reader.status().lastEventAt !== null);
    await h.reader.close();
  }
});

t.test("delimiters: \\n, \\r and \\r\\n readers, lines split across writes, and a mismatch", async (t) => {
  const pair = await ptyPair(t);

  const lf = await readerOn(t, pair, { delimiter: "\n" });
  await pair.write("0012345678\r\n0000000042\n");
  await waitFor("two taps", () => lf.taps.length === 2);
  t.strictSame(lf.ids(), ["id:0012345678", "id:0000000042"], "the \\r of a \\r\\n reader is stripped");
  await lf.reader.close();

  const cr = await readerOn(t, pair, { delimiter: "\r" });
  await pair.write("0012345678\r");
  await waitFor("a tap", () => cr.taps.length === 1);
  t.strictSame(cr.ids(), ["id:0012345678"]);
  await cr.reader.close();

  const crlf = await readerOn(t, pair, { delimiter: "\r\n" });
  for (const part of ["00123", "45678\r", "\n"]) {
    await pair.write(part);
    await sleep(20);
  }
  await waitFor("a tap", () => crlf.taps.length === 1);
  t.strictSame(crlf.ids(), ["id:0012345678"], "one line reassembled from three writes");
  // A \n-only reader on a \r\n config: two ids run together into one line, refused.
  await pair.write("0012345678\n0087654321\n\r\n");
  await waitFor("the run-together line", () => crlf.reader.stats().lines === 2);
  t.strictSame(crlf.ids(), ["id:0012345678"]);
  t.equal(crlf.reader.stats().invalid, 1);
});

t.test(
  "garbage, partial, wrong-checksum, empty and oversized lines do not tap; the next card still reads",
  async (t) => {
    const pair = await ptyPair(t);
    const h = await readerOn(t, pair, { format: "em4100" });
    const bad = ["garbage!!", "\xff\xfe\x00\x01", "0F00A1B2", "0F00A1B2C3DE", "A".repeat(100), " \t "];
    // A bare delimiter is no line at all (DelimiterParser emits nothing for it), not even counted.
    await pair.write(`${bad.map((l) => `${l}\r\n`).join("")}\r\n`);
    await pair.write("0F00A1B2C3DF\r\n");
    await waitFor("the valid line", () => h.taps.length === 1);
    t.strictSame(h.ids(), ["id:0F00A1B2C3"]);
    t.equal(h.reader.stats().invalid, bad.length);
    const warns = h.logs.filter((l) => l.msg === "serial reader sent a line that is not a card id");
    t.strictSame(
      warns.map((w) => w.fields["reason"]),
      [
        "em4100: not 10 or 12 hex digits",
        "non-printable",
        "em4100: not 10 or 12 hex digits",
        "em4100: checksum mismatch",
        "oversized",
        "empty",
      ],
    );
    t.strictSame(warns[3]?.fields, { reader: "door", reason: "em4100: checksum mismatch", length: 12, head: "0F" });
    t.equal(warns[1]?.fields["head"], "\\xff\\xfe", "binary is escaped in the log");
    t.notMatch(JSON.stringify(h.logs), /A1B2|garbage/, "line content beyond two chars is never logged");
    t.equal(h.reader.status().state, "present");
  },
);

t.test("a megabyte without a delimiter is discarded in bounded memory and reading resumes", async (t) => {
  const pair = await ptyPair(t);
  const h = await readerOn(t, pair);
  await pair.write(Buffer.alloc(1024 * 1024, "7"));
  await pair.write("\r\n0012345678\r\n");
  await waitFor("the card after the flood", () => h.taps.length === 1, 15_000);
  t.strictSame(h.ids(), ["id:0012345678"]);
  t.strictSame(
    { ...h.reader.stats(), opens: 0 },
    { opens: 0, losses: 0, lines: 2, taps: 1, debounced: 0, invalid: 1, overflows: 1 },
  );
  t.equal(h.logs.filter((l) => l.level === "warn").length, 1, "one warning for the flood, not one per byte or line");
});

t.test("the line guard holds at most one line of bytes however long the flood", async (t) => {
  let overflows = 0;
  const guard = new LineLengthGuard(Buffer.from("\r\n"), 256, () => overflows++);
  const out: Buffer[] = [];
  guard.on("data", (b: Buffer) => out.push(b));
  const chunk = Buffer.alloc(4096, "x");
  for (let i = 0; i < 256; i++) guard.write(chunk);
  guard.write(Buffer.from("yy\r"));
  guard.write(Buffer.from("\nOK\r\nAB"));
  await new Promise((resolve) => setImmediate(resolve));
  t.equal(overflows, 1);
  t.equal(Buffer.concat(out).toString("latin1"), `${"x".repeat(256)}\r\nOK\r\nAB`);
});

t.test(
  "debounce: the same card within the window is one tap, after it a new tap; other cards always tap",
  async (t) => {
    const pair = await ptyPair(t);
    const h = await readerOn(t, pair, { debounceMs: 300 });
    await pair.write("0012345678\r\n0012345678\r\n");
    await waitFor("two lines", () => h.reader.stats().lines === 2);
    t.strictSame(h.ids(), ["id:0012345678"]);
    await pair.write("0087654321\r\n0087654321\r\n");
    await waitFor("four lines", () => h.reader.stats().lines === 4);
    t.strictSame(h.ids(), ["id:0012345678", "id:0087654321"]);
    await sleep(450);
    await pair.write("0087654321\r\n");
    await waitFor("a third tap", () => h.taps.length === 3);
    t.strictSame(h.ids(), ["id:0012345678", "id:0087654321", "id:0087654321"]);
    t.equal(h.reader.stats().debounced, 2);
  },
);

t.test("unplug and replug: killing socat shows lost, the reader reopens by itself and reads again", async (t) => {
  const pair = await ptyPair(t);
  const h = await readerOn(t, pair);
  await pair.write("0012345678\r\n");
  await waitFor("first tap", () => h.taps.length === 1);

  await pair.unplug();
  await waitFor("lost", () => h.reader.status().state === "lost");
  t.match(h.reader.status().detail, /^CT_READER_LOST: /);
  await sleep(300); // several reopen attempts fail while the device is gone
  t.equal(h.reader.status().state, "lost");
  t.match(h.reader.status().detail, /cannot reopen .*ENOENT|No such file/);
  t.equal(h.reader.stats().opens, 1);

  await pair.restart();
  await waitFor("present again", () => h.reader.status().state === "present", 3_000);
  t.equal(h.reader.stats().opens, 2);
  t.equal(h.reader.stats().losses, 1);
  await pair.write("0087654321\r\n");
  await waitFor("tap after replug", () => h.taps.length === 2);
  t.strictSame(h.ids(), ["id:0012345678", "id:0087654321"]);
  const states = h.statuses.map((s) => s.state).filter((s, i, all) => s !== all[i - 1]);
  t.strictSame(states, ["present", "lost", "present"]);
});

t.test("a reader started before its device exists reports error, then opens when it appears", async (t) => {
  const pair = await ptyPair(t);
  await pair.unplug();
  const h = harness(t, baseConfig({ path: pair.agentPath }));
  await h.reader.start(); // resolves after the first attempt, does not throw
  t.equal(h.reader.status().state, "error");
  t.match(h.reader.status().detail, /^CT_READER_UNAVAILABLE: cannot open /);
  await pair.restart();
  await waitFor("present", () => h.reader.status().state === "present", 3_000);
  await pair.write("0012345678\r\n");
  await waitFor("a tap", () => h.taps.length === 1);
  t.strictSame(h.ids(), ["id:0012345678"]);
});

t.test("thousands of random garbage lines through the pty give zero taps", async (t) => {
  const pair = await ptyPair(t);
  const h = await readerOn(t, pair, { format: "em4100" });
  const hex12 = /^[0-9A-Fa-f]{10}(?:[0-9A-Fa-f]{2})?$/;
  const random = fc
    .uint8Array({ maxLength: 120 })
    .map((b) => Buffer.from(b.filter((x) => x !== 0x0a && x !== 0x0d)).toString("latin1"))
    // biome-ignore lint/suspicious/noControlCharactersInRegex: the parser strips these ends too
    .filter((l) => !hex12.test(l.replace(/^[\x00-\x20\x7f]+|[\x00-\x20\x7f]+$/g, "")));
  // A valid checksummed line with one digit changed fails its checksum.
  const nearValid = fc.tuple(fc.integer({ min: 0, max: 11 }), fc.integer({ min: 1, max: 15 })).map(([i, d]) => {
    const valid = "0F00A1B2C3DF";
    const digit = ((Number.parseInt(valid[i] ?? "0", 16) + d) % 16).toString(16);
    return valid.slice(0, i) + digit + valid.slice(i + 1);
  });
  const text = fc.string({ maxLength: 30 }).map((s) => s.replace(/[\r\n]/g, ""));
  // Non-empty: an empty line is no line to the parser, and the count below must be exact.
  const lines = fc.sample(
    fc.oneof(random, nearValid, text).filter((l) => l.length > 0),
    { numRuns: 3_000, seed: 7 },
  );
  const payload = Buffer.from(lines.map((l) => `${l}\r\n`).join(""), "latin1");
  await pair.write(payload);
  await pair.write("0F00A1B2C3DF\r\n");
  await waitFor("every line", () => h.reader.stats().lines === lines.length + 1, 20_000);
  t.strictSame(h.ids(), ["id:0F00A1B2C3"], "only the one valid line tapped");
  t.equal(h.reader.stats().invalid, 3_000);
  t.ok(h.logs.filter((l) => l.level === "warn").length <= 20, "warnings are rate-limited");
});

t.test("close() is idempotent, frees the port, and ignores the device afterwards", async (t) => {
  const pair = await ptyPair(t);
  const h = await readerOn(t, pair);
  await Promise.all([h.reader.close(), h.reader.close()]);
  await h.reader.close();
  t.equal(h.reader.status().state, "closed");
  t.equal(h.statuses.filter((s) => s.state === "closed").length, 1);
  await h.reader.start(); // a closed reader stays closed
  t.equal(h.reader.status().state, "closed");
  const next = await readerOn(t, pair); // the exclusive lock was released
  await pair.write("0012345678\r\n");
  await waitFor("a tap on the new reader", () => next.taps.length === 1);
  t.equal(h.taps.length, 0);
});

t.test("after close() a process holding readers (open and retrying) exits by itself", async (t) => {
  const pair = await ptyPair(t);
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), "cardterm-exit-"));
  t.teardown(() => fs.rm(dir, { recursive: true, force: true }));
  const module = fileURLToPath(new URL("../../drivers/readers/serial-id-reader.ts", import.meta.url));
  const script = path.join(dir, "exit.mts");
  await fs.writeFile(
    script,
    `import { SerialIdReader } from ${JSON.stringify(module)};
const base = { type: "serial-id", baudRate: 9600, dataBits: 8, parity: "none", stopBits: 1, delimiter: "\\n", format: "decimal", debounceMs: 100 } as const;
const open = new SerialIdReader({ ...base, id: "a", path: ${JSON.stringify(pair.agentPath)} }, { log: () => {} });
const missing = new SerialIdReader({ ...base, id: "b", path: ${JSON.stringify(path.join(dir, "none"))} }, { log: () => {} });
await open.start();
await missing.start();
console.log(open.status().state, missing.status().state);
await open.close();
await missing.close();
console.log(open.status().state, missing.status().state);
`,
  );
  const child = spawn(process.execPath, ["--import", "tsx", script], {
    cwd: process.cwd(),
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  child.stdout.on("data", (b: Buffer) => (out += b.toString()));
  child.stderr.on("data", (b: Buffer) => (out += b.toString()));
  const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
  const code = await new Promise<number | null>((resolve) => child.on("exit", (c) => resolve(c)));
  clearTimeout(timer);
  t.equal(code, 0, out);
  t.equal(out, "present error\nclosed closed\n");
});

// ---- supervision over a fake port, fake timers and a fake clock ----

class FakeLink implements SerialLink {
  readonly readable = new PassThrough();
  closes = 0;
  private listeners: ((err: Error) => void)[] = [];
  onLost(listener: (err: Error) => void): void {
    this.listeners.push(listener);
  }
  async close(): Promise<void> {
    this.closes++;
  }
  lose(message = "gone"): void {
    for (const l of this.listeners) l(new Error(message));
  }
}

class FakeTimers implements ReaderTimers {
  readonly pending = new Map<number, { fn: () => void; ms: number }>();
  private next = 1;
  setTimeout(fn: () => void, ms: number): unknown {
    this.pending.set(this.next, { fn, ms });
    return this.next++;
  }
  clearTimeout(handle: unknown): void {
    this.pending.delete(handle as number);
  }
  /** Runs the pending timer with the given delay (or the only reopen one) and returns its delay. */
  fire(match: (ms: number) => boolean): number {
    for (const [id, entry] of this.pending) {
      if (!match(entry.ms)) continue;
      this.pending.delete(id);
      entry.fn();
      return entry.ms;
    }
    throw new Error("no such timer");
  }
}

const flush = () => new Promise((resolve) => setImmediate(resolve));
const SILENT = 60_000;
const isReopen = (ms: number) => ms !== SILENT;

function fakeReader(t: Test, opens: (() => Promise<SerialLink>)[], over: Partial<SerialIdReaderConfig> = {}) {
  const timers = new FakeTimers();
  const clock = { now: 1_000_000 };
  const h = harness(t, baseConfig(over), {
    openPort: () => (opens.shift() ?? (() => Promise.reject(new Error("ENOENT"))))(),
    timers,
    now: () => clock.now,
    random: () => 0.5,
    backoff: DEFAULT_BACKOFF,
    silentAfterMs: SILENT,
  });
  return { ...h, timers, clock };
}

t.test("backoff doubles from 250 ms to a 10 s cap with ±20% jitter", async (t) => {
  const delays = [1, 2, 3, 4, 5, 6, 7, 8, 20, 1000].map((n) => backoffDelay(n, DEFAULT_BACKOFF, () => 0.5));
  t.strictSame(delays, [250, 500, 1000, 2000, 4000, 8000, 10000, 10000, 10000, 10000]);
  t.equal(
    backoffDelay(1, DEFAULT_BACKOFF, () => 0),
    200,
  );
  t.equal(
    backoffDelay(7, DEFAULT_BACKOFF, () => 0.999999),
    12000,
  );

  const f = fakeReader(t, []);
  await f.reader.start();
  const seen = [];
  for (let i = 0; i < 8; i++) {
    seen.push(f.timers.fire(isReopen));
    await flush();
  }
  t.strictSame(seen, [250, 500, 1000, 2000, 4000, 8000, 10000, 10000], "failed opens follow the same curve");
  t.equal(f.reader.status().state, "error");
  t.equal(f.statuses.length, 1, "a repeated identical failure is one status event");
});

t.test("late data and close events from a superseded port are ignored", async (t) => {
  const first = new FakeLink();
  const second = new FakeLink();
  const f = fakeReader(t, [async () => first, async () => second]);
  await f.reader.start();
  first.lose("unplugged");
  t.equal(f.reader.status().state, "lost");
  t.equal(first.closes, 1, "the lost port is closed");
  f.timers.fire(isReopen);
  await flush();
  t.equal(f.reader.status().state, "present");
  first.readable.write("0012345678\r\n");
  first.lose("late close");
  await flush();
  t.equal(f.taps.length, 0);
  t.equal(f.reader.status().state, "present");
  second.readable.write("0087654321\r\n");
  await flush();
  t.strictSame(f.ids(), ["id:0087654321"]);
  t.strictSame({ opens: f.reader.stats().opens, losses: f.reader.stats().losses }, { opens: 2, losses: 1 });
});

t.test("a card held on the reader is one tap; silence is reported and cleared by the next read", async (t) => {
  const link = new FakeLink();
  const f = fakeReader(t, [async () => link], { debounceMs: 300 });
  await f.reader.start();
  for (const at of [0, 200, 400, 600, 1000]) {
    f.clock.now = 1_000_000 + at;
    link.readable.write("0012345678\r\n");
    await flush();
  }
  t.strictSame(f.ids(), ["id:0012345678", "id:0012345678"], "reads 200 ms apart stay one tap; 400 ms later is new");
  t.strictSame(
    f.taps.map((x) => x.at),
    [1_000_000, 1_001_000],
  );
  f.timers.fire((ms) => ms === SILENT);
  t.equal(f.reader.status().state, "silent");
  t.equal(f.statuses.at(-1)?.state, "silent");
  link.readable.write("0000000001\r\n");
  await flush();
  t.equal(f.reader.status().state, "present");
});

t.test("a throwing tap listener is logged and does not stop reading", async (t) => {
  const link = new FakeLink();
  const f = fakeReader(t, [async () => link], { debounceMs: 0 });
  f.reader.on("tap", () => {
    throw new Error("listener bug");
  });
  await f.reader.start();
  link.readable.write("0000000001\r\n0000000002\r\n");
  await flush();
  t.strictSame(f.ids(), ["id:0000000001", "id:0000000002"]);
  t.equal(f.logs.filter((l) => l.level === "error").length, 2);
});

t.test("close() during an open in flight and during backoff leaves nothing running", async (t) => {
  const link = new FakeLink();
  let release: (l: SerialLink) => void = () => {};
  const f = fakeReader(t, [() => new Promise<SerialLink>((resolve) => (release = resolve))]);
  const started = f.reader.start();
  const closed = f.reader.close();
  release(link);
  await Promise.all([started, closed]);
  t.equal(link.closes, 1, "the port that opened after close() is closed at once");
  t.equal(f.reader.status().state, "closed");
  t.equal(f.timers.pending.size, 0);

  const g = fakeReader(t, []);
  await g.reader.start();
  t.equal(g.timers.pending.size, 1, "a reopen is scheduled");
  await g.reader.close();
  t.equal(g.timers.pending.size, 0, "and cancelled by close()");
});

t.test("a config that can never work is refused with CT_CONFIG_INVALID", async (t) => {
  t.throws(() => new SerialIdReader(baseConfig({ format: "regex" })), { code: "CT_CONFIG_INVALID" });
  t.throws(() => new SerialIdReader(baseConfig({ format: "regex", pattern: "^(\\d+)$" })), {
    code: "CT_CONFIG_INVALID",
  });
  t.throws(() => new SerialIdReader(baseConfig({ format: "regex", pattern: "(?<id>[" })), {
    code: "CT_CONFIG_INVALID",
  });
  t.throws(() => new SerialIdReader(baseConfig({ delimiter: "" })), { code: "CT_CONFIG_INVALID" });
});
