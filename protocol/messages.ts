/**
 * Message payloads on each topic, with JSON Schemas validated at both ends.
 * A message that fails validation is logged with its reason and dropped (CT_MESSAGE_INVALID).
 */

import { Ajv, type ValidateFunction } from "ajv";
import type { CardSnapshot } from "../rules/card.js";
import { CARD_STATUSES } from "../rules/card.js";
import type { CountPackage } from "../rules/count-card.js";
import type { AnyDeclineCode } from "../rules/decline-text.js";
import { type HotlistReasons, hotlistReasonsSchema } from "../rules/hotlist-reason.js";
import type { Minor } from "../rules/money.js";
import type { PolicyDocument } from "../rules/policy.js";
import { policyRolesSchema } from "../rules/roles.js";
import type { JournalEntry } from "./journal-entry.js";
import { type JournalIntegrity, journalIntegritySchema } from "./journal-integrity.js";
import { type TillOpAnyReply, type TillOpRequest, tillOpReplySchema, tillOpRequestSchema } from "./till-ops.js";
import { type DecodedPayload, decodeValidated } from "./validated-payload.js";

export const PROTOCOL_VERSION = 1;

/** Most cards in an auth request's `unsyncedOfflineOthers`; a till folds the rest into its account's figure. */
export const MAX_UNSYNCED_OTHERS = 1000;

export interface JournalBatch {
  v: 1;
  terminalId: string;
  entries: JournalEntry[];
  /**
   * Sequence numbers below the batch's last entry that the till holds no verifiable
   * entry for (its journal failed verification there: agent/journal/salvage-journal.ts).
   * The server skips over them only when a later entry's own MAC holds, and records the
   * gap (docs/reconciliation.md). Optional: absent from healthy and older tills.
   */
  gaps?: { seq: number; reason: string }[];
}

/** Most gaps one batch declares. */
export const MAX_BATCH_GAPS = 100;

export interface JournalAck {
  v: 1;
  /**
   * Highest sequence such that it and everything below it is applied at the server, or
   * recorded there as a gap the till declared and a later verified entry skipped over.
   */
  ackedSeq: number;
  /** Sequences refused (bad MAC, conflicting content): the terminal must alert, not resend forever. */
  rejected: { seq: number; reason: string }[];
}

export interface AuthRequest {
  v: 1;
  corr: string;
  txnId: string;
  terminalId: string;
  operatorId: string;
  cardId: string;
  kind: "sale";
  gross: Minor;
  /** Business day and date (MM-DD) at the till, for birthday rules. */
  businessDay: string;
  at: string;
  /**
   * This till's offline debits on the card's account (on any of its cards) not yet applied
   * at the server: the server keeps them free, so an online approval never spends money
   * the till already spent. Older tills, from before the limits were per account, sent the
   * card's own.
   */
  unsyncedOfflineMinor?: Minor;
  /**
   * This card's own offline sales on `businessDay` not yet applied at the server, for a
   * sub-card's daily limit (optional: absent from older tills, which the server then
   * reads from `unsyncedOfflineMinor`).
   */
  unsyncedOfflineCardMinor?: Minor;
  /**
   * Offline sales (and points they redeemed) not yet applied, on cards the till cannot
   * place on this card's account or another: the server adds those on this account.
   * Optional, present only when there are any (a card new to the till, an unknown card).
   */
  unsyncedOfflineOthers?: { cardId: string; minor: Minor; points: number }[];
  /** Points the member asks to pay with (积分抵扣); the server cuts them to the policy's share. */
  redeemPoints?: number;
  /** A count-card use (次卡核销) with the sale. */
  countUse?: { packageId: string; uses: number };
  /**
   * The PIN the member typed, for the server to check against the card's PIN hash when the
   * card type asks for one (docs/architecture.md#the-offline-rules, rule 9). Travels only to
   * the server (broker ACL); never journaled, never logged.
   */
  pin?: string;
  /** Points this till's unsynced entries took off the card: the server keeps them spent too. */
  unsyncedOfflinePoints?: number;
  /** Uses of `countUse.packageId` in this till's unsynced entries, likewise. */
  unsyncedOfflineUses?: number;
}

/** The count use an approval made: the package as it stands after it. */
export interface AppliedCountUse extends CountPackage {
  uses: number;
}

