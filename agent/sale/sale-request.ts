/**
 * What a sale asks the decider: the card tapped, the amount and what pays for it. Its own
 * file so that the decider, its pure core and the journal entry it writes all read it from
 * below them, none from another.
 */
import type { CardId } from "../../rules/card.js";
import type { CountUseAsk } from "../../rules/sale-rules.js";

export interface SaleRequest {
  txnId: string;
  cardId: CardId;
  gross: number;
  operatorId: string;
  /** The PIN the member typed, when the card type asks for one at this amount. Never logged. */
  pin?: string | undefined;
  /** Points to pay part of the bill with (积分抵扣); cut to the policy's share, declined beyond what is held. */
  redeemPoints?: number | undefined;
  /** A count-card use (次卡核销) with the sale. */
  countUse?: CountUseAsk | undefined;
}
