/**
 * A network receipt printer stand-in (docs/architecture.md#testing-against-real-components): a TCP
 * server on 127.0.0.1 and a free port that keeps every byte each connection sent, and
 * answers the real-time status query `DLE EOT n` (10 04 n) the way it is told — one byte
 * per query, after noise in its own segment, late, or not at all. It can go away and come
 * back on the same port, and can misbehave as a printer does (reset on accept, accept and
 * never read).
 */
import { once } from "node:events";
import { createServer, type Server, type Socket } from "node:net";

export interface StatusAnswers {
  /** Reply byte per query n (2, 4, …); a query without an entry gets no reply. */
  replies: Partial<Record<number, number>>;
  /** Bytes sent in a separate segment before each reply (e.g. an ASB packet). */
  noise?: Buffer;
  /** Send the noise one byte per segment, a few ms apart (a reply spread over segments). */
  noiseBytewise?: boolean;
  /** Wait this long before answering. */
  delayMs?: number;
}

/**
 * normal: read, answer, close on FIN; reset: RST on accept; hold: accept, never read, never
 * close; cut: read `cutAfterBytes` bytes of the job, then reset (power lost mid-receipt).
 */
export type Behaviour = "normal" | "reset" | "hold" | "cut";

export interface Connection {
  bytes: Buffer;
  open: boolean;
  /** performance.now() when the first byte arrived (the latency benchmark's end mark). */
  firstByteAt?: number;
}

/** Status bytes as a TM printer sends them: fixed bits 0xx1xx10 plus the flags. */
export const STATUS = {
  n2: (flags: { coverOpen?: boolean; paperEndStop?: boolean; error?: boolean } = {}) =>
    0x12 | (flags.coverOpen ? 0x04 : 0) | (flags.paperEndStop ? 0x20 : 0) | (flags.error ? 0x40 : 0),
  n4: (flags: { nearEnd?: boolean; paperEnd?: boolean } = {}) =>
    0x12 | (flags.nearEnd ? 0x0c : 0) | (flags.paperEnd ? 0x60 : 0),
};

export class TcpPrinterStandIn {
  readonly host = "127.0.0.1";
  port = 0;
  behaviour: Behaviour = "normal";
  cutAfterBytes = 256;
  answers: StatusAnswers | null = { replies: { 2: STATUS.n2(), 4: STATUS.n4() } };
  readonly connections: Connection[] = [];
  /**
   * Called after each chunk a connection sent, before it is answered: lets a test change
   * the printer under a job (the paper runs out while it prints).
   */
  onData: ((conn: Connection) => void) | null = null;
  private server: Server | null = null;
  private readonly sockets = new Set<Socket>();
  private readonly timers = new Set<NodeJS.Timeout>();

  static async start(): Promise<TcpPrinterStandIn> {
    const p = new TcpPrinterStandIn();
    await p.listen(0);
    return p;
  }

  /** Sockets currently open on the printer side. */
  get openConnections(): number {
    return this.sockets.size;
  }

  /** Bytes of every connection that sent something, in connection order. */
  jobs(): Buffer[] {
    return this.connections.filter((c) => c.bytes.length > 0).map((c) => c.bytes);
  }

  /** The printer is gone: stop listening and drop every connection. */
  async stop(): Promise<void> {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    for (const s of this.sockets) s.destroy();
    const server = this.server;
    this.server = null;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** The printer is back, on the same port. */
  async restart(): Promise<void> {
    if (!this.server) await this.listen(this.port);
  }

  close(): Promise<void> {
    return this.stop();
  }

  /** Resolve once `n` connections have been closed on the printer side (or throw after timeoutMs). */
  async waitForClosed(n: number, timeoutMs = 2000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.connections.filter((c) => !c.open).length < n) {
      if (Date.now() > deadline) throw new Error(`stand-in: ${n} closed connections expected within ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 5));
    }
  }

  private async listen(port: number): Promise<void> {
    const server = createServer((socket) => this.accept(socket));
    server.listen(port, this.host);
    await once(server, "listening");
    const address = server.address();
    this.port = typeof address === "object" && address ? address.port : port;
    this.server = server;
  }

  private accept(socket: Socket): void {
    const conn: Connection = { bytes: Buffer.alloc(0), open: true };
    this.connections.push(conn);
    this.sockets.add(socket);
    socket.setNoDelay(true);
    socket.on("error", () => undefined);
    socket.on("close", () => {
      conn.open = false;
      this.sockets.delete(socket);
    });
    if (this.behaviour === "reset") {
      socket.resetAndDestroy();
      return;
    }
    if (this.behaviour === "hold") {
      socket.pause();
      return;
    }
    let pending: Buffer = Buffer.alloc(0);
    const cut = this.behaviour === "cut" ? this.cutAfterBytes : Number.POSITIVE_INFINITY;
    socket.on("data", (chunk: Buffer) => {
      conn.firstByteAt ??= performance.now();
      conn.bytes = Buffer.concat([conn.bytes, chunk]);
      this.onData?.(conn);
      if (conn.bytes.length >= cut) {
        conn.bytes = conn.bytes.subarray(0, cut);
        socket.resetAndDestroy();
        return;
      }
      pending = this.answerQueries(socket, Buffer.concat([pending, chunk]));
    });
  }

  /** Answer each complete DLE EOT n; keep an incomplete tail for the next chunk. */
  private answerQueries(socket: Socket, data: Buffer): Buffer {
    // returns the unanswered tail: a query split across segments is answered when complete
    let i = 0;
    for (; i < data.length; i++) {
      if (data[i] !== 0x10) continue;
      if (i + 1 >= data.length) return data.subarray(i);
      if (data[i + 1] !== 0x04) continue;
      if (i + 2 >= data.length) return data.subarray(i);
      this.reply(socket, data[i + 2]!);
      i += 2;
    }
    return Buffer.alloc(0);
  }

  private reply(socket: Socket, n: number): void {
    const answers = this.answers;
    const byte = answers?.replies[n];
    if (!answers || byte === undefined) return;
    const send = () => {
      if (socket.destroyed) return;
      if (answers.noise && answers.noiseBytewise) {
        for (const [i, b] of answers.noise.entries()) {
          this.later(() => !socket.destroyed && socket.write(Buffer.from([b])), 3 * i);
        }
        this.later(() => !socket.destroyed && socket.write(Buffer.from([byte])), 3 * answers.noise.length + 3);
      } else if (answers.noise) {
        socket.write(answers.noise);
        this.later(() => !socket.destroyed && socket.write(Buffer.from([byte])), 5);
      } else {
        socket.write(Buffer.from([byte]));
      }
    };
    if (answers.delayMs) this.later(send, answers.delayMs);
    else send();
  }

  private later(fn: () => unknown, ms: number): void {
    const t = setTimeout(() => {
      this.timers.delete(t);
      fn();
    }, ms);
    this.timers.add(t);
  }
}
