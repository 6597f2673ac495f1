/**
 * Replies matched to requests by the correlation id in their payload (MQTT 3.1.1 has no
 * response-topic property), each waited for until a deadline. Shared by the online
 * authorisation and the till operations; a reply after the deadline finds no waiter.
 */
export class ReplyWaiters<T> {
  private readonly waiting = new Map<string, (reply: T) => void>();

  /** Run `send`, then wait for the reply to `corr`: the reply, or "timeout". */
  async wait(corr: string, timeoutMs: number, send: () => void): Promise<T | "timeout"> {
    let timer: NodeJS.Timeout | undefined;
    const replied = new Promise<T>((resolve) => this.waiting.set(corr, resolve));
    const deadline = new Promise<"timeout">((resolve) => {
      timer = setTimeout(() => resolve("timeout"), timeoutMs);
    });
    try {
      send();
      return await Promise.race([replied, deadline]);
    } finally {
      clearTimeout(timer);
      this.waiting.delete(corr);
    }
  }

  /** Hand a reply to its waiter; false when nobody waits for it any more (a late reply). */
  settle(corr: string, reply: T): boolean {
    const resolve = this.waiting.get(corr);
    resolve?.(reply);
    return resolve !== undefined;
  }
}
