/**
 * The PC/SC readers one PcscReader serves: every reader pcscd announces whose name
 * contains `readerName` (all readers when unset), and what status says when none of them
 * is attached — a reader that went away is `lost`; one never seen is an `error` naming
 * the readers that were seen, so a technician can fix the filter.
 */
import type { PcscDevice } from "./pcsc-loader.js";

export interface Slot {
  device: PcscDevice;
  name: string;
  /** Bumped on every card on and off: a read finishing under an older number is late. */
  cardSeq: number;
}

export class PcscSlots {
  private readonly attached = new Map<string, Slot>();
  private readonly namesSeen = new Set<string>();
  private lastMatchingName: string | undefined;

  constructor(private readonly readerName: string | undefined) {}

  get size(): number {
    return this.attached.size;
  }

  names(): string[] {
    return [...this.attached.keys()];
  }

  /** Notes a reader pcscd announced; whether it is one of ours. */
  offered(name: string): boolean {
    this.namesSeen.add(name);
    const filter = this.readerName;
    return filter === undefined || name.toLowerCase().includes(filter.toLowerCase());
  }

  attach(device: PcscDevice): Slot {
    const slot: Slot = { device, name: device.name, cardSeq: 0 };
    this.attached.set(device.name, slot);
    this.lastMatchingName = device.name;
    return slot;
  }

  /** Forgets a reader that ended; false when it is not the one attached under its name. */
  remove(slot: Slot): boolean {
    if (this.attached.get(slot.name) !== slot) return false;
    this.attached.delete(slot.name);
    slot.cardSeq++;
    return true;
  }

  clear(): void {
    this.attached.clear();
  }

  presentDetail(): string {
    return `PC/SC: ${this.names().join(", ")}`;
  }

  noReader(): { state: "lost" | "error"; detail: string } {
    const filter = this.readerName === undefined ? "" : ` matching "${this.readerName}"`;
    if (this.lastMatchingName !== undefined) {
      const detail = `CT_READER_LOST: PC/SC reader "${this.lastMatchingName}" is gone; waiting for a reader${filter}`;
      return { state: "lost", detail };
    }
    const seen = this.namesSeen.size === 0 ? "none" : [...this.namesSeen].join(", ");
    const detail = `CT_READER_UNAVAILABLE: no PC/SC reader${filter} is attached (readers seen: ${seen}); plug it in`;
    return { state: "error", detail };
  }
}
