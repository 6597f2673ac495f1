/**
 * The server's gate for till messages (server/mqtt/message-guard.ts), on its own: keys and
 * alerts stand in as plain functions, the clock is a variable. What it admits, what it
 * refuses and why, what it answers, and what it alerts (once every 10 minutes per till and reason).
 */
import { pino } from "pino";
import t from "tap";
import {
  deriveMessageKeys,
  MESSAGE_WINDOW_MS,
  openPayload,
  sealMatches,
  sealPayload,
} from "../../protocol/message-mac.js";
import { topics } from "../../protocol/topics.js";
import type { AlertInput } from "../../server/ledger/alerts.js";
import { type Admission, MessageGuard } from "../../server/mqtt/message-guard.js";

const KEY1 = Buffer.alloc(32, 0x11);
const KEY2 = Buffer.alloc(32, 0x22);
const UP = deriveMessageKeys(KEY1).up;
const AUTH = topics.authRequest("T001");

function rig(opts: { acceptUnsigned?: boolean } = {}) {
  const keys = new Map<string, Buffer>([["T001", KEY1]]);
  const alerts: AlertInput[] = [];
  const clock = { now: 1_700_000_000_000 };
  let lookups = 0;
  const guard = new MessageGuard({
    keyOf: async (id) => {
      lookups += 1;
      return keys.get(id);
    },
    alert: async (a) => {
      alerts.push(a);
    },
    now: () => clock.now,
    acceptUnsigned: opts.acceptUnsigned ?? false,
    log: pino({ level: "silent" }),
  });
  const admit = (topic: string, payload: string) => guard.admit(topic, "T001", Buffer.from(payload));
  return { guard, keys, alerts, clock, admit, lookups: () => lookups };
}

const request = (corr = "c-1") => ({ v: 1, corr, txnId: "x-1", terminalId: "T001", gross: 2500 });

function refusal(a: Admission) {
  if (a.ok) throw new Error("admitted");
  return { reason: a.reason, notice: a.notice && { topic: a.notice.topic, ...JSON.parse(a.notice.payload) } };
}

t.test("a sealed, fresh, new request is admitted without its seal", async (t) => {
  const r = rig();
  const a = await r.admit(AUTH, sealPayload(UP, "up", AUTH, request(), r.clock.now));
  t.same(a, { ok: true, payload: JSON.stringify(request()) });
  t.same(r.alerts, []);
});

t.test("no seal, another till's key, an edited body: refused, alerted, answered not registered", async (t) => {
  const r = rig();
  const unsealed = refusal(await r.admit(AUTH, JSON.stringify(request("c-a"))));
  t.match(unsealed, {
    reason: "unsigned",
    notice: { topic: topics.authReply("T001"), corr: "c-a", refused: "TERMINAL_NOT_REGISTERED", detail: /no seal/ },
  });
  const wrongKey = deriveMessageKeys(KEY2).up;
  t.match(refusal(await r.admit(AUTH, sealPayload(wrongKey, "up", AUTH, request("c-b"), r.clock.now))), {
    reason: "bad-mac",
    notice: { corr: "c-b", refused: "TERMINAL_NOT_REGISTERED", detail: /does not match/ },
  });
  const edited = JSON.parse(sealPayload(UP, "up", AUTH, request("c-c"), r.clock.now));
  edited.gross = 1;
  t.match(refusal(await r.admit(AUTH, JSON.stringify(edited))), { reason: "bad-mac" });
  t.match(r.alerts, [
    { kind: "message-unsigned", terminalId: "T001", detail: /up\/auth: refused, never applied/ },
    { kind: "message-forged", terminalId: "T001" },
  ]);
  t.equal(r.alerts.length, 2, "the second forgery within 10 minutes is counted, not alerted again");
  t.same(r.guard.counts(), { unsigned: 1, "bad-mac": 2 });
});

t.test("an unknown terminal is answered not registered; a journal batch, having no corr, gets no answer", async (t) => {
  const r = rig();
  const topic = topics.authRequest("T009");
  const a = refusal(await r.guard.admit(topic, "T009", Buffer.from(JSON.stringify(request()))));
  t.match(a, {
    reason: "unknown-terminal",
    notice: { topic: topics.authReply("T009"), refused: "TERMINAL_NOT_REGISTERED", detail: /terminal add T009/ },
  });
  const journal = topics.journal("T009");
  t.match(refusal(await r.guard.admit(journal, "T009", Buffer.from('{"v":1}'))), {
    reason: "unknown-terminal",
    notice: undefined,
  });
  t.match(r.alerts, [{ kind: "unknown-terminal", terminalId: "T009" }]);
});

