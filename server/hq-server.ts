/**
 * cardterm-hq: the central server — ledger of record, online authorisation and exactly-once
 * journal ingest over MQTT (docs/architecture.md#the-servers-ingest). Wires the database, the
 * ledger services and the MQTT link; everything it starts, close() stops.
 */

import { readFileSync } from "node:fs";
import { type Logger, pino } from "pino";
import type { Timers } from "../lib/timers.js";
import { DocWatch } from "./backoffice/doc-watch.js";
import { operatorDocuments } from "./backoffice/operator-docs.js";
import type { Db } from "./db/db.js";
import { openDb } from "./db/open-db.js";
import { checkHttpOptions, type HqHttp, type HqHttpOptions, startHqHttp } from "./http/hq-http.js";
import { recordAlerts } from "./ledger/alerts.js";
import { authorise, DEFAULT_HOLD_TTL_MS } from "./ledger/authorise.js";
import { HoldExpiry } from "./ledger/hold-expiry.js";
import { type HotlistRetention, hotlistDelta, hotlistDocument } from "./ledger/hotlist.js";
import { ingestBatch } from "./ledger/ingest.js";
import { currentPolicy } from "./ledger/policy-store.js";
import { type LedgerQueries, ledgerQueries } from "./ledger/queries.js";
import { type DemoTerminal, seedDemo } from "./ledger/seed-demo.js";
import { terminalKeyOf } from "./ledger/terminal-keys.js";
import { recordHeartbeat, recordPresence } from "./ledger/terminal-status.js";
import { connectHqLink, type HqLedger, type HqLink } from "./mqtt/hq-link.js";
import type { MemberLookupLimit } from "./till/lookup-limit.js";
import { handleMemberFind } from "./till/member-find.js";
import { handleTillOp } from "./till/till-ops.js";

export interface HqServerOptions {
  mqttUrl: string;
  mqttUsername?: string | undefined;
  mqttPassword?: string | undefined;
  /** For an mqtts:// broker: PEM files of the CA that signed its certificate, and this server's own certificate and key if the broker asks for one. */
  mqttTls?: { caFile?: string | undefined; certFile?: string | undefined; keyFile?: string | undefined } | undefined;
  /** PostgreSQL connection string; when set, PGlite is not used. */
  databaseUrl?: string | undefined;
  /** PGlite data directory; undefined (and no databaseUrl) = in memory. */
  dataDir?: string | undefined;
  /** An already-open, migrated database (tests); the server does not close it. */
  db?: Db | undefined;
  /**
   * Fixed per instance (default "cardterm-hq") so the broker keeps the persistent session
   * across restarts; a random id would leave an orphan session queueing every uplink.
   * Two instances on one broker need two ids (and `sharedGroup`).
   */
  clientId?: string | undefined;
  /** Split ingest between instances with `$share/<group>/` subscriptions (not supported by aedes). */
  sharedGroup?: string | undefined;
  reconnectPeriodMs?: number | undefined;
  connectTimeoutMs?: number | undefined;
  log?: Logger | undefined;
  seedDemo?: { terminals: DemoTerminal[] } | undefined;
  /** The head-office API (server/http/); off unless given. Host defaults to 127.0.0.1. */
  http?: HqHttpOptions | undefined;
  /** How often to look for a policy or hotlist changed by another process (a CLI, another instance); default 5 s. */
  docPollMs?: number | undefined;
  /** Hotlist deltas kept for terminals that are behind (ledger/hotlist.ts); pruned hourly. */
  hotlistRetention?: HotlistRetention | undefined;
  /** The business day of head-office top-ups is today in this zone (default: the server's). */
  timeZone?: string | undefined;
  /** Member lookups one till may make per rolling window (server/till/lookup-limit.ts); default 30 per 10 min. */
  memberLookupLimit?: MemberLookupLimit | undefined;
  /** Take unsealed messages from tills older than the seal check, while they are upgraded (docs/security.md); default false. */
  acceptUnsignedTills?: boolean | undefined;
  /** The clock till messages are judged fresh by and pings answered with (tests move it); default Date.now. */
  now?: (() => number) | undefined;
  /** The timers of the link, the document watch and the expiry job (lib/timers.ts); default Node's. */
  timers?: Timers | undefined;
  /** How long an online approval stays held without the till's word (ledger/holds.ts); default 15 min. */
  holdTtlMs?: number | undefined;
  /** How often the expiry job looks for holds past their deadline; default 1 min. */
  holdSweepMs?: number | undefined;
}

export interface HqServer {
  readonly db: Db;
  readonly ledger: LedgerQueries;
  /** The head-office API, when `http` was given. */
  readonly http: HqHttp | undefined;
  /** Publishes the current policy, hotlist and changed operators documents again (retained), e.g. after a back-office change. */
  republish(): Promise<void>;
  /** Till messages refused by the seal check, by reason, since start (docs/security.md). */
  messageRefusals(): Record<string, number>;
  /** Resolves when every MQTT message received so far has been handled and answered. */
  idle(): Promise<void>;
  /** Ends the MQTT client (after in-flight work), then the database. Safe to call twice. */
  close(): Promise<void>;
}

