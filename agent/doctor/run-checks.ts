/**
 * Runs the doctor's checks side by side, each with its own deadline: a serial port that
 * never opens or a printer that accepts and never answers makes its own row FAIL with
 * CT_CHECK_TIMEOUT, and the other rows are still checked and shown (a technician at
 * 9 p.m. must get a table, not a hung terminal). Clock and timers are injected so the
 * timeouts are tested without waiting.
 */
import type { Language } from "../../config/agent-config.js";
import { realTimers, type Timer, type Timers } from "../../lib/timers.js";
import type { CheckContext, DoctorCheck, DoctorRow, Finding } from "./doctor-row.js";
import { sayIn } from "./doctor-row.js";

export interface RunnerDeps {
  lang: Language;
  /** Each check's deadline. */
  timeoutMs: number;
  now?: () => number;
  /** The deadlines' timers (default Node's). */
  timers?: Timers;
}

/** Every check's row, in the order given. Never rejects. */
export function runChecks(checks: readonly DoctorCheck[], deps: RunnerDeps): Promise<DoctorRow[]> {
  return Promise.all(checks.map((c) => runOne(c, deps)));
}

async function runOne(check: DoctorCheck, deps: RunnerDeps): Promise<DoctorRow> {
  const now = deps.now ?? Date.now;
  const timers = deps.timers ?? realTimers;
  const started = now();
  const limit = check.timeoutMs ?? deps.timeoutMs;
  const aborter = new AbortController();
  const ctx: CheckContext = { lang: deps.lang, signal: aborter.signal, now, timers };
  let timer: Timer | undefined;
  const late = new Promise<Finding>((resolve) => {
    timer = timers.setTimeout(() => {
      aborter.abort();
      resolve(timedOut(check, limit, deps.lang));
    }, limit);
  });
  const finding = await Promise.race([check.run(ctx).catch((err: unknown) => crashed(check, err, deps.lang)), late]);
  timers.clearTimeout(timer);
  return { check: check.check, label: check.label, ...finding, ms: Math.max(0, now() - started) };
}

function timedOut(check: DoctorCheck, limitMs: number, lang: Language): Finding {
  const say = sayIn(lang);
  const s = Math.round(limitMs / 1000);
  return {
    verdict: "FAIL",
    via: check.via,
    code: "CT_CHECK_TIMEOUT",
    detail: say(
      `${s} 秒内未完成（设备或服务没有响应）`,
      `did not finish within ${s} s (a device or service that hangs)`,
    ),
    fix: say(
      "检查这一行所指设备的电源和连线；如需更长时间：cardterm doctor --timeout 30",
      "check power and cable of the device this row names; to allow longer: cardterm doctor --timeout 30",
    ),
  };
}

/** A check that threw is a defect in the doctor, not in the box: said so, with the message. */
function crashed(check: DoctorCheck, err: unknown, lang: Language): Finding {
  const say = sayIn(lang);
  return {
    verdict: "FAIL",
    via: check.via,
    code: "CT_INTERNAL",
    detail: say(
      `检查出错：${(err as Error)?.message ?? err}`,
      `the check itself failed: ${(err as Error)?.message ?? err}`,
    ),
    fix: say("把这段输出发给技术支持", "send this output to support"),
  };
}

/** 0 when nothing failed (WARN allowed), 1 when any row failed. */
export function exitCodeOf(rows: readonly Pick<DoctorRow, "verdict">[]): 0 | 1 {
  return rows.some((r) => r.verdict === "FAIL") ? 1 : 0;
}
