/**
 * The `cardterm-hq` command table: every command of the central server's tool with the
 * flags it takes (from OPTIONS in args.ts), declared once. Help, usage errors, completion
 * and test/unit/cli-walk.test.ts come from it; a new command or flag goes here.
 */
import { bashCompletion } from "../../lib/cli/bash-completion.js";
import type { CliSpec, CommandSpec, ParsedInput } from "../../lib/cli/command-spec.js";
import { STATUS_ACTIONS } from "../backoffice/card-status.js";
import { LEDGER_OPTIONS, type OptionName, options, type Values } from "./args.js";
import { card } from "./card-command.js";
import { member } from "./member-command.js";
import { operator, policy } from "./office-command.js";
import { report } from "./report-command.js";
import { run } from "./run-command.js";
import { terminalAdd } from "./terminal-command.js";
import { HQ_VERSION } from "./version.js";

type Handler = (v: Values, sub: string | undefined, rest: string[]) => Promise<void>;

/** A command on the ledger: its flags plus the ledger's, handed to the group's handler as before the table. */
function ledger(
  path: string,
  summary: string,
  handler: Handler,
  spec: { args?: string[]; flags?: OptionName[]; help?: Partial<Record<OptionName, string>>; examples?: string[] },
): CommandSpec {
  const sub = path.split(" ").slice(1).join(" ");
  return {
    path,
    summary,
    ...(spec.args ? { args: spec.args } : {}),
    options: options([...(spec.flags ?? []), ...LEDGER_OPTIONS], spec.help),
    ...(spec.examples ? { examples: spec.examples } : {}),
    run: async ({ values, args }: ParsedInput) => {
      await handler(values as Values, sub.split(" ")[0], [...sub.split(" ").slice(1), ...args]);
      return 0;
    },
  };
}

const CARD = ["<cardId>"];
const DB = "--data-dir /var/lib/cardterm-hq";

const RUN: CommandSpec = {
  path: "run",
  summary: "serve the terminals over MQTT (and, with --http-port, the head-office API and back office)",
  options: options(
    [
      "mqtt-url",
      "mqtt-username",
      "mqtt-ca",
      "mqtt-cert",
      "mqtt-key",
      "database-url",
      "data-dir",
      "client-id",
      "shared-group",
      "http-port",
      "http-host",
      "http-token-file",
      "seed-demo",
      "terminal",
      "member-lookups-per-10min",
      "hold-ttl",
      "accept-unsigned-tills",
    ],
    { terminal: "with --seed-demo: a demo till as ID:KEYHEX (may be repeated)" },
  ),
  env: [
    "CARDTERM_HQ_MQTT_PASSWORD  the broker password (only here: argv is world-readable)",
    "CARDTERM_HQ_HTTP_TOKEN  the API token, when --http-token-file is not given",
  ],
  examples: [
    `CARDTERM_HQ_MQTT_PASSWORD=… cardterm-hq run --mqtt-url mqtts://mqtt.example.com:8883 --mqtt-username cardterm-hq --mqtt-ca /etc/cardterm-hq/ca.pem --database-url postgres://cardterm@db/cardterm`,
    `cardterm-hq run --mqtt-url mqtt://127.0.0.1:1883 ${DB} --http-port 8080 --http-token-file /etc/cardterm-hq/token`,
  ],
  run: async ({ values }) => {
    await run(values as Values);
    return 0;
  },
};

const TERMINAL_ADD: CommandSpec = {
  path: "terminal add",
  summary: "register a till: its key, broker credentials and the technician's config snippet",
  args: ["<id>"],
  options: options(["store", "password-file", "mqtt-url", "tls-ca", "force", ...LEDGER_OPTIONS], {
    "mqtt-url": "the broker URL written into the till's config snippet",
  }),
  examples: [`cardterm-hq terminal add T001 --store S01 --password-file /etc/mosquitto/passwd ${DB}`],
  run: async ({ values, args }) => {
    await terminalAdd(values as Values, args[0]);
    return 0;
  },
};

