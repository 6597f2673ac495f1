/**
 * Everything the ledger knows that a sale is judged on, read at one moment: the card and
 * its account as cached, the account's known balance, the outbox (what this till spent and
 * the server has not acknowledged), the card's and the till's offline exposure, the last
 * contact and where the journal stands. The decider takes one under its commit lock and
 * judges on it alone (agent/sale/sale-core.ts), like the server's ingest plans on rows it
 * read (server/ingest/), so nothing it judged on can change before its entry is durable.
 */
import type { JournalEntry } from "../../protocol/journal-entry.js";
import type { CardId } from "../../rules/card.js";
import type { Minor } from "../../rules/money.js";
import type { CardCache } from "./card-cache.js";
import { type Exposure, offlineExposureOf } from "./card-fold.js";
import type { CachedCard, JournalDoc } from "./journal-state.js";

export interface LedgerSnapshot {
  cardId: CardId;
  /** The card as cached; undefined for a card new to the till. */
  card: CachedCard | undefined;
  /** The account's snapshot to judge value, points and uses by (CardCache.accountSnapshot). */
  account: CachedCard | undefined;
  knownBalance: Minor | undefined;
  /** Entries not yet acknowledged, in sequence order. */
  pending: readonly JournalEntry[];
  /** The account of each card with a pending entry, as far as the card cache knows. */
  accountOfPending: ReadonlyMap<CardId, string | undefined>;
  /** Offline sales not yet acknowledged: the card's and the whole till's. */
  cardExposure: Exposure;
  terminalExposure: Exposure;
  lastContactAt: number | null;
  nextSeq: number;
  ackedSeq: number;
}

export function saleSnapshotOf(cardId: CardId, cards: CardCache, doc: JournalDoc): LedgerSnapshot {
  const account = cards.accountSnapshot(cardId);
  const accountOfPending = new Map<CardId, string | undefined>();
  for (const e of doc.pending)
    if (!accountOfPending.has(e.cardId)) accountOfPending.set(e.cardId, cards.accountOf(e.cardId));
  return {
    cardId,
    card: cards.card(cardId),
    account,
    knownBalance: cards.knownBalance(cardId, account),
    pending: doc.pending,
    accountOfPending,
    cardExposure: offlineExposureOf(doc.pending, cardId),
    terminalExposure: offlineExposureOf(doc.pending),
    lastContactAt: doc.lastContactAt,
    nextSeq: doc.nextSeq,
    ackedSeq: doc.ackedSeq,
  };
}