t.test("outside ±120 s a request is refused as stale with the clock's offset; a journal batch is not", async (t) => {
  const r = rig();
  const late = r.clock.now - MESSAGE_WINDOW_MS - 1_000;
  t.match(refusal(await r.admit(AUTH, sealPayload(UP, "up", AUTH, request("c-s"), late))), {
    reason: "stale",
    notice: { refused: "CLOCK_SKEW", detail: /121 s behind/ },
  });
  const ahead = r.clock.now + MESSAGE_WINDOW_MS + 5_000;
  t.match(refusal(await r.admit(AUTH, sealPayload(UP, "up", AUTH, request("c-t"), ahead))), { reason: "stale" });
  const edge = r.clock.now - MESSAGE_WINDOW_MS;
  t.match(await r.admit(AUTH, sealPayload(UP, "up", AUTH, request("c-u"), edge)), { ok: true }, "120 s is inside");
  const journal = topics.journal("T001");
  const batch = { v: 1, terminalId: "T001", entries: [] };
  t.match(
    await r.admit(journal, sealPayload(UP, "up", journal, batch, late - 3_600_000)),
    { ok: true },
    "a batch an hour in the broker's queue",
  );
});

t.test("the same sealed request twice: the second is a replay, refused without an answer", async (t) => {
  const r = rig();
  const sealed = sealPayload(UP, "up", AUTH, request(), r.clock.now);
  t.match(await r.admit(AUTH, sealed), { ok: true });
  r.clock.now += 60_000;
  t.same(refusal(await r.admit(AUTH, sealed)), { reason: "replayed", notice: undefined });
  t.match(r.alerts, [{ kind: "message-replayed", detail: /already taken/ }]);
  t.match(
    await r.admit(AUTH, sealPayload(UP, "up", AUTH, request(), r.clock.now)),
    { ok: true },
    "sealed anew it is a resend",
  );
  r.clock.now += MESSAGE_WINDOW_MS;
  t.match(refusal(await r.admit(AUTH, sealed)), { reason: "stale" }, "once out of the cache it is stale anyway");
});

t.test("a re-keyed terminal: the new key is read again at once, not after the cache's minute", async (t) => {
  const r = rig();
  t.match(await r.admit(AUTH, sealPayload(UP, "up", AUTH, request("c-1"), r.clock.now)), { ok: true });
  r.keys.set("T001", KEY2);
  r.clock.now += 2_000;
  const up2 = deriveMessageKeys(KEY2).up;
  t.match(await r.admit(AUTH, sealPayload(up2, "up", AUTH, request("c-2"), r.clock.now)), { ok: true });
  t.match(refusal(await r.admit(AUTH, sealPayload(UP, "up", AUTH, request("c-3"), r.clock.now))), {
    reason: "bad-mac",
  });
});

t.test("replies on the sealed downlinks are sealed with the down key; other topics are left alone", async (t) => {
  const r = rig();
  await r.admit(AUTH, sealPayload(UP, "up", AUTH, request(), r.clock.now));
  const reply = JSON.stringify({
    v: 1,
    corr: "c-1",
    txnId: "x-1",
    approved: false,
    code: "CARD_NOT_FOUND",
    card: null,
  });
  const sealed = openPayload(r.guard.seal(topics.authReply("T001"), reply));
  t.ok(
    sealed.ok &&
      sealed.seal &&
      sealMatches(deriveMessageKeys(KEY1).down, "down", topics.authReply("T001"), sealed.body, sealed.seal),
  );
  t.equal(r.guard.seal(topics.operators("T001"), reply), reply, "the operators document is not sealed");
  t.equal(r.guard.seal(topics.policy(), reply), reply);
});

t.test(
  "--accept-unsigned-tills: an unsealed request is taken and answered unsealed, counted and alerted",
  async (t) => {
    const r = rig({ acceptUnsigned: true });
    t.same(await r.admit(AUTH, JSON.stringify(request())), { ok: true, payload: JSON.stringify(request()) });
    const reply = '{"v":1}';
    t.equal(r.guard.seal(topics.authReply("T001"), reply), reply, "an old till could not read a sealed pong");
    t.match(r.alerts, [{ kind: "message-unsigned", detail: /accepted unsealed/ }]);
    t.same(r.guard.counts(), { "unsigned-accepted": 1 });
    await r.admit(AUTH, sealPayload(UP, "up", AUTH, request("c-9"), r.clock.now));
    t.not(r.guard.seal(topics.authReply("T001"), reply), reply, "once it seals, it is answered sealed");
  },
);

t.test("a refusal notice is never sealed, even to a till whose key is at hand", async (t) => {
  const r = rig();
  await r.admit(AUTH, sealPayload(UP, "up", AUTH, request(), r.clock.now));
  const notice = JSON.stringify({ v: 1, corr: "c", refused: "CLOCK_SKEW", detail: "off", serverTimeMs: 1 });
  t.equal(r.guard.seal(topics.authReply("T001"), notice), notice);
});
