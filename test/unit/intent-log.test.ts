/**
 * The till's intent log (agent/journal/intent-log.ts) on the crashable disk that loses what
 * was not synced: an intent is durable once `record` resolves, survives a power cut with
 * or without its outcome, a torn append never hides one, a full disk refuses the intent
 * (the till then never asks), and intents written at once share their fdatasync.
 */
import t from "tap";
import { type Intent, IntentLog } from "../../agent/journal/intent-log.js";
import type { DurableFs } from "../../agent/store/durable-file.js";
import { CrashableDisk } from "../helpers/crashable-fs.js";

const DIR = "/data";
const PATH = `${DIR}/intents.log`;

function intent(n: number): Intent {
  return {
    txnId: `txn-${n}`,
    cardId: "ic:04A1B2C3",
    accountId: "A0001",
    amount: 100 + n,
    operatorId: "001",
    businessDay: "2025-05-20",
    at: "2025-05-20T05:00:00.000Z",
  };
}

function disk(): CrashableDisk {
  const d = new CrashableDisk();
  d.mkdir(DIR);
  return d;
}

const ids = (log: IntentLog) =>
  log
    .openIntents()
    .map((i) => i.txnId)
    .sort();

t.test("a recorded intent survives a power cut; one settled before it may come back, never one lost", async (t) => {
  const d = disk();
  const log = await IntentLog.open(DIR, d.mount());
  await log.record(intent(1));
  await log.record(intent(2));
  await log.done("txn-1");
  d.crash();
  const after = await IntentLog.open(DIR, d.mount());
  t.ok(ids(after).includes("txn-2"), "the open intent is there after the crash");
  t.ok(
    ids(after).every((id) => id === "txn-1" || id === "txn-2"),
    "nothing made up",
  );
  t.same(
    after.openIntents().find((i) => i.txnId === "txn-2"),
    intent(2),
    "with every field the resolver needs",
  );
});

t.test("with random survivors of unsynced writes, every recorded intent is still there", async (t) => {
  for (let seed = 1; seed <= 30; seed++) {
    let x = seed;
    const random = () => {
      x = (x * 48271) % 2147483647;
      return x / 2147483647;
    };
    const d = disk();
    const log = await IntentLog.open(DIR, d.mount());
    const recorded: string[] = [];
    for (let n = 0; n < 12; n++) {
      await log.record(intent(n));
      recorded.push(`txn-${n}`);
      if (n % 3 === 0) await log.done(`txn-${n}`);
    }
    // One more started but not awaited: it may or may not make it, as the ask never left.
    void log.record(intent(99)).catch(() => undefined);
    d.crash({ survivors: "random", random });
    const after = await IntentLog.open(DIR, d.mount());
    const open = ids(after);
    const settled = new Set(["txn-0", "txn-3", "txn-6", "txn-9"]);
    const lost = recorded.filter((id) => !settled.has(id) && !open.includes(id));
    t.same(lost, [], `seed ${seed}: no open intent lost`);
  }
});

t.test("a torn last line is an append the power cut stopped before its request: ignored", async (t) => {
  const d = disk();
  const log = await IntentLog.open(DIR, d.mount());
  await log.record(intent(1));
  d.plant(PATH, `${d.peek(PATH)}{"k":"intent","txnId":"txn-2","ca`);
  const after = await IntentLog.open(DIR, d.mount());
  t.same(ids(after), ["txn-1"]);
  await after.record(intent(3));
  const again = await IntentLog.open(DIR, d.mount());
  t.same(ids(again), ["txn-1", "txn-3"], "the file was rewritten whole at open: the next append is clean");
});

t.test("a full disk refuses the intent with CT_STORE_WRITE_FAILED, and leaves nothing half-written", async (t) => {
  const d = disk();
  const log = await IntentLog.open(DIR, d.mount());
  await log.record(intent(1));
  d.fill();
  await t.rejects(log.record(intent(2)), { code: "CT_STORE_WRITE_FAILED" });
  t.same(ids(log), ["txn-1"], "the refused intent is not open: the till never asked");
  d.free();
  await log.record(intent(3));
  d.crash();
  const after = await IntentLog.open(DIR, d.mount());
  t.same(ids(after), ["txn-1", "txn-3"], "the failed append was cut back: the line after it reads whole");
});

t.test("a failed fdatasync refuses the intent", async (t) => {
  const d = disk();
  const log = await IntentLog.open(DIR, d.mount());
  d.failNext("fsync", "EIO");
  await t.rejects(log.record(intent(1)), { code: "CT_STORE_WRITE_FAILED" });
  t.same(ids(log), []);
});

t.test("intents written at the same moment share one fdatasync", async (t) => {
  const d = disk();
  const fs = d.mount();
  let syncs = 0;
  const counting: DurableFs = {
    ...fs,
    openForUpdate: async (path) => {
      const file = await fs.openForUpdate(path);
      return {
        ...file,
        // As on a real disk, a sync takes far longer than an append (~0.3 ms against µs).
        datasync: async () => {
          syncs += 1;
          await new Promise((r) => setTimeout(r, 2));
          return file.datasync();
        },
      };
    },
  };
  const log = await IntentLog.open(DIR, counting);
  await Promise.all(Array.from({ length: 50 }, (_, n) => log.record(intent(n))));
  t.ok(syncs <= 3, `50 intents at once took ${syncs} fdatasyncs`);
  d.crash();
  const after = await IntentLog.open(DIR, d.mount());
  t.equal(after.openIntents().length, 50, "and every one of them is durable");
});

t.test("once nothing is open the file is cut back, so it never grows without bound", async (t) => {
  const d = disk();
  const log = await IntentLog.open(DIR, d.mount());
  for (let n = 0; n < 400; n++) {
    await log.record(intent(n));
    await log.done(`txn-${n}`);
  }
  t.ok((d.peek(PATH) ?? "").length < 16 * 1024 + 400, `${(d.peek(PATH) ?? "").length} bytes after 400 sales`);
  await log.record(intent(1000));
  d.crash();
  t.same(ids(await IntentLog.open(DIR, d.mount())), ["txn-1000"]);
});
