/**
 * From card reads to `tap` events: the same card read again within debounceMs of its
 * last read is the card still lying on the reader, counted but not a new tap.
 */
import { type CardId, maskCardId } from "../../rules/card.js";
import type { CardTap } from "./card-reader.js";
import { type ReaderLog, safely } from "./reader-deps.js";

export interface TapCounters {
  taps: number;
  debounced: number;
}

export interface TapDebouncerOptions {
  readerId: string;
  debounceMs: number;
  /** The driver's own stats, whose taps and debounced this counts. */
  counters: TapCounters;
  log: ReaderLog;
  emit: (tap: CardTap) => void;
}

export class TapDebouncer {
  private lastCard: { id: CardId; at: number } | undefined;

  constructor(private readonly options: TapDebouncerOptions) {}

  /** `fields` are added to the debug log of a tap (e.g. which PC/SC reader read it). */
  accept(card: CardId, at: number, fields: Record<string, unknown> = {}): void {
    const { readerId, counters, log } = this.options;
    const last = this.lastCard;
    this.lastCard = { id: card, at };
    const sinceLast = last?.id === card ? at - last.at : Number.POSITIVE_INFINITY;
    if (sinceLast >= 0 && sinceLast < this.options.debounceMs) {
      counters.debounced++;
      return;
    }
    counters.taps++;
    log("debug", "card read", { reader: readerId, ...fields, card: maskCardId(card) });
    safely(log, readerId, "tap", () => this.options.emit({ readerId, cardId: card, at }));
  }
}