export type AuthReply =
  | {
      v: 1;
      corr: string;
      txnId: string;
      approved: true;
      gross: Minor;
      discount: Minor;
      net: Minor;
      pointsEarned: number;
      /** Points that paid part of the bill, and the fen they stood for (already out of `net`). */
      pointsRedeemed?: number;
      redeemedMinor?: Minor;
      countUse?: AppliedCountUse;
      balanceAfter: Minor;
      card: CardSnapshot;
      /** This terminal's highest journal sequence applied at the server when it answered. */
      appliedSeq?: number;
    }
  | {
      v: 1;
      corr: string;
      txnId: string;
      approved: false;
      code: AnyDeclineCode;
      card: CardSnapshot | null;
      appliedSeq?: number;
    };

export interface Presence {
  v: 1;
  state: "online" | "offline";
  at: string;
}

export interface Heartbeat {
  v: 1;
  at: string;
  pending: number;
  policyVersion: number | null;
  hotlistVersion: number | null;
  /**
   * The version of head office's operators document the till holds (agent/sync/operators-cache.ts),
   * null before it has one. Optional: tills older than this field still send heartbeats.
   */
  operatorsVersion?: number | null;
  /**
   * Whether the till's journal verified at start-up, and where it failed if not
   * (protocol/journal-integrity.ts). Optional: older tills do not say (stored as unknown).
   */
  integrity?: JournalIntegrity;
  devices: Record<string, string>;
}

export interface HotlistDocument {
  version: number;
  cards: string[];
  /** Why each card is listed (rules/hotlist-reason.ts); optional: older servers send none. */
  reasons?: HotlistReasons;
}

/**
 * The net change from `fromVersion` to `toVersion`: a terminal holding exactly
 * `fromVersion` adds `added` and removes `removed`; any other terminal waits for the full
 * document (docs/architecture.md#reconciliation-with-head-office). Published retained; with
 * nothing on record it is empty and `fromVersion` = `toVersion`, which still says which
 * version is current.
 */
export interface HotlistDelta {
  v: 1;
  fromVersion: number;
  toVersion: number;
  added: string[];
  removed: string[];
  /** Why each added card is listed; a card already listed whose reason changed comes again in `added`. */
  reasons?: HotlistReasons;
}

const minor = { type: "integer", minimum: 0, maximum: 10_000_000_000 };
const str = { type: "string", minLength: 1, maxLength: 200 };
const day = { type: "string", pattern: "^\\d{4}-\\d\\d-\\d\\d$" };
const points = { type: "integer", minimum: 0, maximum: 1_000_000_000 };
const uses = { type: "integer", minimum: 1, maximum: 100_000 };
const countPackage = {
  type: "object",
  required: ["packageId", "service", "remainingUses"],
  properties: {
    packageId: str,
    service: { type: "string", maxLength: 200 },
    remainingUses: { type: "integer" },
    expiresOn: { anyOf: [day, { type: "null" }] },
  },
};
const limit = { anyOf: [minor, { type: "null" }] };
const snapshot = {
  type: "object",
  required: ["cardId", "accountId", "memberName", "cardType", "status", "balance", "points"],
  properties: {
    cardId: str,
    accountId: str,
    memberName: { type: "string", maxLength: 200 },
    cardType: str,
    status: { enum: [...CARD_STATUSES] },
    balance: { type: "integer" },
    points: { type: "integer" },
    birthday: { type: "string", pattern: "^\\d\\d-\\d\\d$" },
    pinHash: { type: "string", maxLength: 300 },
    hasPin: { type: "boolean" },
    packages: { type: "array", maxItems: 50, items: countPackage },
    subCard: {
      type: "object",
      required: ["primaryCardId", "perTxnLimit", "dailyLimit"],
      properties: { primaryCardId: str, perTxnLimit: limit, dailyLimit: limit, spentDay: day, spentToday: minor },
    },
  },
};
const entry = {
  type: "object",
  additionalProperties: false,
  required: [
    "terminalId",
    "seq",
    "prevHash",
    "txnId",
    "kind",
    "mode",
    "at",
    "businessDay",
    "operatorId",
    "cardId",
    "gross",
    "discount",
    "net",
    "bonus",
    "pointsEarned",
    "balanceAfter",
    "hash",
    "mac",
  ],
  properties: {
    terminalId: str,
    seq: { type: "integer", minimum: 1 },
    prevHash: { type: "string", pattern: "^[0-9a-f]{64}$" },
    txnId: str,
    kind: { enum: ["sale", "topup", "refund", "void"] },
    mode: { enum: ["online", "offline"] },
    at: str,
    businessDay: { type: "string", pattern: "^\\d{4}-\\d\\d-\\d\\d$" },
    operatorId: str,
    cardId: str,
    gross: minor,
    discount: minor,
    net: minor,
    bonus: minor,
    pointsEarned: { type: "integer" },
    balanceAfter: { anyOf: [{ type: "integer" }, { type: "null" }] },
    pointsRedeemed: { type: "integer" },
    redeemedMinor: minor,
    countPackageId: str,
    countUses: uses,
    payment: { enum: ["cash", "wechat", "alipay", "bankcard"] },
    originalTxnId: str,
    voidOf: { enum: ["sale", "topup"] },
    hash: { type: "string", pattern: "^[0-9a-f]{64}$" },
    mac: { type: "string", pattern: "^[0-9a-f]{64}$" },
  },
};

