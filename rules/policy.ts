/**
 * The policy document: the chain-wide card types and rules, versioned, published by the
 * server as a retained MQTT message and cached by every terminal (docs/policy.md;
 * docs/architecture.md#the-domain).
 */
import type { Minor } from "./money.js";
import type { RolesSection } from "./roles.js";

export interface PointsRule {
  /** Points are earned per this many minor units paid (2000 = 1 point per 20 yuan). */
  perMinor: Minor;
  points: number;
  /** Multiplier on the member's birthday (1 = none). */
  birthdayMultiplier: number;
}

export interface TopUpBonusTier {
  /** The tier applies to a top-up of at least this amount; the highest matching tier wins. */
  minMinor: Minor;
  bonusMinor: Minor;
  bonusPoints: number;
}

/**
 * Paying part of a sale with points (积分抵扣). Only whole points are redeemed, each worth
 * `minorPerPoint` fen, and never more than `maxShareBp` of the bill after the member's
 * discount (rules/points.ts). A card type without this rule cannot redeem points.
 */
export interface PointsRedemptionRule {
  /** Value of one point in fen: 1 = "100 积分抵 1 元". At least 1. */
  minorPerPoint: Minor;
  /** Largest share of the discounted bill payable by points, in basis points: 5000 = half. */
  maxShareBp: number;
}

/** PIN retry rules (rules/pin.ts): lock the card after `maxAttempts` wrong PINs in a row. */
export interface PinRules {
  maxAttempts: number;
  /** How long a locked card stays locked, in milliseconds. */
  lockoutMs: number;
}

/** When the policy document says nothing: 5 wrong PINs lock the card for 24 hours. */
export const DEFAULT_PIN_RULES: Readonly<PinRules> = { maxAttempts: 5, lockoutMs: 24 * 60 * 60 * 1000 };

export interface CardTypePolicy {
  id: string;
  name: string;
  /** Share of the price the member pays, in basis points: 10000 = full price, 8800 = 88折. */
  payRateBp: number;
  points: PointsRule;
  topUpBonus: TopUpBonusTier[];
  /** Whether debits on this card type may be approved offline at all (offline rule 1, docs/architecture.md). */
  offlineAllowed: boolean;
  /** A PIN is required for debits above this amount; null = never. */
  pinAboveMinor: Minor | null;
  /** Absent: points cannot pay for sales on this card type. */
  pointsRedemption?: PointsRedemptionRule;
}

export interface PolicyDocument {
  version: number;
  currency: "CNY";
  cardTypes: Record<string, CardTypePolicy>;
  /** Absent: DEFAULT_PIN_RULES. */
  pin?: PinRules;
  /**
   * Role → permissions for the whole chain (rules/roles.ts); a role left out keeps the
   * built-in list. Absent: the built-in table. A till's config may narrow it, never widen.
   */
  roles?: RolesSection;
}

export function cardTypeOf(policy: PolicyDocument, cardType: string): CardTypePolicy | undefined {
  return Object.hasOwn(policy.cardTypes, cardType) ? policy.cardTypes[cardType] : undefined;
}

export function pinRulesOf(policy: PolicyDocument): PinRules {
  return policy.pin ?? { ...DEFAULT_PIN_RULES };
}

/** The demo chain's policy: 普卡 / 银卡 / 金卡, also the seed of a new server. */
export function demoPolicy(): PolicyDocument {
  const points = (birthdayMultiplier: number): PointsRule => ({ perMinor: 2000, points: 1, birthdayMultiplier });
  const bonus: TopUpBonusTier[] = [
    { minMinor: 100_000, bonusMinor: 10_000, bonusPoints: 0 },
    { minMinor: 500_000, bonusMinor: 0, bonusPoints: 5000 },
  ];
  const redemption: PointsRedemptionRule = { minorPerPoint: 1, maxShareBp: 5_000 };
  return {
    version: 1,
    currency: "CNY",
    pin: { ...DEFAULT_PIN_RULES },
    cardTypes: {
      standard: {
        id: "standard",
        name: "普卡",
        payRateBp: 10_000,
        points: points(1),
        topUpBonus: bonus,
        offlineAllowed: true,
        pinAboveMinor: null,
      },
      silver: {
        id: "silver",
        name: "银卡",
        payRateBp: 9_500,
        points: points(2),
        topUpBonus: bonus,
        offlineAllowed: true,
        pinAboveMinor: null,
        pointsRedemption: redemption,
      },
      gold: {
        id: "gold",
        name: "金卡",
        payRateBp: 8_800,
        points: points(2),
        topUpBonus: bonus,
        offlineAllowed: true,
        pinAboveMinor: 100_000,
        pointsRedemption: redemption,
      },
    },
  };
}
