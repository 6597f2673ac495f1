/**
 * The outage log and the broker backoff, pure (virtual clock, fixed random): a 15-minute
 * outage retried every second logs a handful of lines, not 900; the recovery line says
 * how many attempts and how long; after any outage the next broker attempt is at most
 * the 5 s cap away.
 */
import t from "tap";
import { Backoff, BROKER_RECONNECT } from "../../lib/backoff.js";
import { OutageLog } from "../../lib/outage-log.js";

function recorder() {
  const lines: { level: string; msg: string; obj: Record<string, unknown> }[] = [];
  return {
    lines,
    warn: (obj: object, msg: string) => lines.push({ level: "warn", msg, obj: obj as Record<string, unknown> }),
    info: (obj: object, msg: string) => lines.push({ level: "info", msg, obj: obj as Record<string, unknown> }),
  };
}

t.test("a 15-minute outage retried every second: the first failure, then as it doubles, then back", async (t) => {
  let now = 0;
  const log = recorder();
  const outage = new OutageLog({ what: "MQTT broker", log, now: () => now });
  for (let i = 0; i < 900; i++, now += 1_000) outage.failed("connect ECONNREFUSED 127.0.0.1:1883", 1_000);
  outage.recovered();
  const warns = log.lines.filter((l) => l.level === "warn");
  t.same(
    warns.map((l) => l.msg),
    [
      "MQTT broker unreachable; retrying with backoff",
      "MQTT broker still unreachable after 10 s",
      "MQTT broker still unreachable after 20 s",
      "MQTT broker still unreachable after 40 s",
      "MQTT broker still unreachable after 80 s",
      "MQTT broker still unreachable after 160 s",
      "MQTT broker still unreachable after 320 s",
      "MQTT broker still unreachable after 640 s",
    ],
  );
  t.match(warns[0]!.obj, { attempts: 1, err: /ECONNREFUSED/, retryInMs: 1_000 });
  t.match(log.lines.at(-1), { level: "info", msg: "MQTT broker back after 900 attempts (900 s down)" });
  outage.recovered();
  t.equal(log.lines.length, 9, "a second recovered() without an outage says nothing");
  outage.failed(null);
  t.equal(log.lines.at(-1)?.msg, "MQTT broker unreachable; retrying with backoff", "the next outage starts afresh");
});

t.test("the broker backoff never waits more than 5 s, whatever the jitter, and doubles from 1 s", async (t) => {
  for (const r of [0, 0.5, 0.999]) {
    const b = new Backoff({ ...BROKER_RECONNECT, random: () => r });
    const delays = Array.from({ length: 40 }, () => b.next());
    t.ok(Math.max(...delays) <= 5_000, `random ${r}: at most ${Math.max(...delays)} ms`);
    t.ok(
      delays.slice(3).every((d) => d >= 2_500),
      "at the cap, never below half of it (no bunching at 0)",
    );
  }
  const first = new Backoff({ ...BROKER_RECONNECT, random: () => 1 });
  t.same([first.next(), first.next(), first.next(), first.next()], [1_000, 2_000, 4_000, 5_000]);
});
