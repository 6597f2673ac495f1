/**
 * The doctor's runner and table (pure: fake checks, fake timers): a hung check becomes
 * its own FAIL row and the others still finish; exit codes; the table aligned by display
 * width with the fix under each failed row.
 */
import t from "tap";
import type { DoctorCheck, DoctorRow, Finding } from "../../agent/doctor/doctor-row.js";
import { type DoctorReport, displayWidth, renderJson, renderTable } from "../../agent/doctor/render-table.js";
import { exitCodeOf, runChecks } from "../../agent/doctor/run-checks.js";
import type { Timer, Timers } from "../../lib/timers.js";

function check(name: string, run: DoctorCheck["run"], extra: Partial<DoctorCheck> = {}): DoctorCheck {
  return { check: name, label: name, via: "direct", run, ...extra };
}
const pass = (detail: string): Finding => ({ verdict: "PASS", via: "direct", detail });

/** Timers that fire only when the test says so. */
function manualTimers() {
  const pending: { fn: () => void; ms: number; cleared: boolean; unref(): Timer }[] = [];
  const set = (fn: () => void, ms: number): Timer => {
    const timer = { fn, ms, cleared: false, unref: () => timer };
    pending.push(timer);
    return timer;
  };
  const clear = (timer: Timer | null | undefined) => {
    if (timer) (timer as unknown as { cleared: boolean }).cleared = true;
  };
  const timers: Timers = { setTimeout: set, clearTimeout: clear, setInterval: set, clearInterval: clear };
  return {
    pending,
    timers,
    fireAll() {
      for (const p of pending) if (!p.cleared) p.fn();
    },
  };
}

t.test("a check that hangs fails with CT_CHECK_TIMEOUT, is told to stop, and the others still report", async (t) => {
  const timers = manualTimers();
  let abortedSeen = false;
  const hung = check(
    "printer",
    (ctx) =>
      new Promise<Finding>(() => {
        ctx.signal.addEventListener("abort", () => {
          abortedSeen = true;
        });
      }),
  );
  const quick = check("disk", async () => pass("77 GB free"));
  const running = runChecks([hung, quick], { lang: "en", timeoutMs: 10_000, timers: timers.timers });
  await new Promise((r) => setImmediate(r));
  t.same(
    timers.pending.map((p) => p.ms),
    [10_000, 10_000],
    "each check has its own deadline",
  );
  timers.fireAll();
  const rows = await running;
  t.match(rows[0], { check: "printer", verdict: "FAIL", code: "CT_CHECK_TIMEOUT", detail: /within 10 s/ });
  t.match(rows[0]!.fix, /--timeout/);
  t.ok(abortedSeen, "the hung check's signal was aborted, so it can close its device");
  t.match(rows[1], { check: "disk", verdict: "PASS", detail: "77 GB free" }, "the quick check's row is kept");
});

t.test("a check may ask for a longer deadline than the others (waiting for a tap)", async (t) => {
  const timers = manualTimers();
  const running = runChecks(
    [check("reader:front", async () => pass("read"), { timeoutMs: 35_000 }), check("disk", async () => pass("ok"))],
    { lang: "en", timeoutMs: 10_000, timers: timers.timers },
  );
  await running;
  t.same(
    timers.pending.map((p) => p.ms),
    [35_000, 10_000],
  );
  t.ok(
    timers.pending.every((p) => p.cleared),
    "finished checks clear their deadline",
  );
});

t.test("a check that throws is a FAIL row naming the doctor, not a crash", async (t) => {
  const rows = await runChecks(
    [
      check("journal", async () => {
        throw new Error("boom");
      }),
    ],
    { lang: "zh-CN", timeoutMs: 1_000 },
  );
  t.match(rows[0], { verdict: "FAIL", code: "CT_INTERNAL", detail: /检查出错：boom/ });
});

t.test("rows carry how long each check took, from the injected clock", async (t) => {
  let clock = 1_000;
  const rows = await runChecks(
    [
      check("broker", async () => {
        clock += 42;
        return pass("ok");
      }),
    ],
    { lang: "en", timeoutMs: 1_000, now: () => clock },
  );
  t.equal(rows[0]!.ms, 42);
});

