/**
 * Why a card is on the hotlist (docs/architecture.md#the-offline-rules, rule 3). The server
 * keeps one reason per listed card and sends it with the hotlist, so a till can tell the
 * cashier the truth: a card listed for a shortfall (an offline sale elsewhere went past its
 * balance) owes money and is freed by a top-up, which is not what "lost or frozen" tells anyone.
 */
export const HOTLIST_REASONS = ["shortfall", "lost", "frozen", "cancelled", "replaced"] as const;
export type HotlistReason = (typeof HOTLIST_REASONS)[number];

/**
 * card id → reason, for the listed cards whose reason changes what a till says: today
 * only a shortfall (CARD_IN_DEBT). Lost, frozen, cancelled and replaced cards are worded
 * alike (CARD_HOTLISTED) and carry none; an older server sends no reasons at all. The
 * other values are allowed so a later server may send them without breaking this till.
 */
export type HotlistReasons = Record<string, HotlistReason>;

export const hotlistReasonsSchema = {
  type: "object",
  maxProperties: 1_000_000,
  additionalProperties: { enum: [...HOTLIST_REASONS] },
} as const;
