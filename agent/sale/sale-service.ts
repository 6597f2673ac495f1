/**
 * The sale flow at the till: tap → price → decide → commit → print (DESIGN §3).
 *
 * The decision is durable before anything is shown or printed; a printer that fails
 * never undoes an approval — the outcome says the receipt did not print.
 */

import type { ReceiptPrinter } from "../../drivers/printer/receipt-printer.js";
import type { CardTap } from "../../drivers/readers/card-reader.js";
import { maskCardId } from "../../protocol/card.js";
import { assertMinor } from "../../protocol/money.js";
import { cardTypeOf, type PolicyDocument } from "../../protocol/policy.js";
import { crashPoint } from "../faults/crash-points.js";
import type { Logger } from "../logger.js";
import { saleReceiptMarkup } from "../receipts/sale-receipt.js";
import type { Decider } from "./decider.js";
import type { Decision } from "./decision.js";
import type { TapSource } from "./tap-source.js";

export interface SaleInput {
  /** Gross amount in minor units (fen). */
  amount: number;
  /** A card uid standing for a tap on the simulated reader; otherwise wait for a tap. */
  cardUid?: string;
  readerId?: string;
  operatorId?: string;
}

export interface ReceiptOutcome {
  jobId: string;
  printed: boolean;
  previewPng?: string;
  error?: string;
}

export interface SaleOutcome {
  decision: Decision;
  tap: CardTap;
  receipt: ReceiptOutcome | null;
}

export interface SaleServiceDeps {
  decider: Decider;
  taps: TapSource;
  printer: ReceiptPrinter;
  policy: () => PolicyDocument | undefined;
  newTxnId: () => string;
  afterCommit: () => void;
  log: Logger;
  settings: {
    storeName: string;
    terminalId: string;
    operatorId: string;
    tapTimeoutMs: number;
    language: "zh-CN" | "en";
    paperWidth: 58 | 80;
    timeZone: string;
  };
}

export class SaleService {
  constructor(private readonly deps: SaleServiceDeps) {}

  async sale(input: SaleInput): Promise<SaleOutcome> {
    assertMinor(input.amount, "sale amount");
    const { deps } = this;
    const tap =
      input.cardUid !== undefined
        ? deps.taps.simulatedTap(input.cardUid, input.readerId)
        : await deps.taps.waitForTap(deps.settings.tapTimeoutMs, input.readerId);
    crashPoint("sale:tapped");
    const operatorId = input.operatorId ?? deps.settings.operatorId;
    const decision = await deps.decider.decideSale({
      txnId: deps.newTxnId(),
      cardId: tap.cardId,
      gross: input.amount,
      operatorId,
    });
    deps.log.info(
      { txnId: decision.txnId, card: maskCardId(tap.cardId), approved: decision.approved, mode: decision.mode },
      "sale decided",
    );
    crashPoint("sale:decided");
    if (!decision.approved) return { decision, tap, receipt: null };
    crashPoint("sale:committed");
    deps.afterCommit();
    const receipt = await this.printReceipt(decision);
    crashPoint("sale:printed");
    return { decision, tap, receipt };
  }

  private async printReceipt(decision: Extract<Decision, { approved: true }>): Promise<ReceiptOutcome> {
    const { entry, card } = decision;
    const { settings, printer } = this.deps;
    const policy = this.deps.policy();
    const cardType = card && policy ? cardTypeOf(policy, card.cardType) : undefined;
    const markup = saleReceiptMarkup(
      {
        storeName: settings.storeName,
        terminalId: settings.terminalId,
        operatorId: entry.operatorId,
        txnId: entry.txnId,
        seq: entry.seq,
        at: entry.at,
        cardId: entry.cardId,
        memberName: card?.memberName ?? null,
        cardTypeName: cardType?.name ?? null,
        gross: entry.gross,
        discount: entry.discount,
        net: entry.net,
        pointsEarned: entry.pointsEarned,
        balanceAfter: decision.balanceAfter,
        mode: entry.mode,
      },
      { language: settings.language, paperWidth: settings.paperWidth, timeZone: settings.timeZone },
    );
    if (printer.type === "none") return { jobId: entry.txnId, printed: false, error: "no printer is configured" };
    try {
      const result = await printer.print({ id: entry.txnId, markup });
      return { jobId: entry.txnId, printed: true, previewPng: result.previewPng };
    } catch (err) {
      this.deps.log.error({ txnId: entry.txnId, err: (err as Error).message }, "receipt not printed");
      return { jobId: entry.txnId, printed: false, error: (err as Error).message };
    }
  }
}
