/**
 * The intent step of an online sale (docs/reconciliation.md), as the
 * decider sees it: an intent made durable before the server is asked, then settled by the
 * sale's outcome — its journal entry or the server's decline — or handed to the resolver
 * to release whatever the server may hold for a sale this till will not record.
 */
import type { Intent, IntentLog } from "../journal/intent-log.js";
import type { Logger } from "../logger.js";
import type { HoldResolver } from "../sync/hold-resolver.js";

export interface SaleIntents {
  /** Durable when it resolves; throws CT_STORE_WRITE_FAILED, and then the till must not ask. */
  record(intent: Intent): Promise<void>;
  /** The outcome is known (journaled, or declined by the server): nothing is left to resolve. */
  settled(txnId: string): void;
  /** Asked, and not journaled: release what the server may hold. */
  release(intent: Intent): void;
}

export function saleIntents(log: IntentLog, resolver: HoldResolver, logger: Logger): SaleIntents {
  return {
    record: (intent) => log.record(intent),
    settled: (txnId) => {
      log.done(txnId).catch((err: Error) => {
        // Not marked: after a restart the resolver asks once more, harmlessly.
        logger.warn({ txnId, err: err.message }, "intent settled but not marked in intents.log");
      });
    },
    release: (intent) => resolver.release(intent),
  };
}
