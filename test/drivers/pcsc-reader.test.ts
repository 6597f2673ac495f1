/**
 * The PC/SC reader against the real pcscd with vpcd's two virtual readers and cards emulated in
 * TypeScript (docs/architecture.md#testing-against-real-components), plus what needs no pcscd:
 * the missing library, pcscd absent, and the pure decoders.
 *
 * One pcscd serves the box, so the tests in this file run one after another, and each
 * waits for its cards to be seen leaving before the next is put down (pcscd polls
 * presence every 400 ms: a card removed and replaced between two polls is never seen
 * to leave).
 */
import { EventEmitter } from "node:events";
import t, { type Test } from "tap";
import type { PcscReaderConfig } from "../../config/agent-config.js";
import { decimalUidBytes, uidCardId } from "../../drivers/readers/card-identity.js";
import type { CardTap, ReaderStatus } from "../../drivers/readers/card-reader.js";
import { absoluteBlock, decodeMemberNumber } from "../../drivers/readers/mifare-member-number.js";
import { acr122Feedback } from "../../drivers/readers/pcsc-card-read.js";
import { type PcscLibrary, type PcscService, unavailableAdvice } from "../../drivers/readers/pcsc-loader.js";
import { PcscReader, type PcscReaderDeps } from "../../drivers/readers/pcsc-reader.js";
import { lockVpcd, type Pcscd, pcscSkipReason, usePcscd } from "../helpers/pcscd.js";
import { ATR_ISO_14443_4, type CardSpec, insertCard, type VirtualCard } from "../helpers/vpcd-card.js";
import { waitFor } from "../helpers/wait-for.js";

const READER_0 = "Virtual PCD 00 00";
const READER_1 = "Virtual PCD 00 01";
const FAST_BACKOFF = { initialMs: 100, maxMs: 1_000, jitter: 0.2 };
const MEMBER_KEY = "A0A1A2A3A4A5";

const skipReason = await pcscSkipReason();

// The native PC/SC binding has been seen (twice, in combined runs) to keep this process
// alive after every test had passed. Once the suite is done, exit instead of waiting for
// tap's 240 s timeout; the results are already reported by then.
t.teardown(() => {
  setTimeout(() => process.exit(), 3_000);
});
/** Each live test is bounded, so a stuck pcscd fails one test instead of the file's timeout. */
const live = { skip: skipReason === undefined ? false : `needs pcscd + vpcd: ${skipReason}`, timeout: 20_000 };

function config(over: Partial<PcscReaderConfig> = {}): PcscReaderConfig {
  return { id: "counter", type: "pcsc", identity: "uid", feedback: true, debounceMs: 300, ...over };
}

interface LogEntry {
  level: string;
  msg: string;
  fields: Record<string, unknown>;
}

interface Harness {
  reader: PcscReader;
  taps: CardTap[];
  ids: () => string[];
  statuses: ReaderStatus[];
  logs: LogEntry[];
}

