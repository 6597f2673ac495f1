/**
 * The agent's metrics (docs/metrics.md): sales and declines by reason, till operations, the
 * offline exposure, queue depths, device states, the broker link, sync lag, reloads.
 * docs/metrics.md explains each and the alerts worth setting.
 *
 * Counters count events where they happen — SaleService tells each decision, the till
 * operations and the reloader tell theirs — so a scrape never reads the journal. They
 * start at zero with the process, as Prometheus expects of counters (rate() handles the
 * reset after a restart). Gauges are read from the running agent at each scrape.
 */
import { CARD_RULE_DECLINE_CODES } from "../../rules/decline-text.js";
import { DECLINE_CODES } from "../../rules/offline-rules.js";
import type { Exposure } from "../journal/card-fold.js";
import type { ReloadReport, ReloadResult } from "../runtime/reload-report.js";
import type { Decision } from "../sale/decision.js";
import { type Counter, MetricsRegistry, type Sample } from "./metrics-exposition.js";

export interface MetricSources {
  now: () => number;
  version: string;
  ledger: {
    offlineExposure(): Exposure;
    /** Unacknowledged entries, oldest first. */
    pending(): readonly { at: string }[];
    lastContactAt(): number | null;
    checkIntegrity(): { ok: true } | { ok: false; failedSeq: number | null };
  };
  printQueueDepth: () => number;
  /** Each reader and the printer: "reader:id" / "printer:id" and its state. */
  devices: () => { device: string; state: string }[];
  brokerConnected: () => boolean;
  /** Whether head office takes this till's messages, and replies dropped for a bad seal (docs/security.md). */
  server?: () => { standing: string; repliesDropped: number };
  lastReload: () => ReloadReport | null;
}

export type TillOp = "topup" | "refund" | "void" | "balance";
export type TillOpResult = "approved" | "declined" | "error";

const RELOAD_RESULTS: readonly ReloadResult[] = ["applied", "unchanged", "refused", "restart-needed"];
const TILL_OPS: readonly TillOp[] = ["topup", "refund", "void", "balance"];
const TILL_RESULTS: readonly TillOpResult[] = ["approved", "declined", "error"];

/** Device states in which it does its job: a silent reader is open and waiting; paper near its end still prints. */
const UP_STATES = new Set(["present", "silent", "ready", "paper-near-end"]);

export class AgentMetrics {
  readonly registry = new MetricsRegistry();
  private readonly sales: Counter;
  private readonly declines: Counter;
  private readonly tillOps: Counter;
  private readonly reloads: Counter;

  constructor(src: MetricSources) {
    const r = this.registry;
    r.gauge("cardterm_build_info", "The agent's version and the Node.js it runs on; always 1.", () => [
      { labels: { version: src.version, node: process.versions.node }, value: 1 },
    ]);
    this.sales = r.counter("cardterm_sales_total", "Sales decided, by mode and result.", ["mode", "result"]);
    for (const mode of ["online", "offline"])
      for (const result of ["approved", "declined"]) this.sales.declare({ mode, result });
    this.declines = r.counter("cardterm_declines_total", "Declined sales by reason (the decline code).", ["reason"]);
    for (const reason of [...DECLINE_CODES, ...CARD_RULE_DECLINE_CODES]) this.declines.declare({ reason });
    this.tillOps = r.counter(
      "cardterm_till_ops_total",
      "Top-ups, refunds, voids and balance queries at the till, by result (a balance answered counts as approved).",
      ["op", "result"],
    );
    for (const op of TILL_OPS)
      for (const result of TILL_RESULTS)
        if (op !== "balance" || result !== "declined") this.tillOps.declare({ op, result });
    this.reloads = r.counter("cardterm_reload_total", "Config reloads by result.", ["result"]);
    for (const result of RELOAD_RESULTS) this.reloads.declare({ result });
    this.gauges(src);
  }

  countSale(d: Decision): void {
    this.sales.inc({ mode: d.mode, result: d.approved ? "approved" : "declined" });
    if (!d.approved) this.declines.inc({ reason: d.code });
  }

  countTillOp(op: TillOp, result: TillOpResult): void {
    this.tillOps.inc({ op, result });
  }

  countReload(report: ReloadReport): void {
    this.reloads.inc({ result: report.result });
  }

  render(): string {
    return this.registry.render();
  }

  private gauges(src: MetricSources): void {
    const r = this.registry;
    const seconds = (ms: number) => Math.max(0, ms) / 1000;
    r.gauge(
      "cardterm_offline_exposure_minor",
      "Offline sales not yet acknowledged by the server, in minor units (fen).",
      () => src.ledger.offlineExposure().minor,
    );
    r.gauge(
      "cardterm_offline_exposure_count",
      "Offline sales not yet acknowledged by the server.",
      () => src.ledger.offlineExposure().count,
    );
    r.gauge(
      "cardterm_journal_pending",
      "Journal entries waiting for the server's ack.",
      () => src.ledger.pending().length,
    );
    r.gauge("cardterm_journal_ok", "1 while the journal takes approvals, 0 when it refuses them.", () =>
      src.ledger.checkIntegrity().ok ? 1 : 0,
    );
    r.gauge(
      "cardterm_journal_failed_seq",
      "The first journal entry that failed verification (0: the journal verifies, or the failure is not one entry's).",
      () => {
        const integrity = src.ledger.checkIntegrity();
        return integrity.ok ? 0 : (integrity.failedSeq ?? 0);
      },
    );
    r.gauge("cardterm_print_queue_depth", "Receipts waiting to print.", src.printQueueDepth);
    r.gauge("cardterm_device_up", "1 when the device works (state label: its state now), else 0.", () =>
      src
        .devices()
        .map(({ device, state }): Sample => ({ labels: { device, state }, value: UP_STATES.has(state) ? 1 : 0 })),
    );
    r.gauge("cardterm_broker_connected", "1 while connected to the MQTT broker.", () =>
      src.brokerConnected() ? 1 : 0,
    );
    const server = src.server;
    if (server) {
      r.gauge(
        "cardterm_server_standing",
        "1 while head office takes this till's messages (standing label: registered, TERMINAL_NOT_REGISTERED, CLOCK_SKEW, unknown).",
        () => {
          const { standing } = server();
          return [{ labels: { standing }, value: standing === "registered" ? 1 : 0 }];
        },
      );
      r.gauge(
        "cardterm_replies_dropped",
        "Replies on this till's auth, till-operation, ack and pong topics dropped since start: no valid seal.",
        () => server().repliesDropped,
      );
    }
    r.gauge("cardterm_sync_lag_seconds", "Age of the oldest journal entry not yet acknowledged (0: none).", () => {
      const oldest = src.ledger.pending()[0];
      return oldest ? seconds(src.now() - Date.parse(oldest.at)) : 0;
    });
    r.gauge(
      "cardterm_last_contact_age_seconds",
      "Time since the server last answered (+Inf: never, on this journal).",
      () => {
        const at = src.ledger.lastContactAt();
        return at === null ? Number.POSITIVE_INFINITY : seconds(src.now() - at);
      },
    );
    r.gauge(
      "cardterm_config_last_reload_successful",
      "1 if the last config reload was applied or found no change.",
      () => {
        const last = src.lastReload();
        return last === null || last.result === "applied" || last.result === "unchanged" ? 1 : 0;
      },
    );
    r.gauge(
      "cardterm_config_last_reload_timestamp_seconds",
      "When the last config reload finished (0: none yet).",
      () => {
        const last = src.lastReload();
        return last ? Date.parse(last.at) / 1000 : 0;
      },
    );
  }
}
