/**
 * A fault-injecting TCP proxy on loopback between an MQTT client and its broker
 * (docs/architecture.md#testing-against-real-components): it frames the byte stream into MQTT
 * packets and can drop, delay, duplicate (replay a PUBLISH 1–3 times) and reorder them, refuse
 * new connections and cut the live ones.
 *
 * A dropped QoS 1 PUBLISH is answered with a PUBACK forged towards its sender, as if the
 * far side had taken it and lost it (a broker past `max_queued_messages` does exactly
 * that): neither end stalls on an ack that will never come, and only the application
 * layer can notice the loss — which is what the tests are about.
 */
import { createServer, type Server, type Socket, connect as tcpConnect } from "node:net";

/** `up` is client → broker, `down` is broker → client. */
export type Direction = "up" | "down";

export const PUBLISH = 3;
export const PUBACK = 4;

export interface MqttPacket {
  /** Control packet type, 1–15 (3 = PUBLISH). */
  type: number;
  /** The four low bits of the first byte (for PUBLISH: DUP, QoS, RETAIN). */
  flags: number;
  /** The whole packet as it was on the wire. */
  raw: Buffer;
  /** PUBLISH only. */
  topic?: string;
  qos?: 0 | 1 | 2;
  packetId?: number;
}

/** What to do with one packet: pass it, drop it, send it `copies` times, or send it later (it may overtake others). */
export type Verdict = "pass" | "drop" | { copies: number } | { delayMs: number };

export interface ProxyFaults {
  /** Asked for every packet; absent = pass everything. */
  onPacket?: (packet: MqttPacket, dir: Direction) => Verdict;
  /** Hold up to `window` PUBLISH packets per direction and release them in random order (or after `maxHoldMs`). */
  shuffle?: { up?: number; down?: number; maxHoldMs?: number };
  /** New connections are closed at once while true. */
  refuse?: boolean;
}

export interface ProxyStats {
  connections: number;
  packets: Record<Direction, number>;
  dropped: Record<Direction, number>;
  duplicated: Record<Direction, number>;
  reordered: Record<Direction, number>;
}

export interface MqttProxy {
  url: string;
  port: number;
  faults: ProxyFaults;
  readonly stats: ProxyStats;
  /** Closes every live connection (both sides), as a cable pulled mid-stream. */
  cut(): void;
  close(): Promise<void>;
}

/**
 * Splits a byte stream into MQTT control packets: a fixed header byte, the remaining
 * length as a 1–4 byte varint (MQTT 3.1.1 §2.2.3, same in 5.0), then that many bytes.
 */
