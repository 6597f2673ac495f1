/**
 * The agent, assembled: one function that wires config, ledger, devices, link and API,
 * with every side effect (clock, ids, file system, logger) injectable, and one `close`
 * that stops it all in reverse order.
 */
import { randomUUID } from "node:crypto";
import { mkdir } from "node:fs/promises";
import type { AgentConfig } from "../config/agent-config.js";
import type { CardReader } from "../drivers/readers/card-reader.js";
import { realTimers, type Timers } from "../lib/timers.js";
import { topics } from "../protocol/topics.js";
import { cardTypeOf } from "../rules/policy.js";
import { operatorFor } from "./api/api-auth.js";
import { cardTypeRoutes } from "./api/card-type-routes.js";
import { registerCloseRoutes } from "./api/close-routes.js";
import { EventHub } from "./api/events.js";
import { registerFindRoutes } from "./api/find-routes.js";
import { buildApi } from "./api/http-api.js";
import { AgentMetrics } from "./api/metrics-agent.js";
import { registerMetricsRoute } from "./api/metrics-routes.js";
import { CountedTillOperations } from "./api/metrics-till-ops.js";
import { tapRoutes } from "./api/tap-routes.js";
import { closeSource } from "./close/close-source.js";
import { registerConsoleRoutes } from "./console/console-routes.js";
import { IntentLog } from "./journal/intent-log.js";
import { JournalArchive } from "./journal/journal-archive.js";
import { TerminalLedger } from "./journal/terminal-ledger.js";
import { createLogger, type Logger } from "./logger.js";
import { warnIfOpenTill } from "./operators/open-till.js";
import { TillRoles } from "./operators/role-table.js";
import { SessionStore } from "./operators/session-store.js";
import { OperatorSessions } from "./operators/sessions.js";
import type { SelfTestDoctorRow } from "./receipts/receipt-data.js";
import { selfTestData } from "./receipts/receipt-setup.js";
import { agentReader, reloadTarget } from "./runtime/apply-config.js";
import { LiveConfig, liveTillSettings, saleSettings } from "./runtime/live-config.js";
import { type LiveReceipts, startLiveReceipts } from "./runtime/live-receipts.js";
import { ConfigReloader } from "./runtime/reload.js";
import type { ReloadReport, ReloadTrigger } from "./runtime/reload-report.js";
import { businessDay } from "./sale/business-day.js";
import { Decider, deciderSettings } from "./sale/decider.js";
import { saleIntents } from "./sale/sale-intents.js";
import { SaleService } from "./sale/sale-service.js";
import { TapSource } from "./sale/tap-source.js";
import type { DurableFs } from "./store/durable-file.js";
import { AuthClient } from "./sync/auth-client.js";
import { HeartbeatPublisher } from "./sync/heartbeat.js";
import { HoldResolver } from "./sync/hold-resolver.js";
import { JournalUploader } from "./sync/journal-uploader.js";
import { MqttLink } from "./sync/mqtt-link.js";
import { OperatorsCache } from "./sync/operators-cache.js";
import { PolicyCache } from "./sync/policy-cache.js";
import { TillOpClient } from "./sync/till-op-client.js";
import { CardOperations } from "./till/card-operations.js";
import { HotlistOverlay } from "./till/hotlist-overlay.js";
import { AGENT_VERSION } from "./version.js";

export interface AgentDeps {
  now?: () => number;
  /** Every timer of the till's own parts (lib/timers.ts); a test passes virtual ones with their `now`. */
  timers?: Timers;
  newTxnId?: () => string;
  log?: Logger;
  fs?: DurableFs;
  /** Reconnect backoff for the broker link (tests use short ones). */
  backoff?: { baseMs: number; capMs: number };
  ackTimeoutMs?: number;
  heartbeatMs?: number;
  /** Print-queue retry backoff while the printer is away (tests use short ones). */
  printRetry?: { baseMs: number; capMs: number };
  /** How long a sale's reply waits for its receipt to print (default 1 s). */
  receiptWaitMs?: number;
  /**
   * Internal, not in the technician's YAML: `intentLog: false` skips the durable intent
   * before each online ask (docs/reconciliation.md). Only for bench/sale-api-latency.ts, to
   * measure what the step costs in one run; a till run that way can be debited for a sale
   * it never recorded (issue 13, defect 1), until the hold expires.
   */
  sale?: { intentLog?: boolean };
}

