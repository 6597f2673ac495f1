/**
 * The agent, assembled: one function that wires config, ledger, devices, link and API,
 * with every side effect (clock, ids, file system, logger) injectable, and one `close`
 * that stops it all in reverse order.
 */
import { randomUUID } from "node:crypto";
import { mkdir } from "node:fs/promises";
import type { AgentConfig } from "../config/agent-config.js";
import { createPrinter } from "../drivers/printer/create-printer.js";
import type { ReceiptPrinter } from "../drivers/printer/receipt-printer.js";
import type { CardReader } from "../drivers/readers/card-reader.js";
import { topics } from "../protocol/topics.js";
import { buildApi } from "./api/http-api.js";
import { JournalArchive } from "./journal/journal-archive.js";
import { TerminalLedger } from "./journal/terminal-ledger.js";
import { createLogger, type Logger } from "./logger.js";
import { createReader } from "./readers/create-reader.js";
import { businessDay } from "./sale/business-day.js";
import { Decider, deciderSettings } from "./sale/decider.js";
import { SaleService } from "./sale/sale-service.js";
import { TapSource } from "./sale/tap-source.js";
import type { DurableFs } from "./store/durable-file.js";
import { AuthClient } from "./sync/auth-client.js";
import { HeartbeatPublisher } from "./sync/heartbeat.js";
import { JournalUploader } from "./sync/journal-uploader.js";
import { MqttLink } from "./sync/mqtt-link.js";
import { PolicyCache } from "./sync/policy-cache.js";
import { AGENT_VERSION } from "./version.js";

/** How long acknowledged entries stay on the box for reports (the server keeps them for good). */
export const ARCHIVE_KEEP_DAYS = 90;

export interface AgentDeps {
  now?: () => number;
  newTxnId?: () => string;
  log?: Logger;
  fs?: DurableFs;
  /** Reconnect backoff for the broker link (tests use short ones). */
  backoff?: { baseMs: number; capMs: number };
  ackTimeoutMs?: number;
  heartbeatMs?: number;
}

export interface RunningAgent {
  /** The API's base URL, e.g. http://127.0.0.1:7070. */
  url: string;
  sales: SaleService;
  ledger: TerminalLedger;
  link: MqttLink;
  readers: CardReader[];
  status(): Record<string, unknown>;
  close(): Promise<void>;
}

export async function startAgent(config: AgentConfig, deps: AgentDeps = {}): Promise<RunningAgent> {
  const now = deps.now ?? Date.now;
  const log = deps.log ?? createLogger({ name: "cardterm" });
  const terminalId = config.terminal.id;
  await mkdir(config.terminal.dataDir, { recursive: true });

  const archive = new JournalArchive(`${config.terminal.dataDir}/archive`, ARCHIVE_KEEP_DAYS);
  const ledger = await TerminalLedger.open({
    dataDir: config.terminal.dataDir,
    terminalId,
    key: config.terminal.key,
    fs: deps.fs,
    archive,
  });
  await archive.prune(businessDay(now(), config.terminal.timeZone));
  const integrity = ledger.checkIntegrity();
  if (!integrity.ok) log.error({ problem: integrity.problem }, "CT_JOURNAL_CORRUPT: approvals are refused");
  const policies = await PolicyCache.open(config.terminal.dataDir, log.child({ c: "policy" }), deps.fs);

  const link = new MqttLink({
    url: config.server.mqttUrl,
    terminalId,
    username: config.server.username,
    password: config.server.password,
    subscriptions: [topics.ack(terminalId), topics.authReply(terminalId), topics.policy(), topics.hotlist()],
    log: log.child({ c: "mqtt" }),
    now,
    backoff: deps.backoff,
  });
  const contact = () => ledger.noteContact(now());
  const auth = new AuthClient(link, terminalId, log.child({ c: "auth" }), contact);
  const uploader = new JournalUploader(link, ledger, {
    terminalId,
    batchSize: config.server.uploadBatchSize,
    ackTimeoutMs: deps.ackTimeoutMs ?? 10_000,
    now,
    log: log.child({ c: "sync" }),
  });
  policies.attach(link);

  const readers = config.readers.map((r) => createReader(r, now, log));
  const printer: ReceiptPrinter = createPrinter(config.printer, {
    language: config.terminal.language,
    now,
    log: log.child({ c: "printer" }),
  });
  const taps = new TapSource(readers, log.child({ c: "readers" }));
  const decider = new Decider({
    terminalId,
    ledger,
    online: auth,
    policy: () => policies.policy(),
    hotlist: () => policies.hotlist(),
    now,
    log: log.child({ c: "decide" }),
    settings: deciderSettings(config),
  });
  const sales = new SaleService({
    decider,
    taps,
    printer,
    policy: () => policies.policy(),
    newTxnId: deps.newTxnId ?? randomUUID,
    afterCommit: () => uploader.kick(),
    log: log.child({ c: "sale" }),
    settings: {
      storeName: config.terminal.storeName,
      terminalId,
      operatorId: config.terminal.operatorId,
      tapTimeoutMs: config.tapTimeoutMs,
      language: config.terminal.language,
      paperWidth: config.printer.type === "none" ? 80 : config.printer.paperWidth,
      timeZone: config.terminal.timeZone,
    },
  });

  const status = () => ({
    version: AGENT_VERSION,
    terminalId,
    journal: { ...ledger.summary(), integrity: ledger.checkIntegrity(), ...uploader.status() },
    broker: link.status(),
    server: { lastContactAt: isoOrNull(ledger.lastContactAt()) },
    policy: policies.versions(),
    readers: readers.map((r) => r.status()),
    printer: printer.status(),
    offlineExposure: ledger.offlineExposure(),
  });

  const heartbeat = new HeartbeatPublisher(
    link,
    terminalId,
    {
      pending: () => ledger.pending().length,
      versions: () => policies.versions(),
      devices: () => ({
        ...Object.fromEntries(readers.map((r) => [`reader:${r.id}`, r.status().state])),
        [`printer:${printer.id}`]: printer.status().state,
      }),
    },
    { intervalMs: deps.heartbeatMs ?? 30_000, now, log: log.child({ c: "heartbeat" }) },
  );

  for (const reader of readers) await reader.start();
  link.start();
  heartbeat.start();
  const api = buildApi({ sales, status, version: AGENT_VERSION, log: log.child({ c: "api" }) });
  const url = await api.listen({ host: config.api.host, port: config.api.port });
  log.info({ url, terminalId }, "agent ready");

  let closed = false;
  return {
    url,
    sales,
    ledger,
    link,
    readers,
    status,
    async close() {
      if (closed) return;
      closed = true;
      await api.close();
      heartbeat.close();
      uploader.close();
      await link.close();
      await Promise.all(readers.map((r) => r.close()));
      await printer.close();
      await ledger.flushCards().catch((err: Error) => log.warn({ err: err.message }, "card cache not flushed"));
    },
  };
}

function isoOrNull(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString();
}
