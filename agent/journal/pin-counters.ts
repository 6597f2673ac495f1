/**
 * The offline PIN retry counters by card (rules/pin.ts; rule 9 in
 * docs/architecture.md#the-offline-rules), kept in the journal head. An attempt is counted
 * and made durable before the PIN is compared, so pulling the plug mid-check cannot buy
 * extra tries.
 */
import type { CardId } from "../../rules/card.js";
import { beforeCheck, NO_PIN_ATTEMPTS, type PinAttempts, type PinGate } from "../../rules/pin.js";
import type { PinRules } from "../../rules/policy.js";
import type { LedgerState } from "./ledger-state.js";

export class PinCounters {
  constructor(private readonly state: LedgerState) {}

  /** Steps 1–2 of a PIN check: count the attempt, durably. Returns whether the check may go ahead. */
  begin(cardId: CardId, now: number, rules: PinRules): Promise<PinGate> {
    return this.state.locked(async () => {
      const gate = beforeCheck(this.of(cardId), now, rules);
      await this.save(cardId, gate.next);
      return gate;
    });
  }

  /** Step 4: record the outcome (a correct PIN resets the count). */
  end(cardId: CardId, next: PinAttempts): Promise<void> {
    return this.state.locked(() => this.save(cardId, next));
  }

  /** The card's counter (for the cashier's "tries left"). */
  of(cardId: CardId): PinAttempts {
    return this.state.doc.pinAttempts?.[cardId] ?? NO_PIN_ATTEMPTS;
  }

  private async save(cardId: CardId, next: PinAttempts): Promise<void> {
    const doc = this.state.doc;
    const attempts = { ...doc.pinAttempts };
    if (next.failures === 0 && next.lockedUntil === null) delete attempts[cardId];
    else attempts[cardId] = next;
    this.state.doc = { ...doc, pinAttempts: attempts };
    await this.state.writeHeadOrRestore(doc);
  }
}
