/**
 * Resolving the intents whose outcome the till does not know (agent/journal/intent-log.ts,
 * docs/reconciliation.md) with the server's `hold` operation (protocol/holds.ts):
 *
 * - at start-up, each intent a crash left open: `confirm` when the journal holds an entry
 *   for its txn (the entry will follow in the upload; the confirm only keeps the expiry job
 *   from releasing it meanwhile), `release` when it does not — the till never recorded the
 *   sale, so whatever the server holds for it goes back;
 * - while running, a sale that asked but did not end in a journal entry (the answer came
 *   too late and the offline rules declined, or the commit failed): `release`.
 *
 * One request at a time, whenever the link is up; an intent stays open (and on disk) until
 * the server has answered, however long it is unreachable. Every answer settles it — the
 * server's moves are idempotent, so asking twice after a crash is harmless.
 */
import type { Timer, Timers } from "../../lib/timers.js";
import { isCardtermError } from "../../protocol/errors.js";
import type { HoldAction } from "../../protocol/holds.js";
import type { Intent, IntentLog } from "../journal/intent-log.js";
import type { Logger } from "../logger.js";
import type { TillOpServer } from "./till-op-client.js";

export interface HoldResolverDeps {
  intents: IntentLog;
  server: Pick<TillOpServer, "hold" | "isConnected">;
  /** Whether the journal (pending entries) holds a transaction with this id. */
  journalHas: (txnId: string) => boolean;
  log: Logger;
  timeoutMs: number;
  /** How often to try again while intents wait (the link may have come back). */
  retryMs?: number;
  /** The clock a request is stamped with, and the timer of the retries. */
  now: () => number;
  timers: Timers;
}

export class HoldResolver {
  /** Intents to resolve, by txnId, with what to ask. */
  private readonly queue = new Map<string, { intent: Intent; action: HoldAction }>();
  private running: Promise<void> | undefined;
  private readonly timer: Timer;
  private closed = false;

  constructor(private readonly deps: HoldResolverDeps) {
    this.timer = deps.timers.setInterval(() => this.kick(), deps.retryMs ?? 5_000).unref();
  }

  /** The intents a previous run left open: confirm what the journal has, release the rest. */
  resolveLeftOver(): void {
    for (const intent of this.deps.intents.openIntents()) {
      const action: HoldAction = this.deps.journalHas(intent.txnId) ? "confirm" : "release";
      this.queue.set(intent.txnId, { intent, action });
    }
    if (this.queue.size > 0) this.deps.log.warn({ open: this.queue.size }, "intents left by the last run: resolving");
    this.kick();
  }

  /** A sale that asked the server and will not be journaled: release what the server may hold. */
  release(intent: Intent): void {
    this.queue.set(intent.txnId, { intent, action: "release" });
    this.kick();
  }

  /** How many intents wait for the server's word (status). */
  waiting(): number {
    return this.queue.size;
  }

  /** Try now if the link is up (on connect, on a new release, on the timer). */
  kick(): void {
    if (this.closed || this.running || this.queue.size === 0 || !this.deps.server.isConnected()) return;
    this.running = this.drain().finally(() => {
      this.running = undefined;
    });
  }

  /** Resolves once the current round is done (tests). */
  async idle(): Promise<void> {
    await this.running;
  }

  close(): void {
    this.closed = true;
    this.deps.timers.clearInterval(this.timer);
  }

  private async drain(): Promise<void> {
    for (const [txnId, { intent, action }] of [...this.queue]) {
      if (this.closed || !this.deps.server.isConnected()) return;
      if (!(await this.resolve(intent, action))) return; // unreachable: the timer tries again
      this.queue.delete(txnId);
    }
  }

  /** True when the server answered (the intent is settled). */
  private async resolve(intent: Intent, action: HoldAction): Promise<boolean> {
    const { txnId, cardId, amount, operatorId, businessDay } = intent;
    try {
      const reply = await this.deps.server.hold(
        {
          op: "hold",
          action,
          txnId,
          cardId,
          amount,
          operatorId,
          businessDay,
          at: new Date(this.deps.now()).toISOString(),
        },
        this.deps.timeoutMs,
      );
      if (reply.ok) this.deps.log.info(reply.hold, "hold resolved");
      else this.deps.log.warn({ txnId, action, code: reply.code, reason: reply.message }, "hold request refused");
    } catch (err) {
      if (isCardtermError(err, "CT_SERVER_TIMEOUT")) return false;
      this.deps.log.warn({ txnId, action, err: (err as Error).message }, "hold request failed");
      return false;
    }
    await this.deps.intents.done(txnId).catch((err: Error) => {
      // In memory it is settled; after a restart it is asked about once more, harmlessly.
      this.deps.log.warn({ txnId, err: err.message }, "intent settled but not marked in intents.log");
    });
    return true;
  }
}
