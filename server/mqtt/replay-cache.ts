/**
 * Message ids seen within the time window (protocol/message-mac.ts): a sealed request whose
 * id comes again is a replay. An id is remembered until its message would be refused as
 * stale anyway (its clock + the window), so the cache holds at most two windows of the
 * chain's sealed requests — only sealed ones that verified, so a forger cannot fill it.
 *
 * Bounded all the same: past `max` ids the oldest is forgotten (and counted), which only
 * a chain sending more than `max` requests per two windows could cause. One cache per
 * server instance: with several instances sharing the uplinks, a replay delivered to
 * another instance is not caught here, but it still cannot move money twice (the ledger
 * is exactly-once by txnId, docs/security.md).
 */
export class ReplayCache {
  /** key → expiry (epoch ms), in insertion order. */
  readonly #seen = new Map<string, number>();
  #evicted = 0;

  constructor(private readonly max = 200_000) {}

  /** Records `id` of `terminalId` until `expiresAt`; false when it was already there (a replay). */
  firstSight(terminalId: string, id: string, expiresAt: number, now: number): boolean {
    const key = `${terminalId}\u0000${id}`;
    const known = this.#seen.get(key);
    if (known !== undefined && known >= now) return false;
    this.prune(now);
    this.#seen.set(key, expiresAt);
    if (this.#seen.size > this.max) {
      const oldest = this.#seen.keys().next().value;
      if (oldest !== undefined) this.#seen.delete(oldest);
      this.#evicted += 1;
    }
    return true;
  }

  get size(): number {
    return this.#seen.size;
  }

  get evicted(): number {
    return this.#evicted;
  }

  /** Drops expired ids from the front (ids arrive roughly in expiry order; a late early one waits its turn). */
  private prune(now: number): void {
    for (const [key, expiresAt] of this.#seen) {
      if (expiresAt >= now) break;
      this.#seen.delete(key);
    }
  }
}