t.test("exit code: 0 when nothing failed (warnings and skips allowed), 1 when any row failed", async (t) => {
  t.equal(exitCodeOf([{ verdict: "PASS" }, { verdict: "WARN" }, { verdict: "SKIP" }]), 0);
  t.equal(exitCodeOf([{ verdict: "PASS" }, { verdict: "FAIL" }]), 1);
  t.equal(exitCodeOf([]), 0);
});

const row = (over: Partial<DoctorRow> & Pick<DoctorRow, "check" | "label" | "verdict" | "detail">): DoctorRow => ({
  via: "direct",
  ms: 1,
  ...over,
});

function report(rows: DoctorRow[], running = false): DoctorReport {
  return {
    terminalId: "T001",
    configFile: "/etc/cardterm/cardterm.yaml",
    at: "2026-11-22T13:00:00.000Z",
    agent: { running, url: "http://127.0.0.1:7070", ...(running ? { version: "0.1.0" } : {}) },
    rows,
    exitCode: exitCodeOf(rows),
  };
}

t.test(
  "the zh-CN table aligns Chinese labels by display width and puts the fix with its code under a failure",
  async (t) => {
    const text = renderTable(
      report([
        row({ check: "config", label: "配置", verdict: "PASS", detail: "terminal T001" }),
        row({
          check: "reader:front",
          label: "读卡器 front",
          verdict: "FAIL",
          detail: "/dev/ttyUSB0 does not exist",
          fix: "插好读卡器",
          code: "CT_READER_UNAVAILABLE",
        }),
        row({
          check: "disk",
          label: "磁盘",
          verdict: "WARN",
          via: "agent+direct",
          detail: "300 MB",
          code: "CT_DISK_LOW",
          fix: "清理空间",
        }),
      ]),
      "zh-CN",
    );
    const lines = text.split("\n");
    const table = lines.filter((l) => /\b(PASS|WARN|FAIL)\b/.test(l) && !l.startsWith("共"));
    t.equal(table.length, 3);
    const resultColumn = table.map((l) => displayWidth(l.slice(0, l.search(/PASS|WARN|FAIL/))));
    t.same(new Set(resultColumn).size, 1, `RESULT starts at one display column in every row (${resultColumn})`);
    const detailColumn = table.map((l) => displayWidth(l.slice(0, l.search(/terminal|\/dev|300 MB/))));
    t.same(new Set(detailColumn).size, 1, "DETAIL starts at one display column in every row");
    const failAt = lines.findIndex((l) => l.includes("/dev/ttyUSB0"));
    t.match(lines[failAt + 1], /→ 处理: 插好读卡器 \[CT_READER_UNAVAILABLE\]/, "the fix and code under the failed row");
    t.match(text, /代理未运行/);
    t.match(text, /代理\+直接/, "how each row was checked, in Chinese");
    t.match(lines.at(-1), /共 3 项：通过 1，警告 1，失败 1，跳过 0/);
  },
);

t.test("the en table says the agent was asked, and a passing row has no fix line", async (t) => {
  const text = renderTable(
    report([row({ check: "journal", label: "journal", verdict: "PASS", via: "agent", detail: "sound" })], true),
    "en",
  );
  t.match(text, /agent running at http:\/\/127\.0\.0\.1:7070 \(version 0\.1\.0\)/);
  t.match(text, /journal +PASS +agent +sound/);
  t.notMatch(text, /→ fix/);
  t.match(text.split("\n").at(-1), /1 checks: 1 PASS, 0 WARN, 0 FAIL, 0 SKIP/);
});

t.test("--json gives the same rows and the exit code", async (t) => {
  const r = report([
    row({ check: "broker", label: "broker", verdict: "FAIL", detail: "refused", code: "CT_BROKER_UNREACHABLE" }),
  ]);
  const parsed = JSON.parse(renderJson(r));
  t.equal(parsed.exitCode, 1);
  t.match(parsed.rows[0], { check: "broker", verdict: "FAIL", code: "CT_BROKER_UNREACHABLE" });
});

t.test("display width counts Chinese and full-width characters as two columns", async (t) => {
  t.equal(displayWidth("abc"), 3);
  t.equal(displayWidth("读卡器"), 6);
  t.equal(displayWidth("（，）"), 6);
  t.equal(displayWidth("读卡器 front"), 12);
});
