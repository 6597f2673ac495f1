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
