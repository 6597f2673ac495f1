/**
 * A reader as the sale flow sees it (TapSource subscribes once, at start-up), whose
 * device can be reopened with new settings by a config reload: a new serial path, baud
 * rate or line format. The slot keeps its id and forwards the current device's taps and
 * status; a swap closes the old device first (a serial port or an evdev grab is
 * exclusive) and then starts the new one.
 *
 * A swap does not wait for sales: a sale waiting for a tap keeps waiting and takes it
 * from the reopened device; a sale past its tap no longer needs the reader. Simulated
 * readers are never put in a slot — they have no device, and the sale flow recognises
 * them by class for card uids sent with an API request.
 */
import { CardReader, type CardTap, type ReaderStatus } from "../../drivers/readers/card-reader.js";

export class ReaderSlot extends CardReader {
  readonly id: string;
  private inner: CardReader;
  private readonly onTap = (tap: CardTap) => this.emit("tap", tap);
  private readonly onStatus = (status: ReaderStatus) => this.emit("status", status);

  constructor(inner: CardReader) {
    super();
    this.id = inner.id;
    this.inner = inner;
    this.attach(inner);
  }

  get type(): string {
    return this.inner.type;
  }

  /** The device in use now (for tests). */
  get current(): CardReader {
    return this.inner;
  }

  start(): Promise<void> {
    return this.inner.start();
  }

  close(): Promise<void> {
    return this.inner.close();
  }

  status(): ReaderStatus {
    return this.inner.status();
  }

  /** Close the old device, then open `next` in its place (its taps flow from then on). */
  async swap(next: CardReader): Promise<void> {
    const old = this.inner;
    this.detach(old);
    await old.close();
    this.inner = next;
    this.attach(next);
    await next.start();
  }

  private attach(reader: CardReader): void {
    reader.on("tap", this.onTap);
    reader.on("status", this.onStatus);
  }

  private detach(reader: CardReader): void {
    reader.off("tap", this.onTap);
    reader.off("status", this.onStatus);
  }
}