const schemas = {
  tillOpRequest: tillOpRequestSchema,
  tillOpReply: tillOpReplySchema,
  journalBatch: {
    type: "object",
    required: ["v", "terminalId", "entries"],
    properties: {
      v: { const: 1 },
      terminalId: str,
      entries: { type: "array", maxItems: 1000, items: entry },
      gaps: {
        type: "array",
        maxItems: MAX_BATCH_GAPS,
        items: {
          type: "object",
          required: ["seq", "reason"],
          properties: { seq: { type: "integer", minimum: 1 }, reason: { type: "string", maxLength: 500 } },
        },
      },
    },
  },
  journalAck: {
    type: "object",
    required: ["v", "ackedSeq", "rejected"],
    properties: {
      v: { const: 1 },
      ackedSeq: { type: "integer", minimum: 0 },
      rejected: {
        type: "array",
        items: {
          type: "object",
          required: ["seq", "reason"],
          properties: { seq: { type: "integer" }, reason: { type: "string" } },
        },
      },
    },
  },
  authRequest: {
    type: "object",
    required: ["v", "corr", "txnId", "terminalId", "operatorId", "cardId", "kind", "gross", "businessDay", "at"],
    properties: {
      v: { const: 1 },
      corr: str,
      txnId: str,
      terminalId: str,
      operatorId: str,
      cardId: str,
      kind: { const: "sale" },
      gross: minor,
      businessDay: { type: "string", pattern: "^\\d{4}-\\d\\d-\\d\\d$" },
      at: str,
      unsyncedOfflineMinor: minor,
      unsyncedOfflineCardMinor: minor,
      unsyncedOfflineOthers: {
        type: "array",
        maxItems: MAX_UNSYNCED_OTHERS,
        items: {
          type: "object",
          additionalProperties: false,
          required: ["cardId", "minor", "points"],
          properties: { cardId: str, minor, points },
        },
      },
      redeemPoints: points,
      countUse: {
        type: "object",
        additionalProperties: false,
        required: ["packageId", "uses"],
        properties: { packageId: str, uses },
      },
      pin: { type: "string", pattern: "^[0-9]{4,12}$" },
      unsyncedOfflinePoints: points,
      unsyncedOfflineUses: { type: "integer", minimum: 0 },
    },
  },
  authReply: {
    type: "object",
    required: ["v", "corr", "txnId", "approved"],
    properties: {
      v: { const: 1 },
      corr: str,
      txnId: str,
      approved: { type: "boolean" },
      card: { anyOf: [snapshot, { type: "null" }] },
    },
    if: { properties: { approved: { const: true } } },
    // biome-ignore lint/suspicious/noThenProperty: JSON Schema if/then/else, not a thenable
    then: {
      required: ["gross", "discount", "net", "pointsEarned", "balanceAfter", "card"],
      properties: {
        gross: minor,
        discount: minor,
        net: minor,
        pointsEarned: { type: "integer" },
        pointsRedeemed: points,
        redeemedMinor: minor,
        countUse: {
          ...countPackage,
          required: [...countPackage.required, "uses"],
          properties: { ...countPackage.properties, uses },
        },
        balanceAfter: { type: "integer" },
      },
    },
    else: { required: ["code"], properties: { code: str } },
  },
  policy: {
    type: "object",
    required: ["version", "currency", "cardTypes"],
    properties: {
      version: { type: "integer", minimum: 1 },
      currency: { const: "CNY" },
      cardTypes: {
        type: "object",
        additionalProperties: {
          type: "object",
          required: ["id", "name", "payRateBp", "points", "topUpBonus", "offlineAllowed", "pinAboveMinor"],
          properties: {
            id: str,
            name: str,
            payRateBp: { type: "integer", minimum: 0, maximum: 10_000 },
            points: {
              type: "object",
              required: ["perMinor", "points", "birthdayMultiplier"],
              properties: {
                perMinor: { type: "integer", minimum: 1 },
                points: { type: "integer", minimum: 0 },
                birthdayMultiplier: { type: "integer", minimum: 1 },
              },
            },
            topUpBonus: {
              type: "array",
              items: {
                type: "object",
                required: ["minMinor", "bonusMinor", "bonusPoints"],
                properties: { minMinor: minor, bonusMinor: minor, bonusPoints: { type: "integer", minimum: 0 } },
              },
            },
            offlineAllowed: { type: "boolean" },
            pinAboveMinor: { anyOf: [minor, { type: "null" }] },
            // Optional, so older documents stay valid: absent = points cannot pay on this card type.
            pointsRedemption: {
              type: "object",
              required: ["minorPerPoint", "maxShareBp"],
              properties: {
                minorPerPoint: { type: "integer", minimum: 1, maximum: 10_000 },
                maxShareBp: { type: "integer", minimum: 0, maximum: 10_000 },
              },
            },
          },
        },
      },
      // Optional, so older documents stay valid: absent = DEFAULT_PIN_RULES in rules/policy.ts.
      pin: {
        type: "object",
        required: ["maxAttempts", "lockoutMs"],
        properties: {
          maxAttempts: { type: "integer", minimum: 1, maximum: 100 },
          lockoutMs: { type: "integer", minimum: 1, maximum: 366 * 24 * 60 * 60 * 1000 },
        },
      },
      // Optional, so older documents stay valid: absent = the built-in role table (rules/roles.ts).
      roles: policyRolesSchema,
    },
  },
  hotlist: {
    type: "object",
    required: ["version", "cards"],
    properties: {
      version: { type: "integer", minimum: 0 },
      cards: { type: "array", items: str },
      reasons: hotlistReasonsSchema,
    },
  },
  hotlistDelta: {
    type: "object",
    required: ["v", "fromVersion", "toVersion", "added", "removed"],
    properties: {
      v: { const: 1 },
      fromVersion: { type: "integer", minimum: 0 },
      toVersion: { type: "integer", minimum: 0 },
      added: { type: "array", items: str },
      removed: { type: "array", items: str },
      reasons: hotlistReasonsSchema,
    },
  },
  presence: {
    type: "object",
    required: ["v", "state", "at"],
    properties: { v: { const: 1 }, state: { enum: ["online", "offline"] }, at: str },
  },
  heartbeat: {
    type: "object",
    required: ["v", "at", "pending", "policyVersion", "hotlistVersion", "devices"],
    properties: {
      v: { const: 1 },
      at: str,
      pending: { type: "integer", minimum: 0 },
      policyVersion: { anyOf: [{ type: "integer" }, { type: "null" }] },
      hotlistVersion: { anyOf: [{ type: "integer" }, { type: "null" }] },
      operatorsVersion: { anyOf: [{ type: "integer", minimum: 0 }, { type: "null" }] },
      integrity: journalIntegritySchema,
      devices: { type: "object", maxProperties: 64, additionalProperties: { type: "string", maxLength: 40 } },
    },
  },
} as const;

