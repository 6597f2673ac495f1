/**
 * A FIFO async lock: the offline check and the durable commit run as one step, so two
 * taps on two readers of the same box can never both pass a check only one of them fits
 * (DESIGN §4).
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
