/**
 * Loads the technician's YAML into an AgentConfig, or refuses with ONE error that lists
 * every problem at once, each with file, line, column and key (docs/config.md): a
 * technician on site fixes the whole file in one pass instead of one typo per restart.
 *
 * Order: YAML syntax (CT_CONFIG_YAML) → schema (unknown keys, types, enums, required)
 * plus value checks (amounts, durations, secrets, regexes, ids) → defaults filled.
 * Nothing is coerced: "9600" is not 9600, and 0.1 is read from its source text.
 */
import { readFileSync } from "node:fs";
import { readFile as readFileAsync } from "node:fs/promises";
import { dirname, isAbsolute, resolve } from "node:path";
import { CardtermError } from "../protocol/errors.js";
import type { AgentConfig, ConfigRoles, PcscReaderConfig, ReaderConfig } from "./agent-config.js";
import { buildPrinter, PRINTER_DEFAULTS } from "./build-printer.js";
import { bringUpToDate } from "./config-version.js";
import { devicePathProblems, type Stat } from "./device-checks.js";
import { CONFIG_MIGRATIONS, CONFIG_VERSION, type ConfigMigration } from "./migrations/index.js";
import { byPosition, type ConfigProblem, onePerPath } from "./problems.js";
import { refuse } from "./refuse.js";
import type { ConfigFile, ConfigFileReader } from "./schema.js";
import { schemaProblems } from "./schema-problems.js";
import { type CheckedValues, checkValues, type ValueCheckResult } from "./value-checks.js";
import { readYaml, type YamlSource } from "./yaml-source.js";

export type { ConfigProblem } from "./problems.js";
export { formatProblems } from "./problems.js";

export interface LoadConfigOptions {
  /** Where { env: NAME } secrets are looked up. Default process.env. */
  env?: NodeJS.ProcessEnv;
  /** Reads the config file and { file: PATH } secrets. Default fs.readFileSync. */
  readFile?: (path: string) => Buffer | string;
  /**
   * Relative paths (dataDir, key file, previewDir) resolve against this directory.
   * Default: the config file's directory. The demo passes the working directory.
   */
  baseDir?: string;
  /** Told when an older config format was converted in memory. Default: process.emitWarning. */
  onWarning?: (message: string) => void;
  /** The migration chain; the real one (config/migrations/index.ts) unless a test gives its own. */
  migrations?: readonly ConfigMigration[];
}

/** Offline limits as commercial terminals ship them, and the rest (docs/config.md lists them). */
export const CONFIG_DEFAULTS = {
  language: "zh-CN",
  timeZone: "Asia/Shanghai",
  operatorId: "001",
  api: { host: "127.0.0.1", port: 7070, token: null, idleTimeoutMs: 15 * 60_000 },
  readers: [{ id: "sim", type: "simulated" }],
  serial: {
    baudRate: 9600,
    dataBits: 8,
    parity: "none",
    stopBits: 1,
    delimiter: "\r\n",
    format: "decimal",
    debounceMs: 1500,
  },
  pcsc: { identity: "uid", feedback: true, keyType: "A", length: 16, debounceMs: 1500 },
  wedge: { format: "decimal", technology: "id", uidByteOrder: "msbFirst", grab: true, debounceMs: 1500 },
  printer: PRINTER_DEFAULTS,
  authTimeoutMs: 2000,
  uploadBatchSize: 100,
  offline: {
    enabled: true,
    perTransactionMinor: 30_000,
    perCardMinor: 50_000,
    perCardCount: 5,
    terminalMinor: 300_000,
    terminalCount: 300,
    maxOfflineAgeMs: 24 * 3_600_000,
    allowUnknownCards: false,
  },
  tapTimeoutMs: 30_000,
  archiveDays: 90,
} as const;

/** Where each loaded config came from, so checkDevicePaths can point at lines. */
const origins = new WeakMap<AgentConfig, { src: YamlSource; data: unknown }>();

/** Read and load a config file. Throws CT_CONFIG_NOT_FOUND, CT_CONFIG_YAML or CT_CONFIG_INVALID. */
export async function loadConfig(file: string, opts: LoadConfigOptions = {}): Promise<AgentConfig> {
  let text: string;
  try {
    const raw = opts.readFile ? opts.readFile(file) : await readFileAsync(file);
    text = typeof raw === "string" ? raw : raw.toString("utf8");
  } catch (err) {
    const why = (err as NodeJS.ErrnoException)?.code === "ENOENT" ? "no such file" : (err as Error).message;
    const problem: ConfigProblem = { file, line: 1, column: 1, path: "", message: `cannot read ${file}: ${why}` };
    throw new CardtermError("CT_CONFIG_NOT_FOUND", `cannot read the configuration file ${file}: ${why}`, {
      cause: err,
      details: { file, problems: [problem] },
    });
  }
  return parseConfigText(text, file, opts);
}

