/**
 * Message seals (protocol/message-mac.ts): a seal verifies only for the key, direction,
 * topic and body it was made over, so an edited field, another till's key, another topic
 * or a reply turned round as a request all fail.
 */
import t from "tap";
import {
  deriveMessageKeys,
  openPayload,
  SEAL_FIELD,
  sealMatches,
  sealPayload,
  topicTail,
} from "../../protocol/message-mac.js";
import { topics } from "../../protocol/topics.js";

const T1 = deriveMessageKeys(Buffer.alloc(32, 0x11));
const T2 = deriveMessageKeys(Buffer.alloc(32, 0x22));
const AUTH = topics.authRequest("T001");
const body = { v: 1, corr: "c-1", txnId: "x-1", terminalId: "T001", gross: 2500, cardId: "ic:04A1B2C3" };

function opened(payload: string) {
  const o = openPayload(payload);
  if (!o.ok || !o.seal) throw new Error("no seal");
  return { body: o.body, seal: o.seal };
}

t.test("a sealed request verifies with its own key, topic and body", async (t) => {
  const p = opened(sealPayload(T1.up, "up", AUTH, body, 1_000));
  t.same(p.body, body, "the body comes back without its seal");
  t.ok(sealMatches(T1.up, "up", AUTH, p.body, p.seal));
  t.equal(p.seal.at, 1_000);
  t.match(p.seal.id, /^[0-9a-f]{32}$/);
});

t.test("any change fails: a field, another till's key, another topic, the other direction", async (t) => {
  const p = opened(sealPayload(T1.up, "up", AUTH, body, 1_000));
  t.notOk(sealMatches(T1.up, "up", AUTH, { ...p.body, gross: 1 }, p.seal), "an edited amount");
  t.notOk(sealMatches(T1.up, "up", AUTH, { ...p.body, extra: true }, p.seal), "an added field");
  t.notOk(sealMatches(T1.up, "up", AUTH, p.body, { ...p.seal, at: 2_000 }), "another clock");
  t.notOk(sealMatches(T1.up, "up", AUTH, p.body, { ...p.seal, id: "ab".repeat(16) }), "another id");
  t.notOk(sealMatches(T2.up, "up", AUTH, p.body, p.seal), "T002's key");
  t.notOk(sealMatches(T1.up, "up", topics.tillOp("T001"), p.body, p.seal), "the till-op topic");
  t.notOk(sealMatches(T1.up, "up", topics.authRequest("T002"), p.body, p.seal), "another till's topic");
  t.notOk(sealMatches(T1.down, "down", AUTH, p.body, p.seal), "the down key");
  const reply = opened(sealPayload(T1.down, "down", topics.authReply("T001"), body, 1_000));
  t.notOk(sealMatches(T1.up, "up", topics.authReply("T001"), reply.body, reply.seal), "a reply is no request");
});

t.test("key order does not matter (canonical JSON); a malformed seal is refused, a missing one reported", async (t) => {
  const p = opened(sealPayload(T1.up, "up", AUTH, body, 5));
  const reordered = Object.fromEntries(Object.entries(p.body).reverse());
  t.ok(sealMatches(T1.up, "up", AUTH, reordered, p.seal));
  t.match(openPayload(JSON.stringify({ ...body, [SEAL_FIELD]: { v: 1, at: 1, id: "zz", mac: "00" } })), {
    ok: false,
    reason: "malformed seal",
  });
  t.match(openPayload(JSON.stringify(body)), { ok: true, seal: undefined });
  t.match(openPayload("[1]"), { ok: false, reason: "not an object" });
  t.match(openPayload("{"), { ok: false, reason: /not JSON/ });
});

t.test("topic tails name the message type under a terminal's topics", async (t) => {
  t.equal(topicTail(topics.tillOp("T-9")), "up/op");
  t.equal(topicTail(topics.ack("T001")), "down/ack");
  t.equal(topicTail(topics.policy()), undefined);
});