export async function startHqServer(opts: HqServerOptions): Promise<HqServer> {
  const log = opts.log ?? pino({ name: "cardterm-hq", level: process.env.LOG_LEVEL ?? "info" });
  // A config mistake is refused before anything is opened or connected.
  if (opts.http) checkHttpOptions(opts.http);
  const ownsDb = opts.db === undefined;
  const db = opts.db ?? (await openDb({ databaseUrl: opts.databaseUrl, dataDir: opts.dataDir }));
  let link: HqLink;
  let http: HqHttp | undefined;
  // TypeScript cannot see that the catch below may run before `link` is assigned.
  const linkOrUndefined = (): HqLink | undefined => link;
  let watch: DocWatch | undefined;
  let expiry: HoldExpiry | undefined;
  try {
    if (opts.seedDemo) await seedDemo(db, opts.seedDemo);
    link = await connectHqLink({
      url: opts.mqttUrl,
      clientId: opts.clientId ?? "cardterm-hq",
      username: opts.mqttUsername,
      password: opts.mqttPassword,
      sharedGroup: opts.sharedGroup,
      tls: opts.mqttTls && {
        ca: readPem(opts.mqttTls.caFile),
        cert: readPem(opts.mqttTls.certFile),
        key: readPem(opts.mqttTls.keyFile),
      },
      ...(opts.reconnectPeriodMs === undefined ? {} : { reconnectPeriodMs: opts.reconnectPeriodMs }),
      ...(opts.connectTimeoutMs === undefined ? {} : { connectTimeoutMs: opts.connectTimeoutMs }),
      ledger: ledgerOver(db, opts.memberLookupLimit, opts.holdTtlMs ?? DEFAULT_HOLD_TTL_MS),
      acceptUnsignedTills: opts.acceptUnsignedTills,
      ...(opts.now ? { now: opts.now } : {}),
      timers: opts.timers,
      log,
    });
    const docs = new DocWatch(db, link, log, {
      pollMs: opts.docPollMs,
      retention: opts.hotlistRetention,
      timers: opts.timers,
    });
    watch = docs;
    expiry = new HoldExpiry(db, log, { everyMs: opts.holdSweepMs, timers: opts.timers });
    if (opts.http) {
      http = await startHqHttp(opts.http, { db, published: () => docs.check(), log, timeZone: opts.timeZone });
    }
  } catch (err) {
    watch?.stop();
    expiry?.stop();
    await linkOrUndefined()
      ?.close()
      .catch(() => {});
    if (ownsDb) await db.close();
    throw err;
  }
  log.info({ db: db.kind, http: http?.url }, "cardterm-hq started");
  let closing: Promise<void> | undefined;
  return {
    db,
    ledger: ledgerQueries(db),
    http,
    republish: async () => {
      await Promise.all([link.publishPolicy(), link.publishHotlist(), link.publishOperators()]);
    },
    messageRefusals: () => link.messageRefusals(),
    idle: () => link.idle(),
    close: () => {
      closing ??= (async () => {
        await http?.close();
        watch?.stop();
        expiry?.stop();
        await link.close();
        if (ownsDb) await db.close();
        log.info("cardterm-hq stopped");
      })();
      return closing;
    },
  };
}

/** The terminal's applied journal point (read before the card: see TillOpReply), or undefined when it is not registered. */
async function ackedSeqOf(db: Db, terminalId: string): Promise<number | undefined> {
  const { rows } = await db.query<{ acked_seq: unknown }>("SELECT acked_seq FROM terminals WHERE id = $1", [
    terminalId,
  ]);
  return rows[0] ? Number(rows[0].acked_seq) : undefined;
}

function ledgerOver(db: Db, lookupLimit: MemberLookupLimit | undefined, holdTtlMs: number): HqLedger {
  return {
    ingest: (terminalId, batch) => ingestBatch(db, terminalId, batch),
    authorise: (req) => authorise(db, req, Date.now, holdTtlMs),
    tillOp: async (req) => {
      const appliedSeq = await ackedSeqOf(db, req.terminalId);
      if (appliedSeq === undefined) return undefined;
      // A member lookup under this server's limit; till-ops.ts would apply the default.
      const reply = req.op === "find" ? await handleMemberFind(db, req, lookupLimit) : await handleTillOp(db, req);
      return reply.ok ? { ...reply, appliedSeq } : reply;
    },
    presence: (terminalId, p) => recordPresence(db, terminalId, p),
    heartbeat: (terminalId, h) => recordHeartbeat(db, terminalId, h),
    terminalKey: (terminalId) => terminalKeyOf(db, terminalId),
    alert: (a) => recordAlerts(db, [a]),
    policy: () => currentPolicy(db),
    hotlist: () => hotlistDocument(db),
    hotlistDelta: (from, to) => hotlistDelta(db, from, to),
    operatorDocs: () => operatorDocuments(db),
  };
}

function readPem(file: string | undefined): Buffer | undefined {
  return file === undefined ? undefined : readFileSync(file);
}