export interface RunningAgent {
  /** The API's base URL, e.g. http://127.0.0.1:7070. */
  url: string;
  sales: SaleService;
  ledger: TerminalLedger;
  link: MqttLink;
  readers: CardReader[];
  /**
   * The print queue and the printer monitor: `receipts.monitor.current()` is the printer's
   * status for the heartbeat, its `status` event each change, `receipts.queue.status()` the
   * receipts waiting; `receipts.printer` the (reopenable) printer.
   */
  receipts: LiveReceipts;
  status(): Record<string, unknown>;
  /** `METHOD /path` of every route the local API serves (the supervisor-only test checks each). */
  routes: readonly string[];
  /** The config in force now (the start-up one, or the last reload applied). */
  config(): AgentConfig;
  /** Read the config file again and apply what can change live (agent/runtime/reload.ts). */
  reload(trigger?: ReloadTrigger): Promise<ReloadReport>;
  /** What the last reload did (null: none since start-up). */
  lastReload(): ReloadReport | null;
  /** Prometheus text for GET /metrics. */
  metrics: AgentMetrics;
  /** Head office's operators for this till, as held (sync/operators-cache.ts). */
  hqOperators: OperatorsCache;
  /** The role table in force: built-in < policy < config (operators/role-table.ts). */
  roles: TillRoles;
  close(): Promise<void>;
}