const MEMBER: CommandSpec[] = [
  ledger("member add", "a new member", member, {
    flags: ["name", "id", "phone", "birthday"],
    examples: [`cardterm-hq member add --name 张伟 --phone 13800000001 --birthday 03-14 ${DB}`],
  }),
  ledger("member update", "change a member's name, phone or birthday", member, {
    args: ["<memberId>"],
    flags: ["name", "phone", "birthday"],
    examples: [`cardterm-hq member update M0001 --phone 13900000002 ${DB}`],
  }),
  ledger("member show", "a member with their accounts and cards", member, {
    args: ["<memberId>"],
    examples: [`cardterm-hq member show M0001 ${DB}`],
  }),
  ledger("member list", "find members by name, phone or number", member, {
    flags: ["query", "limit"],
    examples: [`cardterm-hq member list --query 138 ${DB}`],
  }),
];

const STATUS_CARD: CommandSpec[] = Object.keys(STATUS_ACTIONS).map((action) =>
  ledger(`card ${action}`, `${action} a card (the hotlist follows)`, card, {
    args: CARD,
    flags: ["note"],
    examples: [`cardterm-hq card ${action} ic:04A1B2C3 --note "member called" ${DB}`],
  }),
);

const CARDS: CommandSpec[] = [
  {
    ...ledger("card show", "a card: holder, type, status, balance, points, limits", card, {
      args: CARD,
      examples: [`cardterm-hq card show ic:04A1B2C3 ${DB}`, `cardterm-hq card ic:04A1B2C3 ${DB}   # the same`],
    }),
    isDefault: true,
  },
  ledger("card issue", "issue a card to a new member, a member, an account, or as a sub-card", card, {
    args: CARD,
    flags: [
      "type",
      "name",
      "phone",
      "birthday",
      "member",
      "account",
      "primary",
      "per-txn-limit",
      "daily-limit",
      "pin-stdin",
    ],
    examples: [
      `cardterm-hq card issue ic:04A1B2C3 --type gold --name 张伟 --phone 13800000001 ${DB}`,
      `cardterm-hq card issue ic:04A1B2C4 --type gold --primary ic:04A1B2C3 --daily-limit 200.00 ${DB}`,
    ],
  }),
  ...STATUS_CARD,
  ledger("card replace", "move a card's balance and points to a new card (补卡)", card, {
    args: CARD,
    flags: ["new-card", "pin-stdin", "note"],
    examples: [`cardterm-hq card replace ic:04A1B2C3 --new-card ic:04FFEE01 ${DB}`],
  }),
  ledger("card level", "change a card's type (level)", card, {
    args: CARD,
    flags: ["type", "note"],
    examples: [`cardterm-hq card level ic:04A1B2C3 --type vip ${DB}`],
  }),
  ledger("card limits", "a sub-card's limits per sale and per day", card, {
    args: CARD,
    flags: ["per-txn-limit", "daily-limit"],
    examples: [`cardterm-hq card limits ic:04A1B2C4 --per-txn-limit 50.00 --daily-limit none ${DB}`],
  }),
  ledger("card topup", "top up at head office (with the card type's bonus)", card, {
    args: CARD,
    flags: ["amount", "txn-id", "day"],
    examples: [`cardterm-hq card topup ic:04A1B2C3 --amount 1000.00 ${DB}`],
  }),
  ledger("card package grant", "sell a count package (次卡) on the card's account", card, {
    args: CARD,
    flags: ["service", "uses", "expires", "price", "package-id"],
    examples: [`cardterm-hq card package grant ic:04A1B2C3 --service 洗车 --uses 10 --price 200.00 ${DB}`],
  }),
  ledger("card package list", "the count packages of the card's account", card, {
    args: CARD,
    examples: [`cardterm-hq card package list ic:04A1B2C3 ${DB}`],
  }),
];

const OPERATORS: CommandSpec[] = [
  ledger("operator add", "a cashier, supervisor or technician of a store (PIN on stdin)", operator, {
    args: ["<id>"],
    flags: ["store", "name", "role", "pin-stdin", "card-uid", "terminal"],
    help: { terminal: "only at this till (may be repeated; default every till of the store)" },
    examples: [
      `read -s PIN; echo "$PIN" | cardterm-hq operator add C01 --store S01 --name 李娜 --role cashier --pin-stdin ${DB}`,
    ],
  }),
  ledger("operator update", "change an operator's name, role, card or tills", operator, {
    args: ["<id>"],
    flags: ["name", "role", "card-uid", "terminal"],
    help: { terminal: "only at this till (may be repeated), or all" },
    examples: [`cardterm-hq operator update C01 --role supervisor --terminal all ${DB}`],
  }),
  ledger("operator list", "the operators, of one store or all", operator, {
    flags: ["store"],
    examples: [`cardterm-hq operator list --store S01 ${DB}`],
  }),
  ledger("operator disable", "stop an operator logging in", operator, {
    args: ["<id>"],
    examples: [`cardterm-hq operator disable C01 ${DB}`],
  }),
  ledger("operator enable", "let a disabled operator log in again", operator, {
    args: ["<id>"],
    examples: [`cardterm-hq operator enable C01 ${DB}`],
  }),
  ledger("operator pin", "set an operator's PIN (on stdin)", operator, {
    args: ["<id>"],
    flags: ["pin-stdin"],
    examples: [`read -s PIN; echo "$PIN" | cardterm-hq operator pin C01 --pin-stdin ${DB}`],
  }),
];

