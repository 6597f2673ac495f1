import { realTimers, type Timer, type Timers } from "../../lib/timers.js";

/**
 * Replies matched to requests by the correlation id in their payload (MQTT 3.1.1 has no
 * response-topic property), each waited for until a deadline. Shared by the online
 * authorisation and the till operations; a reply after the deadline finds no waiter.
 */
export class ReplyWaiters<T> {
  private readonly waiting = new Map<string, { resolve: (reply: T) => void; reject: (err: Error) => void }>();

  constructor(private readonly timers: Timers = realTimers) {}

  /** Run `send`, then wait for the reply to `corr`: the reply, or "timeout"; throws what fail() gives it. */
  async wait(corr: string, timeoutMs: number, send: () => void): Promise<T | "timeout"> {
    let timer: Timer | undefined;
    const replied = new Promise<T>((resolve, reject) => this.waiting.set(corr, { resolve, reject }));
    const deadline = new Promise<"timeout">((resolve) => {
      timer = this.timers.setTimeout(() => resolve("timeout"), timeoutMs);
    });
    try {
      send();
      return await Promise.race([replied, deadline]);
    } finally {
      this.timers.clearTimeout(timer);
      this.waiting.delete(corr);
    }
  }

  /** Hand a reply to its waiter; false when nobody waits for it any more (a late reply). */
  settle(corr: string, reply: T): boolean {
    const waiter = this.waiting.get(corr);
    waiter?.resolve(reply);
    return waiter !== undefined;
  }

  /** End the wait for `corr` with `err` (head office refused the request); false when nobody waits for it. */
  fail(corr: string, err: Error): boolean {
    const waiter = this.waiting.get(corr);
    waiter?.reject(err);
    return waiter !== undefined;
  }
}
