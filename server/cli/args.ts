/**
 * cardterm-hq's options, usage text and the helpers every command shares: the database
 * to open, who is acting, a PIN read from stdin (argv is world-readable), money parsed
 * from decimal text.
 */
import { existsSync } from "node:fs";
import { userInfo } from "node:os";
import { join } from "node:path";
import { type OptionSpec, UsageError } from "../../lib/cli/command-spec.js";
import { parseMoney } from "../../rules/money.js";
import type { Actor } from "../backoffice/actor.js";
import type { Db } from "../db/db.js";
import { openDb } from "../db/open-db.js";

/**
 * Every flag of cardterm-hq, declared once; each command of the table (hq-commands.ts)
 * names the ones it takes, so `--help` lists exactly those. A flag arrives in `Values` by
 * its long name; a `<value>` in its flags makes it text, `multiple` an array.
 */
export const OPTIONS = {
  "mqtt-url": {
    flags: "--mqtt-url <url>",
    help: "the broker, e.g. mqtts://mqtt.example.com:8883 (or CARDTERM_HQ_MQTT_URL)",
  },
  "mqtt-username": {
    flags: "--mqtt-username <name>",
    help: "the broker user (or CARDTERM_HQ_MQTT_USERNAME; the password only from CARDTERM_HQ_MQTT_PASSWORD)",
  },
  "mqtt-ca": { flags: "--mqtt-ca <file>", help: "CA certificate of the broker's TLS (or CARDTERM_HQ_MQTT_CA)" },
  "mqtt-cert": { flags: "--mqtt-cert <file>", help: "client certificate, with --mqtt-key (or CARDTERM_HQ_MQTT_CERT)" },
  "mqtt-key": { flags: "--mqtt-key <file>", help: "client key, with --mqtt-cert (or CARDTERM_HQ_MQTT_KEY)" },
  "http-port": { flags: "--http-port <n>", help: "serve the head-office API and back office on this port" },
  "http-host": { flags: "--http-host <addr>", help: "the API's address (default 127.0.0.1)" },
  "http-token-file": {
    flags: "--http-token-file <file>",
    help: "the API token, first line of FILE (or CARDTERM_HQ_HTTP_TOKEN)",
  },
  store: { flags: "--store <id>", help: "the store" },
  "password-file": {
    flags: "--password-file <file>",
    help: "Mosquitto's password_file: the till's credentials are written into it",
  },
  "tls-ca": { flags: "--tls-ca <path-on-box>", help: "the CA file's path on the till, for its config snippet" },
  force: { flags: "--force", help: "replace an existing terminal's key" },
  "database-url": {
    flags: "--database-url <url>",
    help: "PostgreSQL, e.g. postgres://cardterm@db/cardterm (or DATABASE_URL)",
  },
  "data-dir": { flags: "--data-dir <dir>", help: "an embedded ledger (PGlite) in DIR instead of PostgreSQL" },
  "client-id": { flags: "--client-id <id>", help: "MQTT client id (default cardterm-hq); unique per server instance" },
  "shared-group": { flags: "--shared-group <name>", help: "share the ingest with other instances through $share/NAME" },
  "seed-demo": { flags: "--seed-demo", help: "seed demo members, card types and the --terminal tills" },
  "member-lookups-per-10min": {
    flags: "--member-lookups-per-10min <n>",
    help: "member lookups per till per 10 minutes (default 30, 0 = no limit)",
  },
  "hold-ttl": {
    flags: "--hold-ttl <duration>",
    help: "how long an online approval the till never confirms stays held (default 15m)",
  },
  "accept-unsigned-tills": {
    flags: "--accept-unsigned-tills",
    help: "while upgrading: take unsealed messages from older tills (alerted; docs/security.md). Off by default",
  },
  terminal: { flags: "--terminal <id>", help: "a till (may be repeated)", multiple: true },
  json: { flags: "--json", help: "print JSON instead of a table" },
  actor: {
    flags: "--actor <name>",
    help: "who is acting, for the audit log (or CARDTERM_HQ_ACTOR; default the login name)",
  },
  id: { flags: "--id <memberId>", help: "the member number (default: the next free one)" },
  name: { flags: "--name <name>", help: "the member's or operator's name" },
  phone: { flags: "--phone <phone>", help: "the member's phone number" },
  birthday: { flags: "--birthday <MM-DD>", help: "the member's birthday" },
  member: { flags: "--member <memberId>", help: "an existing member (a new account)" },
  account: { flags: "--account <accountId>", help: "an existing account (another card on it)" },
  primary: { flags: "--primary <cardId>", help: "a sub-card of this primary card (shares its balance)" },
  type: { flags: "--type <cardType>", help: "the card type, e.g. gold" },
  "per-txn-limit": { flags: "--per-txn-limit <amount>", help: "a sub-card's limit per sale, e.g. 50.00, or none" },
  "daily-limit": { flags: "--daily-limit <amount>", help: "a sub-card's limit per day, e.g. 200.00, or none" },
  "pin-stdin": { flags: "--pin-stdin", help: "read the PIN from the first line of stdin (never on the command line)" },
  "new-card": { flags: "--new-card <cardId>", help: "the card that replaces it" },
  amount: { flags: "--amount <amount>", help: "the amount, e.g. 1000.00" },
  "txn-id": { flags: "--txn-id <id>", help: "the transaction id (hq-…): a repeat with the same id moves nothing" },
  day: { flags: "--day <YYYY-MM-DD>", help: "the business day (default today)" },
  note: { flags: "--note <text>", help: "why, for the audit log" },
  role: { flags: "--role <role>", help: "cashier, supervisor or technician" },
  query: { flags: "--query <text>", help: "part of a name, a phone number or a member number" },
  limit: { flags: "--limit <n>", help: "at most N rows (default 50)" },
  from: { flags: "--from <YYYY-MM-DD>", help: "first business day" },
  to: { flags: "--to <YYYY-MM-DD>", help: "last business day" },
  open: { flags: "--open", help: "only shortfalls not yet covered" },
  service: { flags: "--service <name>", help: "the service the package is for, e.g. 洗车" },
  uses: { flags: "--uses <n>", help: "how many uses" },
  expires: { flags: "--expires <YYYY-MM-DD>", help: "the last day it can be used" },
  price: { flags: "--price <amount>", help: "what the member paid for it, e.g. 200.00" },
  "package-id": { flags: "--package-id <id>", help: "the package id (default: made up)" },
  "card-uid": { flags: "--card-uid <uid>", help: "the operator's card, or none" },
} as const satisfies Record<string, OptionSpec>;