/** Load config text (sync; `source` names it in messages and anchors relative paths). */
export function parseConfigText(text: string, source: string, opts: LoadConfigOptions = {}): AgentConfig {
  const r = examineConfigText(text, source, opts);
  if (r.problems.length > 0) refuse("CT_CONFIG_INVALID", source, r.problems);
  const config = build(r.data as ConfigFile, r.checked.values, r.baseDir, source);
  origins.set(config, { src: r.src, data: r.data });
  return config;
}

export interface Examined {
  src: YamlSource;
  data: unknown;
  checked: ValueCheckResult;
  baseDir: string;
  /** Every schema and value problem, one per path, in file order. */
  problems: ConfigProblem[];
}

/**
 * Everything short of building the config: YAML syntax and the version (thrown: nothing
 * else can be judged without them), then every schema and value problem (returned).
 * `lookups: false` leaves secrets and files named by the config unread (a copy checked on
 * another computer).
 */
export function examineConfigText(
  text: string,
  source: string,
  opts: LoadConfigOptions & { lookups?: boolean } = {},
): Examined {
  const src = readYaml(text, source);
  if (src.syntaxProblems.length > 0) refuse("CT_CONFIG_YAML", source, src.syntaxProblems);
  const warning = bringUpToDate(src, opts.migrations ?? CONFIG_MIGRATIONS);
  if (warning !== undefined) (opts.onWarning ?? defaultWarning)(warning);
  let data: unknown;
  try {
    data = src.doc.toJS({ maxAliasCount: 100 });
  } catch (err) {
    refuse("CT_CONFIG_YAML", source, [src.problem([], `YAML cannot be read: ${(err as Error).message}`)]);
  }
  if (data === null || data === undefined) {
    refuse("CT_CONFIG_INVALID", source, [
      src.problem([], "the file is empty; it needs at least terminal: and server:"),
    ]);
  }
  const baseDir = resolve(opts.baseDir ?? dirname(resolve(source)));
  const io = {
    env: opts.env ?? process.env,
    readFile: opts.readFile ?? ((p: string) => readFileSync(p)),
    baseDir,
    lookups: opts.lookups ?? true,
  };
  const checked = checkValues(data, src, io);
  // `version` was judged by bringUpToDate; the schema's `const` would only repeat it.
  const owned = new Set([...checked.owned, "version"]);
  const fromSchema = schemaProblems(data, src).filter((p) => !owned.has(p.path));
  const problems = onePerPath([...fromSchema, ...checked.problems]).sort(byPosition);
  return { src, data, checked, baseDir, problems };
}

/** Without a listener, a converted old file is reported on stderr (journald keeps it). */
function defaultWarning(message: string): void {
  process.emitWarning(message, { code: "CT_CONFIG_OLD_VERSION" });
}

/**
 * Serial device paths that are not there now. Not a load error (a reader may be plugged
 * in after start); `cardterm config check` and the doctor report these.
 */
export function checkDevicePaths(config: AgentConfig, stat?: Stat): ConfigProblem[] {
  const origin = origins.get(config);
  if (origin === undefined) return [];
  return devicePathProblems(origin.data, origin.src, stat);
}

