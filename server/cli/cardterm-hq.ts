#!/usr/bin/env node
/**
 * cardterm-hq — the central server's command line.
 *
 *   cardterm-hq run --mqtt-url URL [--database-url URL | --data-dir DIR]
 *                   [--mqtt-ca FILE [--mqtt-cert FILE --mqtt-key FILE]]
 *                   [--client-id ID] [--shared-group NAME] [--seed-demo --terminal T001:<keyhex> …]
 *   cardterm-hq card <cardId> [--database-url URL | --data-dir DIR] [--json]
 *   cardterm-hq terminal add <id> [--store S] [--password-file FILE] [--mqtt-url URL]
 *                   [--tls-ca PATH-ON-BOX] [--force] [--json] [--database-url URL | --data-dir DIR]
 *
 * DATABASE_URL, CARDTERM_HQ_MQTT_URL, CARDTERM_HQ_MQTT_USERNAME, CARDTERM_HQ_MQTT_PASSWORD and
 * CARDTERM_HQ_MQTT_CA / _CERT / _KEY stand in for the options (the password only from the
 * environment: argv is world-readable).
 * Errors go to stderr with their code; the exit status is 2 for a usage error, 1 otherwise.
 */
import { parseArgs } from "node:util";
import { CardtermError, isCardtermError } from "../../protocol/errors.js";
import { formatMoney } from "../../protocol/money.js";
import { isTerminalId } from "../../protocol/topics.js";
import { openDb } from "../db/open-db.js";
import { startHqServer } from "../hq-server.js";
import { getCard } from "../ledger/queries.js";
import type { DemoTerminal } from "../ledger/seed-demo.js";
import { upsertPasswordFile } from "../provision/mosquitto-passwd.js";
import { configSnippet, type ProvisionedTerminal, provisionTerminal } from "../provision/provision-terminal.js";

const USAGE = `usage:
  cardterm-hq run --mqtt-url URL [--database-url URL | --data-dir DIR] [--client-id ID]
                  [--mqtt-ca FILE [--mqtt-cert FILE --mqtt-key FILE]]
                  [--shared-group NAME] [--seed-demo --terminal T001:<keyhex> ...]
  cardterm-hq card <cardId> [--database-url URL | --data-dir DIR] [--json]
  cardterm-hq terminal add <id> [--store S] [--password-file FILE] [--mqtt-url URL]
                  [--tls-ca PATH-ON-BOX] [--force] [--json] [--database-url URL | --data-dir DIR]`;

const OPTIONS = {
  "mqtt-url": { type: "string" },
  "mqtt-username": { type: "string" },
  "mqtt-ca": { type: "string" },
  "mqtt-cert": { type: "string" },
  "mqtt-key": { type: "string" },
  store: { type: "string" },
  "password-file": { type: "string" },
  "tls-ca": { type: "string" },
  force: { type: "boolean" },
  "database-url": { type: "string" },
  "data-dir": { type: "string" },
  "client-id": { type: "string" },
  "shared-group": { type: "string" },
  "seed-demo": { type: "boolean" },
  terminal: { type: "string", multiple: true },
  json: { type: "boolean" },
  help: { type: "boolean", short: "h" },
} as const;

type Values = ReturnType<typeof parse>["values"];

function parse(argv: string[]) {
  try {
    return parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
  } catch (err) {
    throw usage((err as Error).message);
  }
}

function usage(message: string): CardtermError {
  return new CardtermError("CT_CONFIG_INVALID", `${message}\n${USAGE}`, { details: { usage: true } });
}

function dbOptions(v: Values) {
  const databaseUrl = v["database-url"] ?? process.env.DATABASE_URL;
  if (databaseUrl && v["data-dir"]) throw usage("give either --database-url (or DATABASE_URL) or --data-dir, not both");
  return { databaseUrl: databaseUrl || undefined, dataDir: v["data-dir"] };
}

function parseTerminal(spec: string): DemoTerminal {
  const i = spec.indexOf(":");
  const id = spec.slice(0, i);
  if (i < 0 || !isTerminalId(id))
    throw usage(`--terminal ${JSON.stringify(spec)}: expected ID:KEYHEX, e.g. T001:00ff…`);
  return { id, keyHex: spec.slice(i + 1) };
}

