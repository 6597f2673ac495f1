/**
 * A card as the terminal and the server both see it.
 *
 * A card id is the normalised identity of a physical token: `<technology>:<id>` with the
 * id in upper-case hex for IC cards (the UID) and decimal digits for ID cards, e.g.
 * `ic:04A1B2C3D4E5F6` or `id:0012345678`. Every layer uses this one form.
 */
import type { CountPackage } from "./count-card.js";
import type { Minor } from "./money.js";

export type CardTechnology = "ic" | "id" | "qr" | "sim";
export type CardId = string;

export const CARD_STATUSES = ["active", "lost", "frozen", "cancelled", "replaced"] as const;
export type CardStatus = (typeof CARD_STATUSES)[number];

const CARD_ID = /^(ic|id|qr|sim):[0-9A-Za-z_-]{1,64}$/;

export function isCardId(value: unknown): value is CardId {
  return typeof value === "string" && CARD_ID.test(value);
}

/** Build a card id from a technology and the raw id a reader produced. */
export function cardId(tech: CardTechnology, raw: string): CardId {
  const id = tech === "ic" ? raw.replace(/[^0-9a-fA-F]/g, "").toUpperCase() : raw.trim();
  const result = `${tech}:${id}`;
  if (!isCardId(result)) throw new TypeError(`not a valid card id: ${JSON.stringify(result)}`);
  return result;
}

/** Masked for receipts, logs and screens: `ic:04A1****E5F6`. Full numbers never leave the box in clear text. */
export function maskCardId(id: CardId): string {
  const [tech, num = ""] = id.split(":", 2);
  if (num.length <= 6) return `${tech}:${"*".repeat(num.length)}`;
  return `${tech}:${num.slice(0, 4)}${"*".repeat(Math.max(4, num.length - 8))}${num.slice(-4)}`;
}

/** What the server tells a terminal about a card at each online contact; cached on the box. */
export interface CardSnapshot {
  cardId: CardId;
  accountId: string;
  memberName: string;
  cardType: string;
  status: CardStatus;
  /** Stored value of the account in minor units, as of the server's ledger. */
  balance: Minor;
  points: number;
  /** Birthday as MM-DD, for birthday point multipliers. */
  birthday?: string;
  /**
   * The card's PIN verifier: its scrypt hash (rules/pin.ts), never the PIN, sent only
   * for card types that ask for a PIN, so that the till can check it offline
   * (docs/architecture.md#the-offline-rules, rule 9).
   */
  pinHash?: string;
  /**
   * Whether head office set a PIN on the card. A card type's PIN threshold applies to
   * cards with a PIN; absent (a snapshot from an older server) = not known, and a till
   * offline then declines above the threshold rather than skip the check.
   */
  hasPin?: boolean;
  /** The account's count packages (次卡) with uses left, so the till can show "洗车 剩 7 次". */
  packages?: CountPackage[];
  /** Present for a sub-card (附属卡): its primary and its own spending limits. */
  subCard?: SubCardLimits;
}

/** A sub-card's limits as head office set them (rules/sub-card.ts), with what it spent. */
export interface SubCardLimits {
  primaryCardId: CardId;
  /** Fen; null = no limit. */
  perTxnLimit: Minor | null;
  dailyLimit: Minor | null;
  /**
   * The sub-card's sales (stored value) on business day `spentDay` in the ledger when the
   * snapshot was taken: a till offline starts the day's total from it. Absent when the
   * server was not asked about a day (a balance query).
   */
  spentDay?: string;
  spentToday?: Minor;
}
