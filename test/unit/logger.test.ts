import { Writable } from "node:stream";
import t from "tap";
import { createLogger, maskCardText } from "../../agent/logger.js";

/** A logger whose lines are kept, parsed, for the test to look at. */
function capture() {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk, _enc, done) {
      lines.push(...String(chunk).split("\n").filter(Boolean));
      done();
    },
  });
  const log = createLogger({ level: "debug", destination });
  return { log, lines, text: () => lines.join("\n"), records: () => lines.map((l) => JSON.parse(l)) };
}

const PIN = "482913";
const KEY = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
const CARD_IC = "ic:04A1B2C3D4E5F6";
const CARD_ID = "id:0012345678";

t.test("keys, PINs, passwords and tokens are never written, at any depth the agent logs", async (t) => {
  const c = capture();
  c.log.info({ pin: PIN, key: KEY }, "top level");
  c.log.info({ sale: { pin: PIN, operator: { password: "hunter2-pw" } } }, "nested");
  c.log.info({ server: { token: "tok-abc-123", apiToken: "api-xyz-789", secret: "s3cr3t-v" } }, "tokens");
  c.log.info({ req: { headers: { authorization: "Bearer bear-456", "x-api-key": "xkey-999" } } }, "http");
  c.log.child({ component: "sale" }).warn({ card: { pinHash: "scrypt$abc$def" } }, "child");
  const text = c.text();
  for (const secret of [
    PIN,
    KEY,
    "hunter2-pw",
    "tok-abc-123",
    "api-xyz-789",
    "s3cr3t-v",
    "bear-456",
    "xkey-999",
    "scrypt$abc$def",
  ]) {
    t.notOk(text.includes(secret), `${secret} is not in the log`);
  }
  t.equal(c.records()[0].pin, "[redacted]");
  t.equal(c.records()[1].sale.operator.password, "[redacted]");
  t.equal(c.records()[3].req.headers.authorization, "[redacted]");
});

t.test("card ids are masked under card keys, as whole values, in messages and in errors", async (t) => {
  const c = capture();
  c.log.info({ cardId: CARD_IC, reader: "front" }, "tap");
  c.log.info({ txn: { newCardId: CARD_ID, oldCardId: "ic:04FFEEDDCCBBAA" } }, "replace");
  c.log.info({ uid: "04A1B2C3D4E5F6" }, "raw uid");
  c.log.info({ from: CARD_IC, cards: [CARD_ID] }, "anywhere");
  c.log.info(`declined ${CARD_IC} offline`);
  c.log.info("card %s tapped", CARD_ID);
  c.log.error({ err: new Error(`card ${CARD_IC} is hotlisted`) }, "failed");
  c.log.child({ cardId: CARD_ID }).info("bound");
  c.log.warn({ err: `card ${CARD_ID} not cached` }, "err as a string, as much of the agent logs it");
  const text = c.text();
  for (const full of ["04A1B2C3D4E5F6", "0012345678", "04FFEEDDCCBBAA"]) {
    t.notOk(text.includes(full), `${full} is not in the log`);
  }
  const r = c.records();
  t.equal(r[0].cardId, "ic:04A1******E5F6");
  t.equal(r[0].reader, "front", "other fields untouched");
  t.equal(r[2].uid, "04A1******E5F6");
  t.match(r[4].msg, /^declined ic:04A1\*+E5F6 offline$/);
  t.match(r[5].msg, /^card id:0012\*+5678 tapped$/);
  t.match(r[6].err.message, /^card ic:04A1\*+E5F6 is hotlisted$/);
  t.match(r[6].err.stack, /Error: card ic:04A1\*+E5F6 is hotlisted/);
  t.match(r[8].err, /^card id:0012\*+5678 not cached$/, "a string err stays a string");
});

t.test("fields that only look card-ish are left alone", async (t) => {
  const c = capture();
  c.log.info({ cardType: "金卡", cards: 12, readerId: "front", msgId: "abc" }, "reader id: front");
  const r = c.records()[0];
  t.match(r, { cardType: "金卡", cards: 12, readerId: "front", msgId: "abc", msg: "reader id: front" });
  t.equal(maskCardText("ic:04A1******E5F6 again"), "ic:04A1******E5F6 again", "masking twice changes nothing");
});
