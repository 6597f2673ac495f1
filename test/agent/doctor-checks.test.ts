/**
 * The doctor's checks that need no device: the server's ping answer and the skew
 * arithmetic, the disk row's limits (a fake file system for the sizes), the command's
 * usage and config exits (real temp files, in-process).
 */
import { writeFile } from "node:fs/promises";
import t from "tap";
import { doctorCommand } from "../../agent/cli/doctor-command.js";
import { type DiskFs, diskCheck } from "../../agent/doctor/disk-check.js";
import { clockSkewMs, decodePing } from "../../protocol/ping.js";
import { topics } from "../../protocol/topics.js";
import { answerPing } from "../../server/mqtt/ping-handler.js";
import { tempDir } from "../helpers/temp-dir.js";

t.test("the server answers a ping on the terminal's pong topic with its own clock", async (t) => {
  const ping = { v: 1, corr: "c-1", terminalId: "T001", sentAt: "2026-11-22T13:00:00.000Z" };
  const answer = answerPing("T001", Buffer.from(JSON.stringify(ping)), () => 1_790_000_000_123);
  if (!answer.ok) throw new Error(answer.reason);
  t.equal(answer.topic, topics.pong("T001"));
  const pong = decodePing("pingReply", answer.payload);
  t.same(pong, { ok: true, value: { v: 1, corr: "c-1", serverTimeMs: 1_790_000_000_123 } });
});

t.test("a ping naming another terminal, or malformed, is dropped with its reason", async (t) => {
  const other = { v: 1, corr: "c-1", terminalId: "T002", sentAt: "x" };
  t.match(answerPing("T001", Buffer.from(JSON.stringify(other)), Date.now), { ok: false, reason: /T002/ });
  t.match(answerPing("T001", Buffer.from("{"), Date.now), { ok: false, reason: /not JSON/ });
  t.match(answerPing("T001", Buffer.from('{"v":2,"corr":"a","terminalId":"T001","sentAt":"x"}'), Date.now), {
    ok: false,
    reason: /pingRequest/,
  });
});

t.test("clock skew is measured against the middle of the round trip", async (t) => {
  // Sent at 1000, answered at 1100 by the box's clock; the server read 601050 halfway.
  t.equal(clockSkewMs(1_000, 1_100, 601_050), -600_000, "the box is ten minutes behind");
  t.equal(clockSkewMs(1_000, 1_100, 1_050), 0);
  t.equal(clockSkewMs(90_000, 90_200, 30_100), 60_000, "a minute ahead");
});

function fakeDisk(free: number, opts: { writable?: boolean; existing?: string[] } = {}): DiskFs & { probed: string[] } {
  const probed: string[] = [];
  return {
    probed,
    freeBytes: async () => free,
    exists: async (p) => (opts.existing ?? ["/var/lib/cardterm", "/var/lib", "/var", "/"]).includes(p),
    probeWrite: async (dir) => {
      probed.push(dir);
      if (opts.writable === false) throw new Error("EROFS: read-only file system");
    },
  };
}

const MB = 2 ** 20;
const ctx = (lang: "en" | "zh-CN" = "en") => ({ lang, signal: new AbortController().signal, now: Date.now });

t.test("disk: below the fail limit FAILs with CT_DISK_LOW, below the warn limit WARNs, else PASS", async (t) => {
  const limits = { warnBytes: 500 * MB, failBytes: 100 * MB };
  const at = (free: number) =>
    diskCheck({ dataDir: "/var/lib/cardterm", label: "disk", limits, fs: fakeDisk(free) }).run(ctx());
  t.match(await at(50 * MB), { verdict: "FAIL", code: "CT_DISK_LOW", detail: /50 MB free .*< 100 MB/ });
  t.match((await at(50 * MB)).fix, /journalctl --vacuum-size/);
  t.match(await at(300 * MB), { verdict: "WARN", code: "CT_DISK_LOW", detail: /< 500 MB/ });
  t.match(await at(2_000 * MB), { verdict: "PASS", detail: /2000 MB free .*writable \(fsynced\)/ });
});