export interface MessageTypes {
  tillOpRequest: TillOpRequest;
  tillOpReply: TillOpAnyReply;
  journalBatch: JournalBatch;
  journalAck: JournalAck;
  authRequest: AuthRequest;
  authReply: AuthReply;
  policy: PolicyDocument;
  hotlist: HotlistDocument;
  hotlistDelta: HotlistDelta;
  presence: Presence;
  heartbeat: Heartbeat;
}
export type MessageName = keyof MessageTypes;

const ajv = new Ajv({ allErrors: false, strict: false });
const validators = new Map<MessageName, ValidateFunction>();

export type Decoded<T> = DecodedPayload<T>;

/** Parse and validate an MQTT payload; never throws. */
export function decodeMessage<N extends MessageName>(name: N, payload: Buffer | string): Decoded<MessageTypes[N]> {
  let validate = validators.get(name);
  if (!validate) {
    validate = ajv.compile(schemas[name]);
    validators.set(name, validate);
  }
  return decodeValidated<MessageTypes[N]>(name, validate, payload);
}

export function encodeMessage<N extends MessageName>(_name: N, value: MessageTypes[N]): string {
  return JSON.stringify(value);
}

/** The JSON Schema of a message, read-only: head office publishes the policy's, closed (server/http/schemas.ts). */
export function messageSchema(name: MessageName): Readonly<Record<string, unknown>> {
  return schemas[name];
}
