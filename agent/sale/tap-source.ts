/**
 * Where a sale gets its card: the next tap on any configured reader (or one named
 * reader), or a card uid given with the request, which stands for a tap on the
 * simulated reader. A tap with no sale waiting is reported, not kept: a card left on a
 * reader must not pay for the next customer's sale.
 */
import { EventEmitter } from "node:events";
import type { CardReader, CardTap } from "../../drivers/readers/card-reader.js";
import { SimulatedReader } from "../../drivers/readers/simulated-reader.js";
import { realTimers, type Timers } from "../../lib/timers.js";
import { CardtermError } from "../../protocol/errors.js";
import { maskCardId } from "../../rules/card.js";
import type { Logger } from "../logger.js";

interface Waiter {
  readerId: string | undefined;
  resolve: (tap: CardTap) => void;
  cancel: () => void;
}

export class TapSource extends EventEmitter<{ tap: [CardTap] }> {
  private waiters: Waiter[] = [];

  constructor(
    readonly readers: CardReader[],
    private readonly log: Logger,
    /** The tap wait's deadline (default Node's timers). */
    private readonly timers: Timers = realTimers,
  ) {
    super();
    for (const reader of readers) reader.on("tap", (tap) => this.onTap(tap));
  }

  private onTap(tap: CardTap): void {
    this.emit("tap", tap);
    const i = this.waiters.findIndex((w) => w.readerId === undefined || w.readerId === tap.readerId);
    if (i < 0) {
      this.log.info({ reader: tap.readerId, card: maskCardId(tap.cardId) }, "card tapped with no sale waiting");
      return;
    }
    const [waiter] = this.waiters.splice(i, 1);
    waiter?.resolve(tap);
  }

  /** Wait for the next tap; rejects with CT_NO_TAP after `timeoutMs`. */
  waitForTap(timeoutMs: number, readerId?: string): Promise<CardTap> {
    if (readerId !== undefined && !this.readers.some((r) => r.id === readerId)) {
      return Promise.reject(new CardtermError("CT_NOT_FOUND", `no reader with id "${readerId}" is configured`));
    }
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        readerId,
        resolve: (tap) => {
          this.timers.clearTimeout(timer);
          resolve(tap);
        },
        cancel: () => {
          this.timers.clearTimeout(timer);
          reject(new CardtermError("CT_NO_TAP", "the wait for a card was cancelled at the till"));
        },
      };
      const timer = this.timers.setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        reject(new CardtermError("CT_NO_TAP", `no card was tapped within ${Math.round(timeoutMs / 1000)} s`));
      }, timeoutMs);
      this.waiters.push(waiter);
    });
  }

  /**
   * The cashier cancelled the wait for a card (the console's 取消): every request waiting
   * for a tap ends with CT_NO_TAP at once, so a card tapped afterwards pays for nothing.
   * A tap that arrived first has been handed over already and goes on. Returns how many ended.
   */
  cancelWaiting(): number {
    const waiting = this.waiters;
    this.waiters = [];
    for (const w of waiting) w.cancel();
    return waiting.length;
  }

  /** A card uid given with an API request: a tap on the (first) simulated reader. */
  simulatedTap(uid: string, readerId?: string): CardTap {
    const reader = this.readers.find(
      (r): r is SimulatedReader => r instanceof SimulatedReader && (readerId === undefined || r.id === readerId),
    );
    if (!reader) {
      throw new CardtermError("CT_BAD_REQUEST", "a card uid was given but no simulated reader is configured");
    }
    let tap: CardTap;
    try {
      tap = reader.read(uid);
    } catch {
      throw new CardtermError("CT_BAD_REQUEST", `"${uid}" is not a valid card uid`);
    }
    this.emit("tap", tap);
    return tap;
  }
}