export type OptionName = keyof typeof OPTIONS;

type ValueOf<O> = O extends { multiple: true }
  ? string[]
  : O extends { flags: `${string}<${string}` }
    ? string
    : boolean;

/** The flags a command was given, by long name. */
export type Values = { [K in OptionName]?: ValueOf<(typeof OPTIONS)[K]> };

/** The ledger options every command but run takes. */
export const LEDGER_OPTIONS: readonly OptionName[] = ["database-url", "data-dir", "json", "actor"];

/** The table's option list for a command: these flags, with a help of their own where given. */
export function options(names: readonly OptionName[], help: Partial<Record<OptionName, string>> = {}): OptionSpec[] {
  return names.map((n) => ({ ...OPTIONS[n], help: help[n] ?? OPTIONS[n].help }));
}

/** A usage error: one line, the command's usage, exit status 2 (lib/cli/run-cli.ts). */
export function usage(message: string): UsageError {
  return new UsageError(message);
}

export function dbOptions(v: Values) {
  const databaseUrl = v["database-url"] ?? process.env.DATABASE_URL;
  if (databaseUrl && v["data-dir"]) throw usage("give either --database-url (or DATABASE_URL) or --data-dir, not both");
  return { databaseUrl: databaseUrl || undefined, dataDir: v["data-dir"] };
}

/** Opens the ledger named by the options, runs `fn`, closes it. */
export async function withDb<R>(v: Values, what: string, fn: (db: Db) => Promise<R>): Promise<R> {
  const opts = dbOptions(v);
  if (!opts.databaseUrl && !opts.dataDir) throw usage(`${what} needs --data-dir or --database-url (or DATABASE_URL)`);
  const started = Date.now();
  const fresh = announceNewLedger(opts.dataDir);
  const db = await openDb(opts);
  if (fresh) process.stderr.write(`cardterm-hq: ledger ready (${((Date.now() - started) / 1000).toFixed(1)} s)\n`);
  try {
    return await fn(db);
  } finally {
    await db.close();
  }
}

/**
 * The first command on a new --data-dir creates an embedded PostgreSQL (PGlite initdb):
 * about 8 s on a till-class box, where every later one takes well under a second. Say so
 * on stderr (stdout may be --json), or the technician thinks it hangs. True when it is new.
 */
export function announceNewLedger(dataDir: string | undefined): boolean {
  if (dataDir === undefined || existsSync(join(dataDir, "PG_VERSION"))) return false;
  process.stderr.write(
    `cardterm-hq: creating a new ledger in ${dataDir} (the embedded PostgreSQL sets itself up once; about 10 s)…\n`,
  );
  return true;
}

/** --actor, else CARDTERM_HQ_ACTOR, else the login name: every change's audit row names someone. */
export function actorOf(v: Values): Actor {
  return { id: v.actor ?? process.env.CARDTERM_HQ_ACTOR ?? userInfo().username, via: "cli" };
}

/** The first line of stdin, for --pin-stdin (e.g. `read -s PIN; echo "$PIN" | cardterm-hq …`). */
export async function pinFromStdin(v: Values): Promise<string | undefined> {
  if (!v["pin-stdin"]) return undefined;
  let text = "";
  for await (const chunk of process.stdin) text += chunk;
  return text.split(/\r?\n/, 1)[0] ?? "";
}

/** Decimal text ("50.00") to fen; "none" = no limit. */
export function moneyOption(
  v: Values,
  name: "amount" | "per-txn-limit" | "daily-limit" | "price",
): number | null | undefined {
  const text = v[name];
  if (text === undefined) return undefined;
  if (text === "none" && name !== "amount") return null;
  return parseMoney(text, `--${name}`);
}

export function one(rest: string[], what: string): string {
  if (rest.length !== 1 || !rest[0]) throw usage(`${what}`);
  return rest[0];
}

export function print(v: Values, value: unknown, human: () => string): void {
  console.log(v.json ? JSON.stringify(value) : human());
}
