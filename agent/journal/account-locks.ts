/**
 * One money decision per account at a time at this till: a sale, a
 * top-up, a refund or a void on any card of an account waits for the one before it. The
 * snapshot a server reply carries then always holds exactly the online entries this till
 * journaled before it asked: a top-up authorised at the server before a sibling card's
 * sale, but journaled after it, could otherwise be counted twice — once in the sale's
 * snapshot and once as a pending entry — and the till would know of money that is not there.
 *
 * A decision whose account the till does not know yet (a card new to it, a refund whose
 * original it no longer holds) could be on any account, so it runs alone: it waits for the
 * decisions in progress, and new ones wait for it. Different accounts go in parallel.
 */
import { KeyedLock, SerialLock } from "../../lib/serial-lock.js";

export class AccountLocks {
  private readonly keyed = new KeyedLock();
  private readonly alone = new SerialLock();
  /** Keyed sections running now. */
  private running = 0;
  /** Resolves when no section that runs alone is waiting or running. */
  private gate: Promise<void> = Promise.resolve();
  private drained: (() => void) | undefined;

  /** Run `fn` for the account `key`, or alone when the account is not known (undefined). */
  async run<T>(key: string | undefined, fn: () => Promise<T>): Promise<T> {
    if (key === undefined) return this.runAlone(fn);
    // Checked and counted in one synchronous step, so a section that starts to run alone
    // either sees this one running or makes it wait.
    for (let g = this.gate; ; g = this.gate) {
      await g;
      if (g === this.gate) break;
    }
    this.running += 1;
    try {
      return await this.keyed.run(key, fn);
    } finally {
      this.running -= 1;
      if (this.running === 0) this.drained?.();
    }
  }

  private runAlone<T>(fn: () => Promise<T>): Promise<T> {
    return this.alone.run(async () => {
      let open: () => void = () => undefined;
      this.gate = new Promise<void>((resolve) => {
        open = resolve;
      });
      try {
        while (this.running > 0)
          await new Promise<void>((resolve) => {
            this.drained = resolve;
          });
        return await fn();
      } finally {
        this.drained = undefined;
        open();
      }
    });
  }
}