function build(f: ConfigFile, v: CheckedValues, baseDir: string, source: string): AgentConfig {
  const D = CONFIG_DEFAULTS;
  const abs = (p: string) => (isAbsolute(p) ? p : resolve(baseDir, p));
  const ms = (path: string, def: number) => v.durations.get(path) ?? def;
  const minor = (path: string, def: number) => v.amounts.get(path) ?? def;
  const dataDir = abs(f.terminal.dataDir);
  const o = f.offline ?? {};
  return {
    source,
    version: CONFIG_VERSION,
    terminal: {
      id: f.terminal.id,
      storeId: f.terminal.storeId ?? "",
      storeName: f.terminal.storeName ?? "",
      key: v.key!,
      dataDir,
      language: f.terminal.language ?? D.language,
      timeZone: v.timeZone ?? D.timeZone,
      operatorId: f.terminal.operatorId ?? D.operatorId,
    },
    api: {
      host: f.api?.host ?? D.api.host,
      port: f.api?.port ?? D.api.port,
      token: v.apiToken ?? null,
      idleTimeoutMs: ms("api.idleTimeout", D.api.idleTimeoutMs),
    },
    operators: (f.operators ?? []).map((o) => ({ ...o })),
    // The schema allowed only known roles and permission names (config/schema.ts).
    ...(f.roles === undefined ? {} : { roles: { ...(f.roles as ConfigRoles) } }),
    readers: (f.readers ?? D.readers.map((r) => ({ ...r }))).map((r, i) => buildReader(r, i, ms, v)),
    printer: buildPrinter(f.printer, v, dataDir, abs),
    server: {
      mqttUrl: f.server.mqttUrl,
      ...(f.server.username === undefined ? {} : { username: f.server.username }),
      ...(v.password === undefined ? {} : { password: v.password }),
      authTimeoutMs: ms("server.authTimeout", D.authTimeoutMs),
      uploadBatchSize: f.server.uploadBatchSize ?? D.uploadBatchSize,
      ...(f.server.tls === undefined ? {} : { tls: buildTls(f.server.tls, abs) }),
    },
    offline: {
      enabled: o.enabled ?? D.offline.enabled,
      perTransactionMinor: minor("offline.perTransaction", D.offline.perTransactionMinor),
      perCardMinor: minor("offline.perCard", D.offline.perCardMinor),
      perCardCount: o.perCardCount ?? D.offline.perCardCount,
      terminalMinor: minor("offline.terminalTotal", D.offline.terminalMinor),
      terminalCount: o.terminalCount ?? D.offline.terminalCount,
      maxOfflineAgeMs: ms("offline.maxAge", D.offline.maxOfflineAgeMs),
      allowUnknownCards: o.allowUnknownCards ?? D.offline.allowUnknownCards,
    },
    tapTimeoutMs: ms("tapTimeout", D.tapTimeoutMs),
    archiveDays: f.archiveDays ?? D.archiveDays,
  };
}

/** server.tls as absolute file paths (the link reads them at start). */
function buildTls(tls: NonNullable<ConfigFile["server"]["tls"]>, abs: (p: string) => string) {
  return {
    ...(tls.ca ? { caFile: abs(tls.ca.file) } : {}),
    ...(tls.cert ? { certFile: abs(tls.cert.file) } : {}),
    ...(tls.key ? { keyFile: abs(tls.key.file) } : {}),
  };
}

function buildReader(
  r: ConfigFileReader,
  i: number,
  ms: (path: string, def: number) => number,
  v: CheckedValues,
): ReaderConfig {
  if (r.type === "simulated") return { id: r.id, type: "simulated" };
  if (r.type === "pcsc") return buildPcscReader(r, i, ms, v);
  if (r.type === "keyboard-wedge") {
    const W = CONFIG_DEFAULTS.wedge;
    return {
      id: r.id,
      type: "keyboard-wedge",
      path: r.path!,
      format: r.format ?? W.format,
      ...(r.pattern === undefined ? {} : { pattern: r.pattern }),
      technology: r.technology ?? W.technology,
      uidByteOrder: r.uidByteOrder ?? W.uidByteOrder,
      grab: r.grab ?? W.grab,
      debounceMs: ms(`readers[${i}].debounce`, W.debounceMs),
    };
  }
  const S = CONFIG_DEFAULTS.serial;
  return {
    id: r.id,
    type: "serial-id",
    path: r.path!,
    baudRate: r.baudRate ?? S.baudRate,
    dataBits: r.dataBits ?? S.dataBits,
    parity: r.parity ?? S.parity,
    stopBits: r.stopBits ?? S.stopBits,
    delimiter: r.delimiter ?? S.delimiter,
    format: r.format ?? S.format,
    ...(r.pattern === undefined ? {} : { pattern: r.pattern }),
    debounceMs: ms(`readers[${i}].debounce`, S.debounceMs),
  };
}

function buildPcscReader(
  r: ConfigFileReader,
  i: number,
  ms: (path: string, def: number) => number,
  v: CheckedValues,
): PcscReaderConfig {
  const P = CONFIG_DEFAULTS.pcsc;
  const m = r.memberNumber;
  return {
    id: r.id,
    type: "pcsc",
    ...(r.readerName === undefined ? {} : { readerName: r.readerName }),
    ...(r.aid === undefined ? {} : { aid: r.aid.toUpperCase() }),
    identity: r.identity ?? P.identity,
    ...(m === undefined
      ? {}
      : {
          memberNumber: {
            sector: m.sector,
            block: m.block,
            keyType: m.keyType ?? P.keyType,
            key: v.readerKeys.get(`readers[${i}]`)!,
            encoding: m.encoding,
            length: m.length ?? P.length,
            technology: m.technology,
          },
        }),
    feedback: r.feedback ?? P.feedback,
    debounceMs: ms(`readers[${i}].debounce`, P.debounceMs),
  };
}
