import { setTimeout as sleep } from "node:timers/promises";
import t from "tap";
import { startSdNotify, watchdogInterval } from "../../agent/runtime/sd-notify.js";
import { notifySocket } from "../helpers/notify-socket.js";

t.test("without NOTIFY_SOCKET nothing is sent and nothing fails", async (t) => {
  const sent: string[][] = [];
  const n = startSdNotify({ env: { WATCHDOG_USEC: "1000" }, send: async (f) => void sent.push([...f]) });
  t.equal(n.enabled, false);
  t.equal(n.watchdogIntervalMs, undefined);
  await n.ready("up");
  await n.stopping();
  n.close();
  n.close();
  t.same(sent, []);
});

t.test("the watchdog interval is half of WATCHDOG_USEC, and only for this process", async (t) => {
  t.equal(watchdogInterval({ WATCHDOG_USEC: "30000000" }, 42), 15_000);
  t.equal(watchdogInterval({ WATCHDOG_USEC: "30000000", WATCHDOG_PID: "42" }, 42), 15_000);
  t.equal(watchdogInterval({ WATCHDOG_USEC: "30000000", WATCHDOG_PID: "7" }, 42), undefined);
  t.equal(watchdogInterval({ WATCHDOG_USEC: "0" }, 42), undefined);
  t.equal(watchdogInterval({ WATCHDOG_USEC: "soon" }, 42), undefined);
  t.equal(watchdogInterval({}, 42), undefined);
});

t.test("an unhealthy agent stops feeding the watchdog, so systemd restarts it", async (t) => {
  const sent: string[] = [];
  let healthy = true;
  const n = startSdNotify({
    env: { NOTIFY_SOCKET: "/run/x", WATCHDOG_USEC: "40000" },
    healthy: () => healthy,
    send: async (f) => void sent.push(f.join(" ")),
  });
  t.teardown(() => n.close());
  await sleep(70);
  const fed = sent.length;
  t.ok(fed >= 2, `fed ${fed} times in 70 ms at a 20 ms interval`);
  healthy = false;
  await sleep(70);
  t.equal(sent.length, fed, "no WATCHDOG=1 while unhealthy");
});

t.test("a failing send is logged, never thrown, and later messages still go", async (t) => {
  const warnings: string[] = [];
  let calls = 0;
  const n = startSdNotify({
    env: { NOTIFY_SOCKET: "/run/x" },
    log: { warn: (_o, msg) => void warnings.push(msg) },
    send: async () => {
      if (calls++ === 0) throw new Error("boom");
    },
  });
  await n.ready();
  await n.stopping();
  t.same(warnings, ["systemd notify failed"]);
  t.equal(calls, 2);
});

t.test("READY, WATCHDOG and STOPPING reach a real notify socket through systemd-notify", async (t) => {
  const sock = await notifySocket(t);
  const n = startSdNotify({ env: { PATH: process.env.PATH, NOTIFY_SOCKET: sock.path, WATCHDOG_USEC: "300000" } });
  t.teardown(() => n.close());
  t.equal(n.enabled, true);
  t.equal(n.watchdogIntervalMs, 150);
  await n.ready("serving\non 7070");
  await sleep(400);
  await n.stopping();
  n.close();
  await sleep(50);
  const fields = sock.received.filter((f) => f !== "BARRIER=1");
  t.same(fields.slice(0, 2), ["READY=1", "STATUS=serving on 7070"]);
  t.ok(fields.filter((f) => f === "WATCHDOG=1").length >= 2, `watchdog fed: ${fields.join(", ")}`);
  t.equal(fields.at(-1), "STOPPING=1");
  t.notOk(
    fields.some((f) => f.startsWith("ERRNO=")),
    "systemd-notify saw its barrier answered",
  );
});

t.test("STATUS and RELOADING lines, and no WATCHDOG=1 once STOPPING=1 is sent", async (t) => {
  const sent: string[] = [];
  const n = startSdNotify({
    env: { NOTIFY_SOCKET: "/run/x", WATCHDOG_USEC: "20000" },
    send: async (f) => void sent.push(f.join(" ")),
  });
  t.teardown(() => n.close());
  await n.status("online,\n3 pending");
  await n.reloading();
  await sleep(30);
  await n.stopping();
  const stoppedAt = sent.length;
  await sleep(60);
  t.equal(sent[0], "STATUS=online, 3 pending", "one line, whatever the text holds");
  t.match(sent[1], /^RELOADING=1 MONOTONIC_USEC=\d+$/);
  const usec = BigInt(sent[1]!.split("=").at(-1)!);
  t.ok(usec > 0n && usec <= process.hrtime.bigint() / 1000n, "the monotonic clock, in microseconds");
  t.equal(sent.at(-1), "STOPPING=1");
  t.equal(sent.length, stoppedAt, "the watchdog stopped with STOPPING=1");
});
