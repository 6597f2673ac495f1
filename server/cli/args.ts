/**
 * cardterm-hq's options, usage text and the helpers every command shares: the database
 * to open, who is acting, a PIN read from stdin (argv is world-readable), money parsed
 * from decimal text.
 */
import { userInfo } from "node:os";
import { parseArgs } from "node:util";
import { CardtermError } from "../../protocol/errors.js";
import { parseMoney } from "../../protocol/money.js";
import type { Actor } from "../backoffice/actor.js";
import type { Db } from "../db/db.js";
import { openDb } from "../db/open-db.js";

export const USAGE = `usage:
  cardterm-hq run --mqtt-url URL [--database-url URL | --data-dir DIR] [--client-id ID]
                  [--mqtt-ca FILE [--mqtt-cert FILE --mqtt-key FILE]] [--shared-group NAME]
                  [--http-port N [--http-host ADDR] [--http-token-file FILE]]
                  [--seed-demo --terminal T001:<keyhex> ...] [--member-lookups-per-10min N (default 30, 0 = no limit)]
  cardterm-hq terminal add <id> [--store S] [--password-file FILE] [--mqtt-url URL]
                  [--tls-ca PATH-ON-BOX] [--force] [--json]
  cardterm-hq member add --name NAME [--id M] [--phone P] [--birthday MM-DD]
  cardterm-hq member update <memberId> [--name NAME] [--phone P] [--birthday MM-DD]
  cardterm-hq member show <memberId> | member list [--query TEXT] [--limit N]
  cardterm-hq card show <cardId>
  cardterm-hq card issue <cardId> --type T (--name NAME [--phone P] [--birthday MM-DD] | --member M
                  | --account A | --primary CARD [--per-txn-limit 50.00] [--daily-limit 200.00]) [--pin-stdin]
  cardterm-hq card loss|unloss|freeze|unfreeze|recycle <cardId> [--note TEXT]
  cardterm-hq card replace <cardId> --new-card CARD [--pin-stdin] [--note TEXT]
  cardterm-hq card level <cardId> --type T
  cardterm-hq card limits <cardId> --per-txn-limit AMOUNT|none --daily-limit AMOUNT|none
  cardterm-hq card topup <cardId> --amount 1000.00 [--txn-id hq-ID] [--day YYYY-MM-DD]
  cardterm-hq card package grant <cardId> --service NAME --uses N [--expires YYYY-MM-DD] [--price 200.00]
                  [--package-id ID]
  cardterm-hq card package list <cardId>
  cardterm-hq operator add <id> --store S --name NAME --role cashier|supervisor|technician --pin-stdin
                  [--card-uid UID] [--terminal T ...]
  cardterm-hq operator update <id> [--name NAME] [--role R] [--card-uid UID|none] [--terminal T ... | --terminal all]
  cardterm-hq operator list [--store S] | operator disable|enable <id> | operator pin <id> --pin-stdin
  cardterm-hq policy show | policy publish FILE
  cardterm-hq report daily [--from DAY] [--to DAY] [--store S] [--terminal T]
  cardterm-hq report liability | report shortfalls [--open] | report alerts | report terminals
Every command but run takes [--database-url URL | --data-dir DIR] [--json] [--actor NAME].`;

const OPTIONS = {
  "mqtt-url": { type: "string" },
  "mqtt-username": { type: "string" },
  "mqtt-ca": { type: "string" },
  "mqtt-cert": { type: "string" },
  "mqtt-key": { type: "string" },
  "http-port": { type: "string" },
  "http-host": { type: "string" },
  "http-token-file": { type: "string" },
  store: { type: "string" },
  "password-file": { type: "string" },
  "tls-ca": { type: "string" },
  force: { type: "boolean" },
  "database-url": { type: "string" },
  "data-dir": { type: "string" },
  "client-id": { type: "string" },
  "shared-group": { type: "string" },
  "seed-demo": { type: "boolean" },
  "member-lookups-per-10min": { type: "string" },
  terminal: { type: "string", multiple: true },
  json: { type: "boolean" },
  actor: { type: "string" },
  id: { type: "string" },
  name: { type: "string" },
  phone: { type: "string" },
  birthday: { type: "string" },
  member: { type: "string" },
  account: { type: "string" },
  primary: { type: "string" },
  type: { type: "string" },
  "per-txn-limit": { type: "string" },
  "daily-limit": { type: "string" },
  "pin-stdin": { type: "boolean" },
  "new-card": { type: "string" },
  amount: { type: "string" },
  "txn-id": { type: "string" },
  day: { type: "string" },
  note: { type: "string" },
  role: { type: "string" },
  query: { type: "string" },
  limit: { type: "string" },
  from: { type: "string" },
  to: { type: "string" },
  open: { type: "boolean" },
  service: { type: "string" },
  uses: { type: "string" },
  expires: { type: "string" },
  price: { type: "string" },
  "package-id": { type: "string" },
  "card-uid": { type: "string" },
  help: { type: "boolean", short: "h" },
} as const;

export type Values = ReturnType<typeof parse>["values"];

export function parse(argv: string[]) {
  try {
    return parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
  } catch (err) {
    throw usage((err as Error).message);
  }
}

/** A usage error: exit status 2. */
export function usage(message: string): CardtermError {
  return new CardtermError("CT_CONFIG_INVALID", `${message}\n${USAGE}`, { details: { usage: true } });
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
  const db = await openDb(opts);
  try {
    return await fn(db);
  } finally {
    await db.close();
  }
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
