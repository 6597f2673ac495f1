/**
 * The card-reader interface every reader driver implements (IC over PC/SC, ID over
 * serial, keyboard wedge, simulated). A driver turns a physical tap into exactly one
 * `tap` event carrying the normalised card id; it knows nothing of money.
 *
 * Drivers are supervised by themselves: a lost device is reopened with capped backoff
 * and shows in `status()`; a driver never throws out of its event handlers and never
 * takes the agent down.
 */
import { EventEmitter } from "node:events";
import type { CardId } from "../../rules/card.js";

export interface CardTap {
  readerId: string;
  cardId: CardId;
  /** Epoch milliseconds of the read, from the injected clock. */
  at: number;
}

/**
 * present: open and working; silent: open, but no event for a long time;
 * lost: was open, being reopened; error: cannot be opened (see detail);
 * unavailable: cannot work on this box at all (e.g. PC/SC library missing).
 */
export type ReaderState = "starting" | "present" | "silent" | "lost" | "error" | "unavailable" | "closed";

export interface ReaderStatus {
  id: string;
  type: string;
  state: ReaderState;
  /** ISO time of the last tap or device event, or null. */
  lastEventAt: string | null;
  detail?: string;
}

export interface CardReaderEvents {
  tap: [CardTap];
  status: [ReaderStatus];
}

export abstract class CardReader extends EventEmitter<CardReaderEvents> {
  abstract readonly id: string;
  abstract readonly type: string;
  /** Open the device; resolves once the first attempt is made (a failure is retried, not thrown). */
  abstract start(): Promise<void>;
  /** Stop reading and release the device; safe to call twice. */
  abstract close(): Promise<void>;
  abstract status(): ReaderStatus;
}
