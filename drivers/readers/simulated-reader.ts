/**
 * A reader with no device: taps come from the local API (`POST /api/v1/sales` with a
 * card uid, or the demo). Used by the demo and by tests of everything above the drivers.
 */
import { type CardId, cardId, isCardId } from "../../rules/card.js";
import { CardReader, type CardTap, type ReaderStatus } from "./card-reader.js";

export class SimulatedReader extends CardReader {
  readonly type = "simulated";
  private lastEventAt: string | null = null;
  private closed = false;

  constructor(
    readonly id: string,
    private readonly now: () => number = Date.now,
  ) {
    super();
  }

  async start(): Promise<void> {
    this.closed = false;
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  /** Present a card as if tapped: emits `tap` like a real reader. */
  tap(uid: string): CardId {
    const tap = this.read(uid);
    this.emit("tap", tap);
    return tap.cardId;
  }

  /**
   * Read a card without emitting: for a card uid that comes with an API request and
   * belongs to that request only. A full card id (`ic:04A1…`) or a bare uid, taken as
   * an IC card. Throws TypeError on an invalid uid.
   */
  read(uid: string): CardTap {
    const id: CardId = isCardId(uid) ? uid : cardId("ic", uid);
    const at = this.now();
    this.lastEventAt = new Date(at).toISOString();
    return { readerId: this.id, cardId: id, at };
  }

  status(): ReaderStatus {
    return { id: this.id, type: this.type, state: this.closed ? "closed" : "present", lastEventAt: this.lastEventAt };
  }
}
