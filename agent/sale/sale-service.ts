/**
 * The sale flow at the till: tap → price → decide → commit → print
 * (docs/architecture.md#a-sale-from-tap-to-receipt).
 *
 * The decision is durable before anything is shown or printed. The receipt goes to the
 * durable print queue, which the approval waits on for at most `receiptWaitMs` (about a
 * second: the common case, a printer that answers, reports `printed: true`); a slow or
 * absent printer makes it `"queued"` and it prints when the printer returns. A printer
 * never undoes or holds up an approval.
 */

import type { CardTap } from "../../drivers/readers/card-reader.js";
import { CardtermError } from "../../protocol/errors.js";
import { maskCardId } from "../../rules/card.js";
import { assertMinor } from "../../rules/money.js";
import { cardTypeOf, type PolicyDocument } from "../../rules/policy.js";
import { crashPoint } from "../faults/crash-points.js";
import type { Logger } from "../logger.js";
import type { ReceiptOutcome } from "../receipts/print-queue.js";
import type { ReceiptRequest } from "../receipts/receipt-data.js";
import type { Decider } from "./decider.js";
import type { Decision } from "./decision.js";
import { saleReceiptRequest } from "./sale-receipt-request.js";
import type { TapSource } from "./tap-source.js";

export interface SaleInput {
  /** Gross amount in minor units (fen). */
  amount: number;
  /** A card uid standing for a tap on the simulated reader; otherwise wait for a tap. */
  cardUid?: string;
  readerId?: string;
  operatorId?: string;
  /** The PIN the member typed on the PIN pad, when the card type asks for one. Never logged. */
  pin?: string;
  /** Points to pay part of the bill with (积分抵扣), at the policy's rate and share. */
  redeemPoints?: number;
  /**
   * A count-card use (次卡核销): the package and how many uses (default 1). With an amount
   * of 0 the sale is the use alone; with an amount it is paid and used in one transaction.
   */
  countUse?: { packageId: string; uses?: number };
}

export type { ReceiptOutcome } from "../receipts/print-queue.js";

/** Where receipts go: the print queue (agent/receipts/print-queue.ts). Never rejects. */
export interface ReceiptSink {
  submit(request: ReceiptRequest, waitMs?: number): Promise<ReceiptOutcome>;
}

export interface SaleOutcome {
  decision: Decision;
  tap: CardTap;
  receipt: ReceiptOutcome | null;
}

export interface SaleServiceDeps {
  decider: Decider;
  taps: TapSource;
  receipts: ReceiptSink;
  policy: () => PolicyDocument | undefined;
  newTxnId: () => string;
  afterCommit: () => void;
  /** Told each decision as it is made (the metrics count sales here, not by reading the journal). */
  onDecision?: (decision: Decision) => void;
  log: Logger;
  settings: {
    storeName: string;
    terminalId: string;
    operatorId: string;
    tapTimeoutMs: number;
    /** How long the approval waits for the receipt to print before calling it queued. */
    receiptWaitMs: number;
  };
}

export class SaleService {
  constructor(private readonly deps: SaleServiceDeps) {}

  /** The policy the sales are priced by (the event stream names the member's level from it). */
  policy(): PolicyDocument | undefined {
    return this.deps.policy();
  }

  /** Settings from a config reload; a sale already started keeps the ones it read at its start. */
  reconfigure(settings: SaleServiceDeps["settings"]): void {
    this.deps.settings = settings;
  }

  async sale(input: SaleInput): Promise<SaleOutcome> {
    assertMinor(input.amount, "sale amount");
    if (input.amount === 0 && !input.countUse) {
      throw new CardtermError("CT_BAD_REQUEST", "a sale of 0 is only a count-card use: give countUse or an amount");
    }
    const { deps } = this;
    const settings = deps.settings;
    const tap =
      input.cardUid !== undefined
        ? deps.taps.simulatedTap(input.cardUid, input.readerId)
        : await deps.taps.waitForTap(settings.tapTimeoutMs, input.readerId);
    crashPoint("sale:tapped");
    const operatorId = input.operatorId ?? settings.operatorId;
    const decision = await deps.decider.decideSale({
      txnId: deps.newTxnId(),
      cardId: tap.cardId,
      gross: input.amount,
      operatorId,
      pin: input.pin,
      redeemPoints: input.redeemPoints,
      countUse: input.countUse && { packageId: input.countUse.packageId, uses: input.countUse.uses ?? 1 },
    });
    deps.log.info(
      { txnId: decision.txnId, card: maskCardId(tap.cardId), approved: decision.approved, mode: decision.mode },
      "sale decided",
    );
    deps.onDecision?.(decision);
    crashPoint("sale:decided");
    if (!decision.approved) return { decision, tap, receipt: null };
    crashPoint("sale:committed");
    deps.afterCommit();
    const receipt = await this.printReceipt(decision, settings);
    crashPoint("sale:printed");
    return { decision, tap, receipt };
  }

  private async printReceipt(
    decision: Extract<Decision, { approved: true }>,
    settings: SaleServiceDeps["settings"],
  ): Promise<ReceiptOutcome> {
    const { entry, card } = decision;
    const policy = this.deps.policy();
    const cardType = card && policy ? cardTypeOf(policy, card.cardType) : undefined;
    const request: ReceiptRequest = saleReceiptRequest(decision, {
      storeName: settings.storeName,
      terminalId: settings.terminalId,
      cardTypeName: cardType?.name ?? null,
    });
    try {
      const outcome = await this.deps.receipts.submit(request, settings.receiptWaitMs);
      if (outcome.printed !== true) {
        this.deps.log.warn(
          { txnId: entry.txnId, printed: outcome.printed, err: outcome.error },
          "receipt not printed yet",
        );
      }
      return outcome;
    } catch (err) {
      // The sink never rejects; if it ever does, the approval still stands.
      this.deps.log.error({ txnId: entry.txnId, err: (err as Error).message }, "receipt not printed");
      return { jobId: entry.txnId, printed: false, error: (err as Error).message };
    }
  }
}
