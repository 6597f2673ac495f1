/**
 * The JSON Schema (draft-07) of the YAML config a technician writes, and its TypeScript
 * shape. Every object is closed (`additionalProperties: false`) so a typo such as
 * `brokr:` is an error, never silently ignored (docs/architecture.md#rules-of-the-house).
 * The descriptions are written for the technician: `cardterm config schema` hands this to
 * editors for completion and hover help.
 *
 * What a schema cannot say precisely (amount source text, duration grammar, time zones,
 * secrets, regex groups, duplicate ids) the loader checks after it: config/value-checks.ts.
 */

import { PERMISSIONS } from "../rules/roles.js";
import { CONFIG_VERSION } from "./migrations/index.js";
import {
  AMOUNT_PATTERN,
  DURATION_PATTERN,
  ENV_NAME_PATTERN,
  HEX_KEY_PATTERN,
  ID_PATTERN,
  MQTT_URL_PATTERN,
  pemFile,
  port,
  ref,
  str,
} from "./schema-parts.js";
import { printerDefinitions } from "./schema-printer.js";
import { readerDefinitions } from "./schema-readers.js";

export * from "./schema-parts.js";
export type * from "./schema-types.js";

const definitions = {
  amount: {
    type: ["string", "number"],
    pattern: AMOUNT_PATTERN,
    minimum: 0,
    description:
      'An amount of money in yuan: a decimal with at most two places, best quoted ("300.00"). Never negative.',
    examples: ["300.00"],
  },
  duration: {
    type: "string",
    pattern: DURATION_PATTERN,
    description: 'A duration: a whole number and a unit (ms, s, m, h, d), combined largest first: "1h30m".',
    examples: ["30s", "24h"],
  },
  terminalKey: {
    type: "object",
    additionalProperties: false,
    minProperties: 1,
    maxProperties: 1,
    description:
      "Where the terminal's 32-byte MAC key comes from (give exactly one): a file, an environment variable, or the key itself. The key is 64 hexadecimal characters.",
    properties: {
      file: str("A file holding the key as 64 hex characters (surrounding whitespace ignored). Relative to this file."),
      env: str("An environment variable holding the key as 64 hex characters.", { pattern: ENV_NAME_PATTERN }),
      hex: str("The key itself, 64 hex characters. Prefer file or env: this file is often copied around.", {
        pattern: HEX_KEY_PATTERN,
      }),
    },
  },
  permissionList: {
    type: "array",
    uniqueItems: true,
    items: { type: "string", enum: [...PERMISSIONS] },
    description: `Permissions, as a list: ${PERMISSIONS.join(", ")}. An empty list [] allows nothing.`,
  },
  secret: {
    type: ["string", "object"],
    additionalProperties: false,
    minProperties: 1,
    maxProperties: 1,
    description:
      "A secret: written as is, or { env: NAME } to read an environment variable, or { file: PATH } to read a file (trailing newline dropped).",
    properties: {
      env: str("An environment variable holding the secret.", { pattern: ENV_NAME_PATTERN }),
      file: str("A file holding the secret (trailing newline dropped). Relative to this file."),
    },
  },
  ...readerDefinitions,
  ...printerDefinitions,
};