export async function startAgent(config: AgentConfig, deps: AgentDeps = {}): Promise<RunningAgent> {
  const now = deps.now ?? Date.now;
  const timers = deps.timers ?? realTimers;
  const log = deps.log ?? createLogger({ name: "cardterm" });
  const terminalId = config.terminal.id;
  // What a reload may change is read through `live`; what only a restart changes (the id,
  // the data directory, the broker, the API's address) is taken from `config` here.
  const live = new LiveConfig(config);
  const receiptWaitMs = deps.receiptWaitMs ?? 1_000;
  await mkdir(config.terminal.dataDir, { recursive: true });

  const archive = new JournalArchive(`${config.terminal.dataDir}/archive`, config.archiveDays);
  const ledger = await TerminalLedger.open({
    dataDir: config.terminal.dataDir,
    terminalId,
    key: config.terminal.key,
    fs: deps.fs,
    archive,
  });
  await archive.prune(businessDay(now(), config.terminal.timeZone));
  const integrity = ledger.checkIntegrity();
  if (!integrity.ok) {
    const { failedSeq, reason, problem } = integrity;
    const salvaged = ledger.pending().length;
    log.error(
      { failedSeq, reason, problem, salvaged },
      "CT_JOURNAL_CORRUPT: approvals are refused; verified entries upload",
    );
  }
  // Intents a crash left open are read here and resolved with the server once it is reachable.
  const intentLog = deps.sale?.intentLog === false ? undefined : await IntentLog.open(config.terminal.dataDir, deps.fs);
  const policies = await PolicyCache.open(config.terminal.dataDir, log.child({ c: "policy" }), deps.fs);
  const hqOperators = await OperatorsCache.open(
    config.terminal.dataDir,
    terminalId,
    log.child({ c: "operators" }),
    deps.fs,
  );

  const link = new MqttLink({
    url: config.server.mqttUrl,
    terminalId,
    username: config.server.username,
    password: config.server.password,
    tls: config.server.tls,
    // Requests sealed with it, replies checked against it (docs/security.md).
    key: config.terminal.key,
    // The policy and hotlist topics are PolicyCache's: it subscribes to what it needs (attach).
    subscriptions: [topics.ack(terminalId), topics.authReply(terminalId), topics.tillOpReply(terminalId)],
    log: log.child({ c: "mqtt" }),
    now,
    timers,
    backoff: deps.backoff,
  });
  const contact = () => ledger.noteContact(now());
  const auth = new AuthClient(link, terminalId, log.child({ c: "auth" }), contact, timers);
  const tillOpClient = new TillOpClient(link, terminalId, log.child({ c: "till-op" }), contact, timers);
  const holds =
    intentLog &&
    new HoldResolver({
      intents: intentLog,
      server: tillOpClient,
      journalHas: (txnId) => ledger.pending().some((e) => e.txnId === txnId),
      log: log.child({ c: "holds" }),
      timeoutMs: Math.max(config.server.authTimeoutMs, 3_000),
      now,
      timers,
    });
  link.on("connected", () => holds?.kick());
  const uploader = new JournalUploader(link, ledger, {
    terminalId,
    batchSize: config.server.uploadBatchSize,
    ackTimeoutMs: deps.ackTimeoutMs ?? 10_000,
    now,
    timers,
    log: log.child({ c: "sync" }),
  });
  policies.attach(link);
  hqOperators.attach(link);

  const readers = config.readers.map((r) => agentReader(r, now, log));
  const receipts = await startLiveReceipts({ config, fs: deps.fs, now, log, retry: deps.printRetry });
  const printer = receipts.printer;
  /** Each reader's and the printer's state, as the heartbeat, the event stream and the metrics report them. */
  const deviceStates = (): Record<string, string> => ({
    ...Object.fromEntries(readers.map((r) => [`reader:${r.id}`, r.status().state])),
    [`printer:${printer.id}`]: printer.status().state,
  });
  const metrics = new AgentMetrics({
    now,
    version: AGENT_VERSION,
    ledger,
    printQueueDepth: () => receipts.queue.status().pending,
    devices: () =>
      Object.entries(deviceStates())
        .filter(([device]) => !(device.startsWith("printer:") && printer.type === "none"))
        .map(([device, state]) => ({ device, state })),
    brokerConnected: () => link.status().connected,
    server: () => link.serverView(),
    lastReload: () => reloader.last(),
  });
  const taps = new TapSource(readers, log.child({ c: "readers" }), timers);
  // The hotlist with this till's own card operations marked until the server's delta arrives.
  const hotlist = new HotlistOverlay({
    cards: () => policies.hotlist(),
    version: () => policies.versions().hotlist ?? 0,
    reason: (cardId) => policies.hotlistReason(cardId),
  });
  const decider = new Decider({
    terminalId,
    ledger,
    online: auth,
    policy: () => policies.policy(),
    hotlist: () => hotlist.view(),
    hotlistReason: (cardId) => hotlist.reason(cardId),
    now,
    log: log.child({ c: "decide" }),
    intents: intentLog && holds && saleIntents(intentLog, holds, log.child({ c: "intents" })),
    settings: deciderSettings(config),
  });
  const sales = new SaleService({
    decider,
    taps,
    receipts: receipts.queue,
    policy: () => policies.policy(),
    newTxnId: deps.newTxnId ?? randomUUID,
    afterCommit: () => uploader.kick(),
    onDecision: (decision) => metrics.countSale(decision),
    log: log.child({ c: "sale" }),
    settings: saleSettings(config, receiptWaitMs),
  });

  const tillOps = new CountedTillOperations(
    {
      ledger,
      server: tillOpClient,
      taps,
      receipts: receipts.queue,
      newTxnId: deps.newTxnId ?? randomUUID,
      now,
      afterCommit: () => uploader.kick(),
      cardTypeName: (id) => {
        const policy = policies.policy();
        return (policy && cardTypeOf(policy, id)?.name) ?? null;
      },
      log: log.child({ c: "till" }),
      settings: liveTillSettings(live, receiptWaitMs),
    },
    (op, result) => metrics.countTillOp(op, result),
  );
  const cardOps = new CardOperations({ ...tillOps.deps, hotlist });
  const roles = new TillRoles({
    policyRoles: () => policies.policy()?.roles,
    configRoles: config.roles,
    onUngranted: (asked) =>
      log.warn({ asked }, "config roles: asks for permissions the chain's policy does not grant; not granted"),
  });
  const sessions = new OperatorSessions(config.operators, config.api.idleTimeoutMs, now, roles);
  hqOperators.onChange((doc) => {
    const { shadowed, ended } = sessions.setHqOperators(doc.operators);
    log.info({ version: doc.version, shadowed, sessionsEnded: ended }, "head office's operators in force");
  });
  warnIfOpenTill({ loginRequired: sessions.loginRequired, token: config.api.token, host: config.api.host }, log);
  // Sessions from before a restart, once the roster (config + head office's stored) is known.
  const { store: sessionStore, stored } = await SessionStore.open(
    config.terminal.dataDir,
    log.child({ c: "sessions" }),
    deps.fs,
  );
  sessions.persist = (list) => sessionStore.save(list);
  log.info(sessions.restore(stored), "operator sessions from before the restart");
  const events = new EventHub(now, timers);
  const today = () => businessDay(now(), live.current.terminal.timeZone);
  const reloader = new ConfigReloader({
    file: config.source,
    target: reloadTarget({ live, decider, sales, sessions, receipts, readers, receiptWaitMs, now, log }),
    now,
    log: log.child({ c: "reload" }),
    onReport: (report) => metrics.countReload(report),
  });
  // A day's entries rebuilt from the journal (pending read before the archive: an ack racing it loses nothing).
  const { entriesOf } = closeSource(ledger, archive);

  const status = () => ({
    version: AGENT_VERSION,
    terminalId,
    journal: { ...ledger.summary(), integrity: ledger.checkIntegrity(), ...uploader.status() },
    broker: link.status(),
    server: { lastContactAt: isoOrNull(ledger.lastContactAt()), ...link.serverView() },
    policy: policies.versions(),
    operators: { version: hqOperators.version(), loginRequired: sessions.loginRequired },
    readers: readers.map((r) => r.status()),
    printer: { ...receipts.monitor.current(), queue: receipts.queue.status() },
    offlineExposure: ledger.offlineExposure(),
    config: { file: config.source },
    reload: reloader.last(),
  });

  const heartbeat = new HeartbeatPublisher(
    link,
    terminalId,
    {
      pending: () => ledger.pending().length,
      versions: () => policies.versions(),
      operatorsVersion: () => hqOperators.version(),
      devices: deviceStates,
      integrity: () => ledger.checkIntegrity(),
    },
    { intervalMs: deps.heartbeatMs ?? 30_000, now, timers, log: log.child({ c: "heartbeat" }) },
  );

  for (const reader of readers) await reader.start();
  holds?.resolveLeftOver();
  link.start();
  heartbeat.start();
  const selfTest = (doctor?: SelfTestDoctorRow[]) =>
    receipts.queue.submit({
      template: "self-test",
      data: {
        ...selfTestData({
          config: live.current,
          version: AGENT_VERSION,
          at: now(),
          readers: readers.map((r) => ({ id: r.id, type: r.type, state: r.status().state })),
          brokerConnected: link.status().connected,
          lastContactAt: isoOrNull(ledger.lastContactAt()),
          journalPending: ledger.pending().length,
          receiptsQueued: receipts.queue.status().pending,
        }),
        ...(doctor ? { doctor } : {}),
      },
    });
  // Read at each request, so a reloaded token or default operator holds from the next one.
  const apiAuth = {
    get token() {
      return live.current.api.token;
    },
    host: config.api.host,
    sessions,
    get defaultOperatorId() {
      return live.current.terminal.operatorId;
    },
  };
  const routes: string[] = [];
  const api = buildApi({
    sales,
    auth: apiAuth,
    events,
    till: { ops: tillOps, entriesOf, today, ackedSeq: () => ledger.summary().ackedSeq },
    cards: { cards: cardOps },
    routes,
    extend: (app) => {
      cardTypeRoutes(app, { policy: () => policies.policy() });
      // A member by phone or number, a card by a tap: the card a card operation is on.
      registerFindRoutes(app, { auth: apiAuth, till: tillOps.deps, hotlist });
      tapRoutes(app, { taps, auth: apiAuth }); // the console's 取消 of a tap wait
      registerConsoleRoutes(app, {
        get apiToken() {
          return live.current.api.token;
        },
        get language() {
          return live.current.terminal.language;
        },
        // One clock at the till: the console shows the store's time, as receipts and the close do.
        get timeZone() {
          return live.current.terminal.timeZone;
        },
        get tapTimeoutMs() {
          return live.current.tapTimeoutMs;
        },
        get previewDir() {
          const p = live.current.printer;
          return p.type === "preview" ? p.previewDir : undefined;
        },
      });
      registerMetricsRoute(app, { render: () => metrics.render(), token: () => live.current.api.token });
      app.register(async (scope) => {
        // The daily close is a supervisor's (permissions.ts).
        scope.addHook("preHandler", async (req) => {
          operatorFor(req, apiAuth, "close");
        });
        registerCloseRoutes(scope, {
          entriesOf,
          ackedSeq: () => ledger.summary().ackedSeq,
          terminalId,
          today,
          get storeName() {
            return live.current.terminal.storeName;
          },
          now,
          print: (data) => receipts.queue.submit({ template: "daily-close", data }),
          operatorOf: (req) => operatorFor(req, apiAuth, "close"),
        });
      });
    },
    status,
    receipts: { queue: receipts.queue, selfTest },
    version: AGENT_VERSION,
    log: log.child({ c: "api" }),
  });
  const url = await api.listen({ host: config.api.host, port: config.api.port });
  log.info({ url, terminalId }, "agent ready");
  const deviceWatch = timers
    .setInterval(
      () => events.devices({ ...deviceStates(), broker: link.status().connected ? "connected" : "disconnected" }),
      1_000,
    )
    .unref();

  let closed = false;
  return {
    url,
    sales,
    ledger,
    link,
    readers,
    receipts,
    status,
    routes,
    config: () => live.current,
    reload: (trigger = "api") => reloader.reload(trigger),
    lastReload: () => reloader.last(),
    metrics,
    hqOperators,
    roles,
    async close() {
      if (closed) return;
      closed = true;
      timers.clearInterval(deviceWatch);
      await reloader.close();
      await api.close();
      heartbeat.close();
      uploader.close();
      holds?.close();
      await link.close();
      await Promise.all(readers.map((r) => r.close()));
      receipts.queue.close();
      await receipts.monitor.stop();
      await printer.close();
      await receipts.queue.idle();
      await ledger.flushCards().catch((err: Error) => log.warn({ err: err.message }, "card cache not flushed"));
      sessionStore.save(sessions.snapshot()); // exact last uses, so the idle time-out goes on where it was
      await sessionStore.flush();
      await intentLog?.close();
      await ledger.close();
    },
  };
}

function isoOrNull(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString();
}