export class MqttFramer {
  #buf: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): MqttPacket[] {
    this.#buf = this.#buf.length === 0 ? chunk : Buffer.concat([this.#buf, chunk]);
    const out: MqttPacket[] = [];
    for (;;) {
      const header = remainingLength(this.#buf);
      if (!header) break;
      const total = 1 + header.bytes + header.length;
      if (this.#buf.length < total) break;
      out.push(describePacket(this.#buf.subarray(0, total), 1 + header.bytes));
      this.#buf = this.#buf.subarray(total);
    }
    return out;
  }
}

function remainingLength(buf: Buffer): { length: number; bytes: number } | undefined {
  let length = 0;
  for (let i = 1; i <= 4; i++) {
    if (buf.length <= i) return undefined;
    const b = buf[i]!;
    length += (b & 0x7f) * 128 ** (i - 1);
    if ((b & 0x80) === 0) return { length, bytes: i };
  }
  throw new Error("malformed MQTT remaining length (more than 4 bytes)");
}

function describePacket(raw: Buffer, bodyAt: number): MqttPacket {
  const type = raw[0]! >> 4;
  const flags = raw[0]! & 0x0f;
  const packet: MqttPacket = { type, flags, raw: Buffer.from(raw) };
  if (type !== PUBLISH) return packet;
  const topicLength = raw.readUInt16BE(bodyAt);
  packet.topic = raw.toString("utf8", bodyAt + 2, bodyAt + 2 + topicLength);
  packet.qos = ((flags >> 1) & 3) as 0 | 1 | 2;
  if (packet.qos > 0) packet.packetId = raw.readUInt16BE(bodyAt + 2 + topicLength);
  return packet;
}

/** The PUBACK for a QoS 1 packet id (valid in 3.1.1 and, as "success", in 5.0). */
export function pubackFor(packetId: number): Buffer {
  return Buffer.from([PUBACK << 4, 2, packetId >> 8, packetId & 0xff]);
}

/** The payload of a PUBLISH (MQTT 3.1.1 layout: no properties). */
export function publishPayload(p: MqttPacket): Buffer {
  const header = remainingLength(p.raw)!;
  const at = 1 + header.bytes + 2 + Buffer.byteLength(p.topic ?? "") + (p.qos ? 2 : 0);
  return p.raw.subarray(at);
}

export async function startMqttProxy(
  target: { port: number; host?: string },
  faults: ProxyFaults = {},
): Promise<MqttProxy> {
  const host = target.host ?? "127.0.0.1";
  const live = new Set<Socket>();
  const stats: ProxyStats = {
    connections: 0,
    packets: { up: 0, down: 0 },
    dropped: { up: 0, down: 0 },
    duplicated: { up: 0, down: 0 },
    reordered: { up: 0, down: 0 },
  };
  const proxy = { faults } as { faults: ProxyFaults };
  const server: Server = createServer((client) => {
    if (proxy.faults.refuse) {
      client.destroy();
      return;
    }
    stats.connections++;
    const broker = tcpConnect(target.port, host);
    client.setNoDelay(true);
    broker.setNoDelay(true);
    for (const s of [client, broker]) {
      live.add(s);
      s.on("close", () => {
        live.delete(s);
        client.destroy();
        broker.destroy();
      });
      s.on("error", () => {});
    }
    relay(client, broker, "up", () => proxy.faults, stats);
    relay(broker, client, "down", () => proxy.faults, stats);
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("proxy has no TCP port");
  let closing: Promise<void> | undefined;
  return {
    url: `mqtt://127.0.0.1:${address.port}`,
    port: address.port,
    get faults() {
      return proxy.faults;
    },
    set faults(f: ProxyFaults) {
      proxy.faults = f;
    },
    stats,
    cut() {
      for (const s of [...live]) s.destroy();
    },
    close() {
      closing ??= new Promise<void>((resolve) => {
        for (const s of [...live]) s.destroy();
        server.close(() => resolve());
      });
      return closing;
    },
  };
}

/** Frames `from`'s bytes and forwards each packet to `to` as the current faults say. */
function relay(from: Socket, to: Socket, dir: Direction, faults: () => ProxyFaults, stats: ProxyStats): void {
  const framer = new MqttFramer();
  const held: Buffer[] = [];
  let holdTimer: NodeJS.Timeout | undefined;
  const send = (raw: Buffer) => {
    if (!to.destroyed) to.write(raw);
  };
  const release = () => {
    clearTimeout(holdTimer);
    holdTimer = undefined;
    const batch = held.splice(0);
    const shuffled = shuffle(batch);
    if (shuffled.some((b, i) => b !== batch[i])) stats.reordered[dir]++;
    for (const raw of shuffled) send(raw);
  };
  from.on("close", () => clearTimeout(holdTimer));
  from.on("data", (chunk: Buffer) => {
    let packets: MqttPacket[];
    try {
      packets = framer.push(chunk);
    } catch {
      from.destroy();
      return;
    }
    for (const p of packets) {
      stats.packets[dir]++;
      const f = faults();
      const verdict = f.onPacket?.(p, dir) ?? "pass";
      if (verdict === "drop") {
        stats.dropped[dir]++;
        if (p.type === PUBLISH && p.qos === 1 && p.packetId !== undefined && !from.destroyed)
          from.write(pubackFor(p.packetId));
        continue;
      }
      const copies = typeof verdict === "object" && "copies" in verdict ? Math.max(1, verdict.copies) : 1;
      if (copies > 1) stats.duplicated[dir]++;
      if (typeof verdict === "object" && "delayMs" in verdict) {
        setTimeout(() => send(p.raw), verdict.delayMs);
        continue;
      }
      const window = p.type === PUBLISH ? (f.shuffle?.[dir] ?? 0) : 0;
      if (window > 1) {
        for (let i = 0; i < copies; i++) held.push(p.raw);
        if (held.length >= window) release();
        else holdTimer ??= setTimeout(release, f.shuffle?.maxHoldMs ?? 50);
        continue;
      }
      for (let i = 0; i < copies; i++) send(p.raw);
    }
  });
}

function shuffle<T>(items: readonly T[]): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

/** A verdict that picks 1–3 copies at random (the fault suite's "delivered 1–3 times"). */
export function oneToThreeCopies(): Verdict {
  const n = 1 + Math.floor(Math.random() * 3);
  return n === 1 ? "pass" : { copies: n };
}
