/**
 * "Which card is this?" for the card operations: the next tap, and what this
 * till knows of that card — so a freeze, a level change or a sub-card's primary is chosen
 * by tapping the card instead of typing its number. Nothing is asked of the server and
 * nothing changes: the operation that follows is decided by the server as always, and a
 * till that has never seen the card says so rather than guess.
 */
import type { CardTap } from "../../drivers/readers/card-reader.js";
import type { CardStatus } from "../../rules/card.js";
import type { CachedCard } from "../journal/journal-state.js";

export interface TappedCardDeps {
  taps: { waitForTap(timeoutMs: number, readerId?: string): Promise<CardTap> };
  /** The till's cached snapshot of a card (terminal-ledger.ts), if it has one. */
  cachedCard: (cardId: string) => CachedCard | undefined;
  /** The hotlist as this till applies it now (hotlist-overlay.ts). */
  hotlist: () => ReadonlySet<string>;
  /** Read at each call: a reload may change it. */
  tapTimeoutMs: () => number;
}

export interface TappedCard {
  cardId: string;
  readerId: string;
  /** Whether this till has a snapshot of the card from the server. */
  known: boolean;
  memberName: string | null;
  cardType: string | null;
  /** As of the snapshot; a card on the hotlist the till holds is refused whatever this says. */
  status: CardStatus | null;
  hotlisted: boolean;
  /** When the snapshot came from the server (ISO), or null. */
  asOf: string | null;
}

/** Waits for the next tap (CT_NO_TAP after the tap time-out) and describes the card. */
export async function readTappedCard(deps: TappedCardDeps, readerId?: string): Promise<TappedCard> {
  const tap = await deps.taps.waitForTap(deps.tapTimeoutMs(), readerId);
  const cached = deps.cachedCard(tap.cardId);
  return {
    cardId: tap.cardId,
    readerId: tap.readerId,
    known: cached !== undefined,
    memberName: cached?.memberName ?? null,
    cardType: cached?.cardType ?? null,
    status: cached?.status ?? null,
    hotlisted: deps.hotlist().has(tap.cardId),
    asOf: cached ? new Date(cached.refreshedAt).toISOString() : null,
  };
}