function harness(t: Test, over: Partial<PcscReaderConfig> = {}, deps: PcscReaderDeps = {}): Harness {
  const logs: LogEntry[] = [];
  const reader = new PcscReader(config(over), {
    backoff: FAST_BACKOFF,
    settleMs: 300,
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

async function started(t: Test, over: Partial<PcscReaderConfig> = {}, deps: PcscReaderDeps = {}): Promise<Harness> {
  const h = harness(t, over, deps);
  await h.reader.start();
  await waitFor("the reader to be present", () => h.reader.status().state === "present", 5_000, 10);
  return h;
}

/** Put a card down; resolves with the card and the time it went down. */
async function put(t: Test, slot: 0 | 1, spec: CardSpec): Promise<{ card: VirtualCard; at: number }> {
  const at = Date.now();
  const card = await insertCard(slot, spec);
  t.teardown(() => card.remove());
  return { card, at };
}

/** Take a card away and wait until the driver has seen it go. */
async function lift(h: Harness, card: VirtualCard): Promise<void> {
  const before = h.reader.stats().cardsOff;
  await card.remove();
  await waitFor("the card to be seen leaving", () => h.reader.stats().cardsOff > before, 3_000, 10);
}

/** Take away a card no driver watches: pcscd must poll twice to be sure to see it gone. */
async function liftUnwatched(card: VirtualCard): Promise<void> {
  await card.remove();
  await new Promise((r) => setTimeout(r, 900));
}

/** Resolves when `p` does, or fails the wait after `ms` instead of hanging the file. */
function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  return Promise.race([
    p,
    new Promise<T>((_, reject) => setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms)),
  ]);
}

const latencies: number[] = [];

async function tapOf(h: Harness, count: number, since: number): Promise<CardTap> {
  await waitFor(`tap #${count}`, () => h.taps.length >= count, 3_000, 5);
  const tap = h.taps[count - 1]!;
  latencies.push(tap.at - since);
  return tap;
}

let pcscd: Pcscd | undefined;
if (skipReason === undefined) {
  const unlock = await lockVpcd();
  pcscd = await usePcscd();
  t.teardown(async () => {
    await pcscd?.stop();
    await unlock();
  });
}

t.test("cards with 4-, 7- and 10-byte UIDs each become one tap with ic:<UID>", live, async (t) => {
  const h = await started(t, { readerName: READER_0 });
  t.match(h.reader.status(), { state: "present", detail: `PC/SC: ${READER_0}` });
  const uids = ["04a1b2c3", "04112233445566", "04112233445566778899"];
  for (const [i, uid] of uids.entries()) {
    const { card, at } = await put(t, 0, { uid });
    const tap = await tapOf(h, i + 1, at);
    t.equal(tap.cardId, `ic:${uid.toUpperCase()}`);
    t.equal(tap.readerId, "counter");
    await lift(h, card);
  }
  t.strictSame(h.ids(), ["ic:04A1B2C3", "ic:04112233445566", "ic:04112233445566778899"], "one tap per card");
  t.equal(h.reader.stats().cards, 3);
  t.not(h.reader.status().lastEventAt, null);
});

t.test("a card lying on the reader is one tap; put back after the debounce it is a new tap", live, async (t) => {
  const h = await started(t, { readerName: READER_0, debounceMs: 200 });
  const first = await put(t, 0, { uid: "04C0FFEE" });
  await tapOf(h, 1, first.at);
  await new Promise((r) => setTimeout(r, 900)); // two presence polls: still one tap
  t.equal(h.taps.length, 1);
  await lift(h, first.card);
  const again = await put(t, 0, { uid: "04C0FFEE" });
  await tapOf(h, 2, again.at);
  t.strictSame(h.ids(), ["ic:04C0FFEE", "ic:04C0FFEE"]);
  await lift(h, again.card);
});

t.test("one driver serves two PC/SC readers at once; each tap names the configured reader", live, async (t) => {
  const h = await started(t, { readerName: "Virtual PCD" });
  await waitFor("both readers", () => h.reader.readerNames().length === 2, 3_000, 10);
  t.equal(h.reader.status().detail, `PC/SC: ${READER_0}, ${READER_1}`);
  const at = Date.now();
  const [a, b] = await Promise.all([
    insertCard(0, { uid: "04AAAAAAAAAAAA" }),
    insertCard(1, { uid: "04BBBBBBBBBBBB" }),
  ]);
  t.teardown(() => Promise.all([a.remove(), b.remove()]));
  await tapOf(h, 2, at);
  t.strictSame(h.ids().sort(), ["ic:04AAAAAAAAAAAA", "ic:04BBBBBBBBBBBB"]);
  t.ok(h.taps.every((x) => x.readerId === "counter"));
  const offBefore = h.reader.stats().cardsOff;
  await Promise.all([a.remove(), b.remove()]);
  await waitFor("both cards off", () => h.reader.stats().cardsOff >= offBefore + 2, 3_000, 10);
  t.equal(h.taps.length, 2, "nothing more");
});

t.test("a reader filter takes only its own reader", live, async (t) => {
  const h = await started(t, { readerName: READER_1 });
  t.strictSame(h.reader.readerNames(), [READER_1]);
  const other = await put(t, 0, { uid: "04DEAD01" });
  const mine = await put(t, 1, { uid: "04BEEF01" });
  await tapOf(h, 1, mine.at);
  await new Promise((r) => setTimeout(r, 600));
  t.strictSame(h.ids(), ["ic:04BEEF01"], "the card on the other reader is not ours");
  await Promise.all([liftUnwatched(other.card), lift(h, mine.card)]);
});

const memberCard = (keyA: string): CardSpec => ({
  uid: "04A1B2C3D4E5F6",
  sectors: { 2: { keyA, keyB: "B0B1B2B3B4B5", blocks: { 1: Buffer.from("00123456789FFFFFFFFFFFFFFFFFFFFF", "hex") } } },
});

const memberConfig = (technology: "id" | "ic"): Partial<PcscReaderConfig> => ({
  readerName: READER_0,
  identity: "memberNumber",
  memberNumber: {
    sector: 2,
    block: 1,
    keyType: "A",
    key: Buffer.from(MEMBER_KEY, "hex"),
    encoding: "bcd",
    length: 16,
    technology,
  },
});

t.test("the member number is read from its sector with the right key", live, async (t) => {
  const h = await started(t, memberConfig("id"));
  const { card, at } = await put(t, 0, memberCard(MEMBER_KEY));
  const tap = await tapOf(h, 1, at);
  t.equal(tap.cardId, "id:00123456789", "filed under id:, like the same number from an ID reader");
  const sent = card.apdus.map((a) => a.subarray(0, 2).toString("hex"));
  t.strictSame(sent, ["ff82", "ff86", "ffb0"], "load key, authenticate, read; no UID needed");
  t.equal(card.apdus[1]![7], absoluteBlock(2, 1), "authenticates the configured block");
  t.equal(card.apdus[1]![8], 0x60, "with key A");
  await lift(h, card);
});

t.test("a wrong sector key gives no tap and says why; the card id is never the UID instead", live, async (t) => {
  const h = await started(t, memberConfig("ic"));
  const { card } = await put(t, 0, memberCard("FFFFFFFFFFFF"));
  await waitFor("the refusal", () => h.reader.stats().refused === 1, 3_000, 10);
  t.equal(h.taps.length, 0);
  const warn = h.logs.find((l) => l.msg === "card not accepted");
  t.match(warn?.fields.reason, /authentication with key A of sector 2 failed .*wrong key/);
  t.notMatch(JSON.stringify(h.logs), /A0A1A2A3A4A5/i, "the key is never logged");
  await lift(h, card);
  const good = await put(t, 0, memberCard(MEMBER_KEY));
  t.equal((await tapOf(h, 1, good.at)).cardId, "ic:00123456789", "technology ic files the number under ic:");
  await lift(h, good.card);
});

t.test("a card pulled away in the middle of the read gives no tap, and the next card reads", live, async (t) => {
  const h = await started(t, memberConfig("id"));
  const pulled = await put(t, 0, { ...memberCard(MEMBER_KEY), pullAwayOn: (apdu) => apdu[1] === 0xb0 });
  await within(pulled.card.removed, 3_000, "the card pulled away at FF B0");
  await waitFor("the interrupted read", () => h.reader.stats().interrupted === 1, 3_000, 10);
  await waitFor("the card off", () => h.reader.stats().cardsOff === 1, 3_000, 10);
  t.equal(h.taps.length, 0, "no tap, and no invented card");
  t.equal(h.reader.status().state, "present");
  t.ok(h.logs.some((l) => l.msg.startsWith("card left the reader before it was read")));
  const next = await put(t, 0, memberCard(MEMBER_KEY));
  t.equal((await tapOf(h, 1, next.at)).cardId, "id:00123456789");
  await lift(h, next.card);
});

t.test("an ISO 14443-4 card is read by its application when an AID is configured", live, async (t) => {
  const aid = "F0010203040506";
  const h = await started(t, { readerName: READER_0, aid });
  const phone = await put(t, 0, { uid: "08123456", atr: ATR_ISO_14443_4, apps: { [aid]: "6275636B6574" } });
  t.equal((await tapOf(h, 1, phone.at)).cardId, "ic:6275636B6574");
  await lift(h, phone.card);
  const stranger = await put(t, 0, { uid: "08654321", atr: ATR_ISO_14443_4 });
  await waitFor("the refusal", () => h.reader.stats().refused === 1, 3_000, 10);
  t.match(
    h.logs.find((l) => l.msg === "card not accepted")?.fields.reason,
    /no application F0010203040506 \(SW 6A82\)/,
  );
  await lift(h, stranger.card);
  const classic = await put(t, 0, { uid: "04A1B2C3" });
  t.equal((await tapOf(h, 2, classic.at)).cardId, "ic:04A1B2C3", "ISO 14443-3 cards still read by UID");
  await lift(h, classic.card);
  t.equal(h.taps.length, 2);
});

t.test("LED and buzzer commands go only to readers that have them", live, async (t) => {
  const plain = await started(t, { readerName: READER_0 });
  const a = await put(t, 0, { uid: "04F00D01" });
  await tapOf(plain, 1, a.at);
  await lift(plain, a.card);
  t.strictSame(
    a.card.apdus.map((x) => x.toString("hex")),
    ["ffca000000"],
    "a reader that is not an ACR122U gets no LED command",
  );
  await plain.reader.close();
  const acr = await started(t, { readerName: READER_0 }, { feedbackFor: () => true });
  const b = await put(t, 0, { uid: "04F00D02" });
  await tapOf(acr, 1, b.at);
  await waitFor("the LED command", () => b.card.apdus.length === 2, 2_000, 10);
  t.strictSame(b.card.apdus[1], acr122Feedback("ok"), "green blink and beep after the read");
  t.notOk(
    acr.logs.some((l) => l.level === "warn" || l.level === "error"),
    "the card's 6D00 answer to it stays quiet",
  );
  await lift(acr, b.card);
});

t.test("pcscd killed and restarted: the driver goes lost, recovers by itself and reads again", live, async (t) => {
  const h = await started(t, { readerName: READER_0 });
  const before = await put(t, 0, { uid: "04010203" });
  await tapOf(h, 1, before.at);
  await pcscd!.kill();
  await waitFor("lost", () => h.reader.status().state === "lost", 3_000, 10);
  t.match(h.reader.status().detail, /^CT_READER_LOST: /);
  await before.card.removed; // vpcd died with pcscd
  await new Promise((r) => setTimeout(r, 500)); // a few failed reconnects while pcscd is down
  await pcscd!.restart();
  await waitFor("present again", () => h.reader.status().state === "present", 8_000, 10);
  t.ok(h.reader.stats().connects >= 2, "a new connection to pcscd");
  const after = await put(t, 0, { uid: "04040506" });
  t.equal((await tapOf(h, 2, after.at)).cardId, "ic:04040506");
  await lift(h, after.card);
  t.strictSame(h.ids(), ["ic:04010203", "ic:04040506"]);
  t.ok(
    h.statuses
      .map((s) => s.state)
      .join(" ")
      .includes("present lost"),
    "the status showed the loss",
  );
});

t.test("insert-to-tap latency", live, async (t) => {
  const sorted = [...latencies].sort((a, b) => a - b);
  t.ok(sorted.length > 5, "latencies were measured");
  const p = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
  t.comment(
    `insert → tap over ${sorted.length} reads: min ${sorted[0]} ms, median ${p(0.5)} ms, max ${sorted.at(-1)} ms`,
  );
  t.ok((sorted.at(-1) ?? 0) < 1_500, "every card within 1.5 s (pcscd polls every 400 ms)");
});

t.test("without the PC/SC library the reader is unavailable and says exactly what to install", async (t) => {
  const missing = Object.assign(new Error("Cannot find package 'nfc-pcsc' imported from /opt/cardterm/x.js"), {
    code: "ERR_MODULE_NOT_FOUND",
  });
  let loads = 0;
  const h = harness(
    t,
    {},
    {
      loadLibrary: async () => {
        loads++;
        throw missing;
      },
    },
  );
  await h.reader.start();
  const status = h.reader.status();
  t.equal(status.state, "unavailable");
  t.match(status.detail, /^CT_READER_UNAVAILABLE: PC\/SC support is not installed: the optional package nfc-pcsc/);
  t.match(status.detail, /apt-get install pcscd libpcsclite-dev python3 make g\+\+/);
  await new Promise((r) => setTimeout(r, 300));
  t.equal(loads, 1, "a missing library is permanent: not retried");
  t.equal(h.taps.length, 0);
  await h.reader.close();
  await h.reader.close();
  t.equal(h.reader.status().state, "closed", "close is idempotent");
});

t.test("the install advice matches how the native module failed", async (t) => {
  t.match(
    unavailableAdvice(new Error("libpcsclite.so.1: cannot open shared object file")),
    /apt-get install libpcsclite1 pcscd/,
  );
  t.match(
    unavailableAdvice(new Error("Could not locate the bindings file. Tried: …/pcsclite.node")),
    /native module @pokusew\/pcsclite is missing.*apt-get install pcscd libpcsclite-dev/,
  );
});

/** A PC/SC library with no pcscd behind it, to drive the supervision by hand. */
function fakeLibrary(): { library: PcscLibrary; services: (EventEmitter & { closed: boolean })[] } {
  const services: (EventEmitter & { closed: boolean })[] = [];
  const library: PcscLibrary = {
    open: () => {
      const service = Object.assign(new EventEmitter(), {
        closed: false,
        ignore() {},
        async release() {},
        async close() {
          service.closed = true;
        },
      });
      services.push(service);
      return service as unknown as PcscService;
    },
  };
  return { library, services };
}

t.test("pcscd absent: error with advice, retried with backoff, never opened blind", async (t) => {
  const { library, services } = fakeLibrary();
  let up = false;
  let probes = 0;
  const h = harness(
    t,
    {},
    {
      loadLibrary: async () => library,
      probeService: async () => {
        probes++;
        return up;
      },
      backoff: { initialMs: 20, maxMs: 80, jitter: 0 },
    },
  );
  await h.reader.start();
  t.equal(h.reader.status().state, "error");
  t.match(h.reader.status().detail, /^CT_READER_UNAVAILABLE: pcscd is not running .*apt-get install pcscd/);
  await waitFor("a few probes", () => probes >= 3, 2_000, 5);
  t.equal(services.length, 0, "the library is never opened while pcscd does not answer");
  up = true;
  await waitFor("a connection", () => services.length === 1, 2_000, 5);
  await waitFor("no reader yet", () => /no PC\/SC reader is attached/.test(h.reader.status().detail ?? ""), 2_000, 5);
  t.match(h.reader.status(), { state: "error", detail: /\(readers seen: none\); plug it in$/ });
  services[0]!.emit("error", new Error("SCardGetStatusChange error: RPC transport error.(0x80100013)"));
  t.equal(h.reader.status().state, "lost", "once connected, a loss is `lost`");
  await waitFor("the dead connection closed", () => services[0]!.closed, 1_000, 5);
  await waitFor("a new connection", () => services.length === 2, 2_000, 5);
  services[0]!.emit("error", new Error("late"));
  t.equal(services.length, 2, "a superseded connection's late error is dropped");
  await h.reader.close();
  t.ok(services[1]!.closed, "close releases the connection");
});

t.test("member-number blocks decode exactly or not at all", async (t) => {
  const block = (hex: string) => Buffer.from(hex.padEnd(32, "0"), "hex");
  t.strictSame(decodeMemberNumber(block("00123456789FFFFF"), "bcd", 8), { ok: true, number: "00123456789" });
  t.strictSame(decodeMemberNumber(block("1234"), "bcd", 2), { ok: true, number: "1234" });
  t.match(decodeMemberNumber(block("12F4"), "bcd", 2), { ok: false, reason: /after the F padding/ });
  t.match(decodeMemberNumber(block("1A34"), "bcd", 2), { ok: false, reason: /not a digit/ });
  const ascii = Buffer.concat([Buffer.from("M-00042 "), Buffer.alloc(8)]);
  t.strictSame(decodeMemberNumber(ascii, "ascii", 16), { ok: true, number: "M-00042" });
  t.match(decodeMemberNumber(Buffer.from("12 34\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"), "ascii", 16), {
    ok: false,
  });
  t.strictSame(decodeMemberNumber(block("0102A0"), "hex", 3), { ok: true, number: "0102A0" });
  t.match(decodeMemberNumber(Buffer.alloc(16), "hex", 16), { ok: false, reason: "the block is blank" });
  t.match(decodeMemberNumber(Buffer.alloc(16, 0xff), "bcd", 16), { ok: false, reason: "the block is blank" });
  t.equal(absoluteBlock(1, 0), 4);
  t.equal(absoluteBlock(32, 14), 142);
});

t.test("UIDs: only 4, 7 or 10 bytes, and never a random one", async (t) => {
  t.strictSame(uidCardId(Buffer.from("04a1b2c3", "hex")), { ok: true, id: "ic:04A1B2C3" });
  t.match(uidCardId(Buffer.from("08a1b2c3", "hex")), { ok: false, reason: /random UID/ });
  t.match(uidCardId(Buffer.from("04a1b2c3d4", "hex")), { ok: false, reason: /4, 7 or 10 bytes/ });
  t.strictSame(decimalUidBytes("3283263748"), Buffer.from("c3b2a104", "hex"));
  t.strictSame(decimalUidBytes("1"), Buffer.from("00000001", "hex"));
  t.equal(decimalUidBytes("1".repeat(26)), undefined);
});
