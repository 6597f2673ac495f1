/**
 * One row of `cardterm doctor`'s table, and what a check is. A technician at a customer's
 * site reads the row, not the code: every FAIL and WARN carries the fix in words and the
 * stable error code (docs/errors.md), and every row says how it was checked — asked of
 * the running agent (which holds the devices) or done by the doctor itself.
 */
import type { Language } from "../../config/agent-config.js";
import { realTimers, sleep, type Timers } from "../../lib/timers.js";
import type { ErrorCode } from "../../protocol/errors.js";

/** PASS and WARN leave the exit code at 0; any FAIL makes it 1; SKIP could not be checked (a prerequisite failed). */
export type Verdict = "PASS" | "WARN" | "FAIL" | "SKIP";

/** agent: asked of the running agent over its local API; direct: done by the doctor; both: each gave part of it. */
export type Via = "agent" | "direct" | "agent+direct";

/** What a check finds; the runner adds its name and how long it took. */
export interface Finding {
  verdict: Verdict;
  via: Via;
  detail: string;
  /** What to do, for a WARN or FAIL. */
  fix?: string;
  code?: ErrorCode;
}

export interface DoctorRow extends Finding {
  /** Stable id: config, reader:<id>, printer, broker, server, operators, disk, journal. */
  check: string;
  /** The row's name in the table's language, e.g. "读卡器 front". */
  label: string;
  ms: number;
}

export interface CheckContext {
  lang: Language;
  /** Aborted when the check ran out of time: close what it opened. */
  signal: AbortSignal;
  now: () => number;
  /** The runner's timers, for a check's own waits (pause); absent: Node's. */
  timers?: Timers;
}

export interface DoctorCheck {
  check: string;
  label: string;
  /** How the check would have been done, for its timeout row. */
  via: Via;
  /** Its own deadline when it needs longer than the others (waiting for a tap). */
  timeoutMs?: number;
  run(ctx: CheckContext): Promise<Finding>;
}

/** The same words in both table languages. */
export type Say = (zh: string, en: string) => string;

export function sayIn(lang: Language): Say {
  return (zh, en) => (lang === "zh-CN" ? zh : en);
}

/** "3 s", "2 min", "5 h", "2 d": ages and durations in a row's detail. */
export function shortDuration(ms: number): string {
  const s = Math.round(Math.abs(ms) / 1000);
  if (s < 120) return `${s} s`;
  if (s < 7200) return `${Math.round(s / 60)} min`;
  if (s < 172_800) return `${Math.round(s / 3600)} h`;
  return `${Math.round(s / 86_400)} d`;
}

/** Wait `ms`, or less when `signal` aborts (a check that ran out of time stops waiting). */
export function pause(ms: number, signal?: AbortSignal, timers: Timers = realTimers): Promise<void> {
  return sleep(timers, ms, signal);
}