async function run(v: Values): Promise<void> {
  const mqttUrl = v["mqtt-url"] ?? process.env.CARDTERM_HQ_MQTT_URL;
  if (!mqttUrl) throw usage("run needs --mqtt-url (or CARDTERM_HQ_MQTT_URL)");
  const terminals = (v.terminal ?? []).map(parseTerminal);
  if (terminals.length > 0 && !v["seed-demo"]) throw usage("--terminal is only used with --seed-demo");
  const server = await startHqServer({
    mqttUrl,
    mqttUsername: v["mqtt-username"] ?? process.env.CARDTERM_HQ_MQTT_USERNAME,
    mqttPassword: process.env.CARDTERM_HQ_MQTT_PASSWORD,
    mqttTls: tlsFiles(v),
    ...dbOptions(v),
    clientId: v["client-id"] ?? "cardterm-hq",
    sharedGroup: v["shared-group"],
    seedDemo: v["seed-demo"] ? { terminals } : undefined,
  });
  await new Promise<void>((resolve) => {
    const stop = (signal: NodeJS.Signals) => {
      process.once(signal, () => process.exit(130)); // a second signal: stop now
      resolve();
    };
    process.once("SIGINT", stop);
    process.once("SIGTERM", stop);
  });
  await server.close();
}

function tlsFiles(v: Values) {
  const caFile = v["mqtt-ca"] ?? process.env.CARDTERM_HQ_MQTT_CA;
  const certFile = v["mqtt-cert"] ?? process.env.CARDTERM_HQ_MQTT_CERT;
  const keyFile = v["mqtt-key"] ?? process.env.CARDTERM_HQ_MQTT_KEY;
  if (Boolean(certFile) !== Boolean(keyFile)) throw usage("--mqtt-cert and --mqtt-key go together");
  return caFile || certFile ? { caFile, certFile, keyFile } : undefined;
}

/** `terminal add`: key, registration, broker credentials, and the technician's config snippet. */
async function terminalAdd(v: Values, id: string | undefined): Promise<void> {
  if (!isTerminalId(id)) throw usage(`terminal add needs a terminal id (letters, digits, _ and -), e.g. T001`);
  const opts = dbOptions(v);
  if (!opts.databaseUrl && !opts.dataDir)
    throw usage("terminal add needs --data-dir or --database-url (or DATABASE_URL)");
  const mqttUrl = v["mqtt-url"] ?? process.env.CARDTERM_HQ_MQTT_URL ?? "mqtts://mqtt.example.com:8883";
  const db = await openDb(opts);
  let t: ProvisionedTerminal;
  try {
    t = await provisionTerminal(db, { terminalId: id, storeId: v.store, force: v.force });
  } finally {
    await db.close();
  }
  const file = v["password-file"];
  if (file) await upsertPasswordFile(file, t.passwdLine);
  if (v.json) {
    console.log(JSON.stringify({ ...t, passwordFile: file ?? null }));
    return;
  }
  const broker = file
    ? `# Broker: credentials for ${t.username} written to ${file}; reload Mosquitto (systemctl reload mosquitto, or kill -HUP its pid).`
    : `# Broker: add this line to Mosquitto's password_file, then reload Mosquitto:\n#   ${t.passwdLine}`;
  console.log(`${broker}\n${configSnippet(t, { mqttUrl, caFile: v["tls-ca"] })}`);
}

async function card(v: Values, cardId: string | undefined): Promise<void> {
  if (!cardId) throw usage("card needs a card id, e.g. cardterm-hq card ic:04A1B2C3 --data-dir var/hq");
  const opts = dbOptions(v);
  if (!opts.databaseUrl && !opts.dataDir) throw usage("card needs --data-dir or --database-url (or DATABASE_URL)");
  const db = await openDb(opts);
  try {
    const snap = await getCard(db, cardId);
    if (!snap) throw new CardtermError("CT_NOT_FOUND", `card ${cardId} is not in the ledger`);
    if (v.json) console.log(JSON.stringify(snap));
    else
      console.log(
        `${snap.cardId}  ${snap.memberName}  ${snap.cardType}  ${snap.status}  balance ${formatMoney(snap.balance)}  points ${snap.points}`,
      );
  } finally {
    await db.close();
  }
}

async function main(argv: string[]): Promise<void> {
  const { values, positionals } = parse(argv);
  const [command, ...rest] = positionals;
  if (values.help || !command) {
    console.log(USAGE);
    return;
  }
  if (command === "run" && rest.length === 0) return run(values);
  if (command === "card" && rest.length <= 1) return card(values, rest[0]);
  if (command === "terminal" && rest[0] === "add" && rest.length <= 2) return terminalAdd(values, rest[1]);
  throw usage(`unknown command or extra arguments: ${positionals.join(" ")}`);
}

main(process.argv.slice(2)).then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(`cardterm-hq: ${describeError(err)}`);
    process.exit(isCardtermError(err) && err.details?.usage ? 2 : 1);
  },
);

/** A CardtermError carries its code in the message; others show theirs (ECONNREFUSED…) and the stack. */
function describeError(err: unknown): string {
  if (isCardtermError(err)) return err.message;
  const e = err as { code?: unknown; stack?: string; message?: string };
  const code = typeof e?.code === "string" ? `${e.code}: ` : "";
  return `${code}${e?.stack ?? e?.message ?? String(err)}`;
}
