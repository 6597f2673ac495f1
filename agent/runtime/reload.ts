/**
 * Hot reload (docs/config.md): the config file is read again (on SIGHUP or when it changes) and
 * judged by the same loader as at start-up. Then:
 *
 * - invalid → refused (CT_RELOAD_REFUSED), every problem logged with file:line and key;
 *   the running config stays, whole;
 * - valid, but changing a key only a restart can apply → refused as a whole
 *   (CT_RELOAD_RESTART_NEEDED, reload-diff.ts says which keys and why). All or nothing:
 *   the running agent always runs exactly one file a technician saved, never a mix;
 * - valid → the live keys are swapped in at once (synchronously, so no sale sees half of
 *   them; a sale already started finishes under the settings it read when it began), then
 *   each changed device is reopened, one at a time.
 *
 * Reloads run one at a time; requests that arrive meanwhile are folded into one more run
 * after it, which reads the file as it is then.
 */
import { readFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import type { AgentConfig } from "../../config/agent-config.js";
import { formatProblems, loadConfig } from "../../config/load-config.js";
import type { ConfigProblem } from "../../config/problems.js";
import { isCardtermError } from "../../protocol/errors.js";
import type { Logger } from "../logger.js";
import { type ConfigChange, diffConfig } from "./reload-diff.js";
import { type ReloadReport, type ReloadTrigger, restartProblems } from "./reload-report.js";

/** What the reloader changes in the running agent (agent/runtime/apply-config.ts). */
export interface ReloadTarget {
  current(): AgentConfig;
  /** Make `next` the running config and hand its live settings to every component. Synchronous. */
  applyLive(next: AgentConfig): void;
  /** Close and reopen one device ("reader:id" or "printer:receipt") with `next`'s settings. */
  restartDevice(device: string, next: AgentConfig): Promise<void>;
}

export interface ReloaderOptions {
  file: string;
  target: ReloadTarget;
  now: () => number;
  log: Logger;
  /** Parse the file's text into a config; default the start-up loader (config/load-config.ts). */
  load?: (file: string, text: string) => Promise<AgentConfig>;
  /** Told every report (metrics, status). */
  onReport?: (report: ReloadReport) => void;
}

export class ConfigReloader {
  private running: Promise<ReloadReport> | null = null;
  private again: Promise<ReloadReport> | null = null;
  private lastReport: ReloadReport | null = null;
  private closed = false;

  constructor(private readonly opts: ReloaderOptions) {}

  last(): ReloadReport | null {
    return this.lastReport;
  }

  reload(trigger: ReloadTrigger): Promise<ReloadReport> {
    if (this.closed) return Promise.reject(new Error("the agent is stopping; config not reloaded"));
    if (this.again) return this.again;
    if (this.running) {
      this.again = this.running.then(() => {
        this.again = null;
        if (this.closed) throw new Error("the agent is stopping; config not reloaded");
        return this.start(trigger);
      });
      return this.again;
    }
    return this.start(trigger);
  }

  /** Refuse further reloads and wait for the one in progress (the agent is stopping). */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.allSettled([this.running, this.again]);
  }

  private start(trigger: ReloadTrigger): Promise<ReloadReport> {
    const run = this.run(trigger).finally(() => {
      if (this.running === run) this.running = null;
    });
    this.running = run;
    return run;
  }

  private async run(trigger: ReloadTrigger): Promise<ReloadReport> {
    const report = await this.judgeAndApply(trigger);
    this.lastReport = report;
    this.log(report);
    this.opts.onReport?.(report);
    return report;
  }

  private async judgeAndApply(trigger: ReloadTrigger): Promise<ReloadReport> {
    const { file, target } = this.opts;
    const report = (r: ReportBody): ReloadReport => ({
      at: this.at(),
      trigger,
      problems: [],
      devicesRestarted: [],
      deviceErrors: [],
      ...r,
    });
    let text: string;
    let next: AgentConfig;
    try {
      text = await readFile(file, "utf8");
      next = await (this.opts.load ?? startUpLoader)(file, text);
    } catch (err) {
      return report({ ...this.refusal(err), changes: [] });
    }
    const changes = diffConfig(target.current(), next);
    if (changes.length === 0) return report({ result: "unchanged", message: "no change", changes });
    const restart = changes.filter((c) => c.kind === "restart");
    if (restart.length > 0) {
      const keys = [...new Set(restart.map((c) => c.path))].join(", ");
      return report({
        result: "restart-needed",
        code: "CT_RELOAD_RESTART_NEEDED",
        message: `${file}: changing ${keys} needs a restart of the agent; nothing was applied, the running config stays`,
        problems: restartProblems(restart, file, text),
        changes,
      });
    }
    target.applyLive(next);
    const { restarted, errors } = await this.reopenDevices(changes, next);
    return report({
      result: "applied",
      message: `applied ${changes.length} change(s) from ${file}`,
      changes,
      devicesRestarted: restarted,
      deviceErrors: errors,
    });
  }

  private async reopenDevices(changes: ConfigChange[], next: AgentConfig) {
    const devices = [...new Set(changes.flatMap((c) => (c.device ? [c.device] : [])))];
    const restarted: string[] = [];
    const errors: { device: string; error: string }[] = [];
    for (const device of devices) {
      try {
        await this.opts.target.restartDevice(device, next);
        restarted.push(device);
      } catch (err) {
        errors.push({ device, error: (err as Error).message });
      }
    }
    return { restarted, errors };
  }

  private refusal(err: unknown): Pick<ReloadReport, "result" | "code" | "cause" | "message" | "problems"> {
    const problems = isCardtermError(err) ? ((err.details?.problems as ConfigProblem[] | undefined) ?? []) : [];
    const cause = isCardtermError(err) ? err.code : undefined;
    const why = problems.length > 0 ? formatProblems(problems) : (err as Error).message;
    return {
      result: "refused",
      code: "CT_RELOAD_REFUSED",
      cause,
      message: `${this.opts.file} was not applied${cause ? ` (${cause})` : ""}; the running config stays. Fix and save again, or send SIGHUP:\n${why}`,
      problems,
    };
  }

  private log(r: ReloadReport): void {
    const { log } = this.opts;
    const fields = { trigger: r.trigger, changes: r.changes.map((c) => `${c.path} (${c.kind})`) };
    if (r.result === "applied") {
      log.info({ ...fields, devicesRestarted: r.devicesRestarted }, r.message);
      for (const e of r.deviceErrors) log.error(e, "device not reopened after reload; its driver keeps retrying");
    } else if (r.result === "unchanged") {
      log.info(fields, "config reloaded: no change");
    } else {
      // A refusal's message already lists every problem; the restart case lists its keys here.
      const lines = r.result === "restart-needed" ? `\n${formatProblems(r.problems)}` : "";
      log.error({ ...fields, cause: r.cause }, `${r.code}: ${r.message}${lines}`);
    }
  }

  private at(): string {
    return new Date(this.opts.now()).toISOString();
  }
}

/** A report without what every report carries (when, why, and empty lists unless said). */
type ReportBody = Omit<ReloadReport, "at" | "trigger" | "problems" | "devicesRestarted" | "deviceErrors"> &
  Partial<Pick<ReloadReport, "problems" | "devicesRestarted" | "deviceErrors">>;

/** The start-up loader on text already read: key files ({ file: PATH }) are read as at start-up. */
function startUpLoader(file: string, text: string): Promise<AgentConfig> {
  return loadConfig(file, { readFile: (path) => (path === file ? text : readFileSync(path)) });
}
