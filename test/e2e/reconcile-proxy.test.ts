/**
 * The fault proxy's MQTT framer (test/helpers/mqtt-proxy.ts), on packets built from the
 * MQTT 3.1.1 spec (§2.2.3 remaining length, §3.3 PUBLISH): whatever TCP does to the byte
 * stream — one byte at a time, random cuts, many packets in one chunk — the same packets
 * come out, whole, with their topic, QoS and packet id.
 */
import t, { type Test } from "tap";
import { MqttFramer, PUBACK, PUBLISH, pubackFor, publishPayload } from "../helpers/mqtt-proxy.js";

function remainingLength(n: number): Buffer {
  const out: number[] = [];
  do {
    let b = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) b |= 0x80;
    out.push(b);
  } while (n > 0);
  return Buffer.from(out);
}

function publish(topic: string, payload: Buffer, qos: 0 | 1, packetId = 0): Buffer {
  const t = Buffer.from(topic, "utf8");
  const body = Buffer.concat([
    Buffer.from([t.length >> 8, t.length & 0xff]),
    t,
    qos > 0 ? Buffer.from([packetId >> 8, packetId & 0xff]) : Buffer.alloc(0),
    payload,
  ]);
  return Buffer.concat([Buffer.from([(PUBLISH << 4) | (qos << 1)]), remainingLength(body.length), body]);
}

const PINGREQ = Buffer.from([0xc0, 0x00]);

// Sizes around each varint boundary: 1, 2 and 3 remaining-length bytes.
const packets = [
  publish("cardterm/v1/t/T001/up/journal", Buffer.alloc(100, 1), 1, 1),
  PINGREQ,
  publish("a", Buffer.alloc(127 - 3, 2), 0),
  publish("a", Buffer.alloc(128 - 3, 3), 0),
  publish("cardterm/v1/t/T001/down/ack", Buffer.alloc(16_383 - 31, 4), 1, 65_535),
  publish("cardterm/v1/t/T001/down/ack", Buffer.alloc(16_384 - 31, 5), 1, 2),
  pubackFor(7),
  publish("big", Buffer.alloc(200_000, 6), 1, 3),
];
const stream = Buffer.concat(packets);

function frameAll(chunks: Buffer[]) {
  const framer = new MqttFramer();
  return chunks.flatMap((c) => framer.push(c));
}

function check(t: Test, out: ReturnType<typeof frameAll>, how: string) {
  t.equal(out.length, packets.length, `${how}: every packet`);
  t.ok(
    out.every((p, i) => p.raw.equals(packets[i]!)),
    `${how}: byte for byte`,
  );
}

t.test("packets come out whole however the stream is cut", async (t) => {
  check(t, frameAll([stream]), "one chunk");
  check(t, frameAll([...stream].map((b) => Buffer.from([b]))), "one byte at a time");
  for (let run = 0; run < 20; run++) {
    const chunks: Buffer[] = [];
    for (let at = 0; at < stream.length; ) {
      const n = 1 + Math.floor(Math.random() * 4000);
      chunks.push(stream.subarray(at, at + n));
      at += n;
    }
    check(t, frameAll(chunks), `random cuts #${run + 1}`);
  }
});

t.test("a PUBLISH is described by its topic, QoS and packet id; its payload is found", async (t) => {
  const [first, ping, , , fifth, , ack, big] = frameAll([stream]);
  t.match(first, { type: PUBLISH, topic: "cardterm/v1/t/T001/up/journal", qos: 1, packetId: 1 });
  t.equal(ping?.type, 12);
  t.match(fifth, { topic: "cardterm/v1/t/T001/down/ack", qos: 1, packetId: 65_535 });
  t.match(ack, { type: PUBACK });
  t.equal(big?.raw.length, packets[7]!.length);
  t.ok(publishPayload(big!).equals(Buffer.alloc(200_000, 6)), "the payload after topic and packet id");
});

t.test("a remaining length of more than four bytes is refused", async (t) => {
  t.throws(() => new MqttFramer().push(Buffer.from([0x30, 0xff, 0xff, 0xff, 0xff, 0x01])), /remaining length/);
});
