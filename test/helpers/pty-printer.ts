/**
 * A serial (or usblp-like character device) receipt printer stand-in on the test side of a
 * socat pty pair (docs/architecture.md#testing-against-real-components): it keeps every byte
 * the code under test wrote to the device side and answers `DLE EOT n` with one byte per query
 * — after noise written separately, late, or not at all — like test/helpers/tcp-printer.ts does
 * over TCP. `hold()` stops reading, so the device's buffer fills and writes block, as on a
 * printer that stopped taking data.
 *
 * The test side is read with non-blocking polls on a raw fd (O_NOCTTY: the test process
 * must never adopt the pty as its terminal).
 */
import { constants, promises as fs } from "node:fs";
import type { PtyPair } from "./socat.js";
import type { StatusAnswers } from "./tcp-printer.js";

export class PtyPrinterStandIn {
  bytes: Buffer = Buffer.alloc(0);
  answers: StatusAnswers | null;
  private fh: fs.FileHandle | null = null;
  private reading = false;
  private loop: Promise<void> | null = null;
  private pending: Buffer = Buffer.alloc(0);
  private held = false;
  private readonly timers = new Set<NodeJS.Timeout>();

  private constructor(
    private readonly pair: PtyPair,
    answers: StatusAnswers | null,
  ) {
    this.answers = answers;
  }

  static async start(pair: PtyPair, answers: StatusAnswers | null = null): Promise<PtyPrinterStandIn> {
    const p = new PtyPrinterStandIn(pair, answers);
    await p.open();
    return p;
  }

  /** Stop reading: the pty fills up and the writer blocks. */
  hold(): void {
    this.held = true;
  }

  release(): void {
    this.held = false;
  }

  /** After the pair was restarted (socat killed and started again): read the new pty. */
  async reopen(): Promise<void> {
    await this.stopReading();
    this.pending = Buffer.alloc(0);
    await this.open();
  }

  /** Resolve once at least `n` bytes arrived (or throw after timeoutMs). */
  async waitForBytes(n: number, timeoutMs = 5_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.bytes.length < n) {
      if (Date.now() > deadline) throw new Error(`pty printer: ${n} bytes expected, got ${this.bytes.length}`);
      await sleep(5);
    }
  }

  /** Resolve once `predicate(bytes)` holds. */
  async waitFor(what: string, predicate: (bytes: Buffer) => boolean, timeoutMs = 5_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!predicate(this.bytes)) {
      if (Date.now() > deadline) throw new Error(`pty printer: timed out waiting for ${what}`);
      await sleep(5);
    }
  }

  async close(): Promise<void> {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    await this.stopReading();
  }

  private async open(): Promise<void> {
    this.fh = await fs.open(this.pair.testPath, constants.O_RDWR | constants.O_NOCTTY | constants.O_NONBLOCK);
    this.reading = true;
    this.loop = this.readLoop(this.fh);
  }

  private async stopReading(): Promise<void> {
    this.reading = false;
    await this.loop;
    this.loop = null;
    await this.fh?.close().catch(() => undefined);
    this.fh = null;
  }

  private async readLoop(fh: fs.FileHandle): Promise<void> {
    const buf = Buffer.alloc(65536);
    while (this.reading) {
      if (this.held) {
        await sleep(5);
        continue;
      }
      try {
        const { bytesRead } = await fh.read(buf, 0, buf.length, null);
        if (bytesRead > 0) {
          const chunk = Buffer.from(buf.subarray(0, bytesRead));
          this.bytes = Buffer.concat([this.bytes, chunk]);
          this.pending = await this.answer(fh, Buffer.concat([this.pending, chunk]));
          continue;
        }
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code !== "EAGAIN") {
          // EIO: socat went away (unplugged); wait to be reopened.
          await sleep(5);
          continue;
        }
      }
      await sleep(2);
    }
  }

  /** Answer each complete DLE EOT n; keep an incomplete tail for the next chunk. */
  private async answer(fh: fs.FileHandle, data: Buffer): Promise<Buffer> {
    for (let i = 0; i < data.length; i++) {
      if (data[i] !== 0x10) continue;
      if (i + 2 >= data.length) return data.subarray(i);
      if (data[i + 1] !== 0x04) continue;
      this.reply(fh, data[i + 2]!);
      i += 2;
    }
    return Buffer.alloc(0);
  }

  private reply(fh: fs.FileHandle, n: number): void {
    const answers = this.answers;
    const byte = answers?.replies[n];
    if (!answers || byte === undefined) return;
    const send = async () => {
      if (answers.noise) {
        // Noise one byte per write, then the reply: a reply split across reads.
        for (const b of answers.noise) {
          await fh.write(Buffer.from([b])).catch(() => undefined);
          await sleep(2);
        }
      }
      await fh.write(Buffer.from([byte])).catch(() => undefined);
    };
    const t = setTimeout(() => {
      this.timers.delete(t);
      void send();
    }, answers.delayMs ?? 0);
    this.timers.add(t);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
