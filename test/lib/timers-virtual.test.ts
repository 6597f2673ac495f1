/**
 * Virtual time (lib/timers-virtual.ts) keeps Node's order and rules, so a part tested
 * under it behaves as it does under the real timers; and the helpers beside the
 * interface (lib/timers.ts) wait on whichever timers they are given.
 */
import t from "tap";
import { settlesWithin, sleep } from "../../lib/timers.js";
import { VirtualTime } from "../../lib/timers-virtual.js";

t.test("timers fire in due order, equals in the order set, and the clock reads each one's time", async (t) => {
  const vt = new VirtualTime(1_000);
  const fired: string[] = [];
  vt.setTimeout(() => fired.push(`b@${vt.now()}`), 200);
  vt.setTimeout(() => fired.push(`a@${vt.now()}`), 100);
  vt.setTimeout(() => fired.push(`c@${vt.now()}`), 200);
  const cleared = vt.setTimeout(() => fired.push("cleared"), 150);
  vt.clearTimeout(cleared);
  await vt.advance(150);
  t.same(fired, ["a@1100"], "only what fell due so far");
  t.equal(vt.now(), 1_150);
  await vt.advance(1_000);
  t.same(fired, ["a@1100", "b@1200", "c@1200"]);
  t.equal(vt.pending(), 0, "nothing left behind");
});

t.test(
  "an interval fires once per period until cleared; a timer its callback sets fires in the same advance",
  async (t) => {
    const vt = new VirtualTime(0);
    const beats: number[] = [];
    const every = vt.setInterval(() => beats.push(vt.now()), 30_000);
    let retried = -1;
    vt.setTimeout(() => vt.setTimeout(() => (retried = vt.now()), 5_000), 1_000);
    await vt.advance(100_000);
    t.same(beats, [30_000, 60_000, 90_000]);
    t.equal(retried, 6_000, "the retry scheduled at 1 s fired at 6 s");
    vt.clearInterval(every);
    await vt.advance(100_000);
    t.equal(beats.length, 3, "cleared: no more beats");
    t.equal(vt.pending(), 0);
  },
);

t.test("a delay below 1 ms or past 32 bits is 1 ms, as in Node", async (t) => {
  const vt = new VirtualTime(0);
  const at: number[] = [];
  vt.setTimeout(() => at.push(vt.now()), 0);
  vt.setTimeout(() => at.push(vt.now()), Number.NaN);
  vt.setTimeout(() => at.push(vt.now()), 2 ** 31);
  await vt.advance(1);
  t.same(at, [1, 1, 1]);
});

t.test("promise work a timer starts finishes before the next timer is due", async (t) => {
  const vt = new VirtualTime(0);
  const order: string[] = [];
  vt.setTimeout(() => {
    void Promise.resolve()
      .then(() => undefined)
      .then(() => order.push("first's follow-up"));
  }, 10);
  vt.setTimeout(() => order.push("second"), 11);
  await vt.advance(20);
  t.same(order, ["first's follow-up", "second"]);
});

t.test("sleep and settlesWithin wait on virtual time: a 30 s wait takes no real time", async (t) => {
  const vt = new VirtualTime(0);
  const started = performance.now();
  let woke = false;
  const nap = sleep(vt, 30_000).then(() => (woke = true));
  await vt.advance(29_999);
  t.notOk(woke, "not before its time");
  await vt.advance(1);
  await nap;
  t.ok(woke);

  const never = new Promise<void>(() => {});
  const within = settlesWithin(vt, never, 5_000);
  await vt.advance(5_000);
  t.equal(await within, false, "a promise that does not settle in time: false");
  const soon = settlesWithin(vt, Promise.resolve(), 5_000);
  t.equal(await soon, true);
  await t.rejects(settlesWithin(vt, Promise.reject(new Error("boom")), 5_000), /boom/, "a rejection is passed on");

  const aborter = new AbortController();
  const cut = sleep(vt, 60_000, aborter.signal);
  aborter.abort();
  await cut;
  t.equal(vt.pending(), 0, "an aborted sleep leaves no timer");
  t.ok(performance.now() - started < 1_000, "all of it in well under a second of real time");
});