t.test("disk: a data dir that takes no durable write FAILs with CT_STORE_WRITE_FAILED and the chown fix", async (t) => {
  const fs = fakeDisk(10_000 * MB, { writable: false });
  const f = await diskCheck({ dataDir: "/var/lib/cardterm", label: "disk", fs }).run(ctx("zh-CN"));
  t.match(f, { verdict: "FAIL", code: "CT_STORE_WRITE_FAILED", detail: /无法写入 \/var\/lib\/cardterm.*EROFS/ });
  t.match(f.fix, /chown -R cardterm: \/var\/lib\/cardterm/);
});

t.test("disk: before the agent's first start the data dir's parent is judged", async (t) => {
  const fs = fakeDisk(10_000 * MB, { existing: ["/var/lib", "/var", "/"] });
  const f = await diskCheck({ dataDir: "/var/lib/cardterm", label: "disk", fs }).run(ctx());
  t.same(fs.probed, ["/var/lib"]);
  t.match(f, { verdict: "PASS", detail: /does not exist yet/ });
});

t.test("disk: the real file system under a temp dir takes the probe and leaves nothing behind", async (t) => {
  const dir = await tempDir(t);
  const f = await diskCheck({ dataDir: dir, label: "disk", limits: { warnBytes: 0, failBytes: 0 } }).run(ctx());
  t.match(f, { verdict: "PASS", detail: /writable/ });
  const { readdir } = await import("node:fs/promises");
  t.same(await readdir(dir), [], "the probe file is removed");
});

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, io: { out: (s: string) => out.push(s), err: (s: string) => err.push(s) } };
}

t.test("usage mistakes exit 2 and say what is wrong", async (t) => {
  for (const [args, why] of [
    [["--lang", "fr"], /--lang must be zh-CN or en/],
    [["--print", "--no-print"], /exclude each other/],
    [["--timeout", "ten"], /--timeout needs a whole number/],
    [["--bogus"], /unknown option/i],
  ] as const) {
    const c = capture();
    t.equal(await doctorCommand([...args], c.io), 2, args.join(" "));
    t.match(c.err.join("\n"), why);
  }
});

t.test("a config file that cannot be read exits 2 with CT_CONFIG_NOT_FOUND", async (t) => {
  const dir = await tempDir(t);
  const c = capture();
  t.equal(await doctorCommand(["--config", `${dir}/missing.yaml`], c.io), 2);
  t.match(c.err.join("\n"), /CT_CONFIG_NOT_FOUND: .*missing\.yaml: no such file/);
});

t.test("a config with a typo FAILs its row with file:line and the fix; the rest is skipped; exit 1", async (t) => {
  const dir = await tempDir(t);
  const file = `${dir}/cardterm.yaml`;
  await writeFile(
    file,
    `terminal:\n  id: T001\n  key: { hex: "${"ab".repeat(32)}" }\n  dataDir: ${dir}\nserver:\n  mqttUrl: mqtt://127.0.0.1:1\nprinterr:\n  type: none\n`,
  );
  const c = capture();
  t.equal(await doctorCommand(["--config", file, "--json", "--lang", "en"], c.io), 1);
  const report = JSON.parse(c.out.join("\n"));
  t.match(report.rows[0], {
    check: "config",
    verdict: "FAIL",
    code: "CT_CONFIG_INVALID",
    detail: new RegExp(`${file}:7:1 .*printerr.*did you mean "?printer"?`),
    fix: /cardterm config check/,
  });
  t.ok(
    report.rows.slice(1).every((r: { verdict: string }) => r.verdict === "SKIP"),
    "every other row is skipped",
  );
  t.equal(report.rows.length, 7);
});

t.test("the PIN is read from a pipe up to the end of the line, a backspace taking back a digit", async (t) => {
  const { PassThrough } = await import("node:stream");
  const { readPin } = await import("../../agent/doctor/read-pin.js");
  const input = new PassThrough();
  const output = new PassThrough();
  let shown = "";
  output.on("data", (d: Buffer) => {
    shown += d.toString();
  });
  const pin = readPin("PIN (900): ", input, output);
  input.write("99");
  input.write("8\u007f99\nrest");
  t.equal(await pin, "9999");
  t.match(shown, /^PIN \(900\): \n$/, "the prompt is shown, the PIN is not");
});
