/**
 * A FIFO async lock: what runs under it runs one at a time, in the order asked. The till's
 * offline check and its durable commit are one step under one (agent/sale/decider.ts), so
 * two taps on two readers of the same box can never both pass a check only one of them
 * fits (docs/architecture.md#a-sale-from-tap-to-receipt); the ledger's writes take another.
 * Below agent/ and server/: it knows nothing of either.
 */
export class SerialLock {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(fn: () => Promise<T>): Promise<T> {
    const result = this.tail.then(fn, fn);
    this.tail = result.catch(() => undefined);
    return result;
  }
}

/** One SerialLock per key (e.g. per card), dropped when idle so the map does not grow. */
export class KeyedLock {
  private readonly locks = new Map<string, { lock: SerialLock; users: number }>();

  async run<T>(key: string, fn: () => Promise<T>): Promise<T> {
    let slot = this.locks.get(key);
    if (!slot) {
      slot = { lock: new SerialLock(), users: 0 };
      this.locks.set(key, slot);
    }
    slot.users += 1;
    try {
      return await slot.lock.run(fn);
    } finally {
      slot.users -= 1;
      if (slot.users === 0) this.locks.delete(key);
    }
  }
}