const POLICY: CommandSpec[] = [
  ledger("policy show", "the published policy: card types, rules, roles", policy, {
    examples: [`cardterm-hq policy show ${DB}`],
  }),
  ledger("policy publish", "publish a policy document (JSON or YAML, docs/policy.md) to every till", policy, {
    args: ["<file>"],
    examples: [
      `cardterm-hq policy publish config/examples/head-office/policy.yaml ${DB}`,
      `cardterm-hq policy publish policy.json ${DB}`,
    ],
  }),
];

const REPORTS: CommandSpec[] = [
  ledger("report daily", "totals by day, store, till, kind and mode", report, {
    flags: ["from", "to", "store", "terminal"],
    help: { terminal: "one till" },
    examples: [`cardterm-hq report daily --from 2026-11-01 --to 2026-11-30 --store S01 ${DB}`],
  }),
  ledger("report liability", "stored value owed to members, bonus issued, points outstanding", report, {
    examples: [`cardterm-hq report liability --json ${DB}`],
  }),
  ledger("report shortfalls", "offline spends the account could not cover", report, {
    flags: ["open"],
    examples: [`cardterm-hq report shortfalls --open ${DB}`],
  }),
  ledger("report alerts", "what the server noticed: gaps, tampering, limits", report, {
    examples: [`cardterm-hq report alerts ${DB}`],
  }),
  ledger("report terminals", "each till: presence, heartbeat, pending, versions held", report, {
    examples: [`cardterm-hq report terminals --database-url postgres://cardterm@db/cardterm`],
  }),
];

const COMPLETION: CommandSpec = {
  path: "completion bash",
  summary: "print the bash completion script",
  examples: ["source <(cardterm-hq completion bash)"],
  run: () => {
    console.log(bashCompletion(HQ_CLI));
    return 0;
  },
};

export const HQ_CLI: CliSpec = {
  name: "cardterm-hq",
  version: HQ_VERSION,
  summary: `cardterm-hq ${HQ_VERSION}: the central server (run) and the head office's commands on its ledger`,
  groups: [
    { path: "terminal", summary: "the tills head office knows" },
    { path: "member", summary: "members: add, update, show, list" },
    { path: "card", summary: "cards: show, issue, loss and the other changes, top-up, count packages" },
    { path: "card package", summary: "count packages (次卡) on a card's account" },
    { path: "operator", summary: "the stores' operators and their PINs" },
    { path: "policy", summary: "the chain's card types and rules" },
    { path: "report", summary: "reports on the ledger" },
    { path: "completion", summary: "shell completion scripts" },
  ],
  commands: [RUN, TERMINAL_ADD, ...MEMBER, ...CARDS, ...OPERATORS, ...POLICY, ...REPORTS, COMPLETION],
  env: [
    "DATABASE_URL  the PostgreSQL ledger, when --database-url is not given",
    "CARDTERM_HQ_MQTT_URL, CARDTERM_HQ_MQTT_USERNAME  the broker, when the flags are not given",
    "CARDTERM_HQ_MQTT_PASSWORD  the broker password (only from the environment: argv is world-readable)",
    "CARDTERM_HQ_MQTT_CA, _CERT, _KEY  TLS files, when the flags are not given",
    "CARDTERM_HQ_HTTP_TOKEN  the API token, when --http-token-file is not given",
    "CARDTERM_HQ_ACTOR  who is acting, when --actor is not given",
  ],
  footer: `One command's flags and examples: cardterm-hq COMMAND --help (e.g. cardterm-hq card issue --help).
Exit status: 0 done, 1 the command failed (its code says why: docs/errors.md), 2 called wrongly.
docs/back-office.md describes the commands; docs/deploy-broker.md the broker set-up.`,
};