export const configJsonSchema = {
  $schema: "http://json-schema.org/draft-07/schema#",
  title: "cardterm agent configuration",
  description: "The configuration of one cardterm terminal. See docs/config.md.",
  type: "object",
  additionalProperties: false,
  required: ["terminal", "server"],
  definitions,
  properties: {
    version: {
      type: "integer",
      const: CONFIG_VERSION,
      default: CONFIG_VERSION,
      description: `The config format version, ${CONFIG_VERSION} for this agent (absent means 1). An older file still loads, with a warning; \`cardterm config migrate FILE\` updates it and keeps a backup.`,
    },
    terminal: {
      type: "object",
      additionalProperties: false,
      required: ["id", "key", "dataDir"],
      description: "Who this terminal is and where it keeps its data.",
      properties: {
        id: str("The terminal's id, as registered at the central server.", { pattern: ID_PATTERN }),
        storeId: str("The store's id (printed on receipts). Default: empty."),
        storeName: str("The store's name (printed on receipts). Default: empty."),
        key: { $ref: "#/definitions/terminalKey" },
        dataDir: str("Where the journal and caches live. Must survive reboots. Relative to this file."),
        language: { type: "string", enum: ["zh-CN", "en"], default: "zh-CN", description: "zh-CN (default) or en." },
        timeZone: str("The store's IANA time zone, which sets the business day. Default Asia/Shanghai.", {
          default: "Asia/Shanghai",
        }),
        operatorId: str('The operator recorded on sales until operator log-in exists. Default "001". Quote it.', {
          default: "001",
        }),
      },
    },
    api: {
      type: "object",
      additionalProperties: false,
      description: "The local HTTP API the POS software calls.",
      properties: {
        host: str("Address to listen on. Default 127.0.0.1 (this box only).", { default: "127.0.0.1" }),
        port: port("Port to listen on. Default 7070.", 7070),
        token: ref(
          "secret",
          "The POS app's API token (Authorization: Bearer …): a string, { env: NAME } or { file: PATH }. Without it the API trusts every local caller.",
        ),
        idleTimeout: str('An operator session ends after this long without a request. Default "15m".', {
          default: "15m",
        }),
      },
    },
    operators: {
      type: "array",
      description:
        "Who may work this till: log-in by PIN (or operator card). Without any, sales are recorded under terminal.operatorId and no permission is checked.",
      items: {
        type: "object",
        additionalProperties: false,
        required: ["id", "name", "role", "pinHash"],
        properties: {
          id: str("Operator number, printed on receipts. Quote it."),
          name: str("Name shown at the till."),
          role: {
            type: "string",
            enum: ["cashier", "supervisor", "technician"],
            description: "What the operator may do.",
          },
          pinHash: str("The PIN's scrypt hash (cardterm-hq operator add prints it). Never the PIN itself."),
          cardUid: str("Optional: the uid of an operator card that logs this operator in."),
        },
      },
    },
    roles: {
      type: "object",
      additionalProperties: false,
      description:
        "Optional: narrows what a role may do at this till. Each role listed may do only the permissions listed here AND granted by the chain's policy (never more: a till cannot give its cashiers what head office forbade). A role left out keeps the chain's permissions. docs/operators.md.",
      properties: {
        cashier: { $ref: "#/definitions/permissionList", description: "What a cashier may do here." },
        supervisor: { $ref: "#/definitions/permissionList", description: "What a supervisor (店长) may do here." },
        technician: { $ref: "#/definitions/permissionList", description: "What a technician may do here." },
      },
    },
    readers: {
      type: "array",
      items: { $ref: "#/definitions/reader" },
      description: 'The card readers. Default: one simulated reader with id "sim".',
    },
    printer: { $ref: "#/definitions/printer" },
    server: {
      type: "object",
      additionalProperties: false,
      required: ["mqttUrl"],
      description: "The link to the central server.",
      properties: {
        mqttUrl: str("The MQTT broker, e.g. mqtts://mqtt.example.com:8883 (mqtt://, mqtts://, ws://, wss://).", {
          pattern: MQTT_URL_PATTERN,
        }),
        username: str("MQTT user name (optional)."),
        password: ref("secret", "MQTT password (optional): a string, { env: NAME } or { file: PATH }."),
        authTimeout: ref(
          "duration",
          "How long an online authorisation may take before offline rules decide. Default 2s.",
        ),
        uploadBatchSize: {
          type: "integer",
          minimum: 1,
          maximum: 1000,
          default: 100,
          description: "Journal entries sent per upload message. Default 100.",
        },
        tls: {
          type: "object",
          additionalProperties: false,
          description:
            "For an mqtts:// or wss:// broker: the CA that signed its certificate (absent = the system's trust store), and this terminal's client certificate and key if the broker asks for one.",
          properties: {
            ca: pemFile(
              "PEM file of the CA that signed the broker's certificate, e.g. { file: /etc/cardterm/ca.pem }.",
            ),
            cert: pemFile("PEM file of this terminal's client certificate (give key too)."),
            key: pemFile("PEM file of this terminal's client private key (give cert too). Keep it 0600."),
          },
        },
      },
    },
    offline: {
      type: "object",
      additionalProperties: false,
      description: "When the server cannot be reached: what the terminal may approve on its own.",
      properties: {
        enabled: { type: "boolean", default: true, description: "Approve offline at all. Default true." },
        perTransaction: ref("amount", 'Largest single offline payment. Default "300.00".'),
        perCard: ref("amount", 'Most one card may spend offline before the server has seen it. Default "500.00".'),
        perCardCount: {
          type: "integer",
          minimum: 0,
          default: 5,
          description: "Most offline payments per card. Default 5.",
        },
        terminalTotal: ref("amount", 'Most the whole terminal may approve offline. Default "3000.00".'),
        terminalCount: {
          type: "integer",
          minimum: 0,
          default: 300,
          description: "Most offline payments on the terminal. Default 300.",
        },
        maxAge: ref("duration", "No offline approvals once the server has been unreachable this long. Default 24h."),
        allowUnknownCards: {
          type: "boolean",
          default: false,
          description: "Approve cards this terminal has never seen online. Default false.",
        },
      },
    },
    tapTimeout: ref("duration", "How long a sale waits for a card tap. Default 30s."),
    archiveDays: {
      type: "integer",
      minimum: 1,
      maximum: 3650,
      default: 90,
      description:
        "Days the journal archive (entries the server has acknowledged) is kept on the box for reports, the daily close and audits. Default 90.",
    },
  },
} as const;
