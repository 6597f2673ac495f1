/**
 * From a receipt request to what the printer gets: the template's document laid out as
 * markup, the job id it is filed under, and whether it opens the cash drawer.
 */
import { charsPerLine } from "../../drivers/printer/render-receipt.js";
import { balanceDoc } from "./balance-receipt.js";
import { cardEventDoc } from "./card-event-receipt.js";
import { countUseDoc } from "./count-use-receipt.js";
import { dailyCloseDoc } from "./daily-close-receipt.js";
import type { ReceiptRequest } from "./receipt-data.js";
import { docMarkup, type ReceiptDoc, type ReceiptLayout } from "./receipt-layout.js";
import { reversalDoc } from "./reversal-receipt.js";
import { saleDoc } from "./sale-receipt.js";
import { selfTestDoc } from "./self-test-receipt.js";
import { topUpDoc } from "./topup-receipt.js";

export function receiptDoc(req: ReceiptRequest, layout: ReceiptLayout): ReceiptDoc {
  switch (req.template) {
    case "sale":
      return saleDoc(req.data, layout);
    case "topup":
      return topUpDoc(req.data, layout);
    case "reversal":
      return reversalDoc(req.data, layout);
    case "count-use":
      return countUseDoc(req.data, layout);
    case "balance":
      return balanceDoc(req.data, layout);
    case "card-event":
      return cardEventDoc(req.data, layout);
    case "daily-close":
      return dailyCloseDoc(req.data, layout);
    case "self-test":
      return selfTestDoc(req.data, { ...layout, cpl: charsPerLine(layout.paperWidth) });
  }
}

/** The receipt as markup; `reprint` adds the REPRINT mark whatever the stored data says. */
export function receiptMarkup(req: ReceiptRequest, layout: ReceiptLayout, opts: { reprint?: boolean } = {}): string {
  const doc = receiptDoc(req, layout);
  return docMarkup(opts.reprint ? { ...doc, reprint: true } : doc, layout);
}

/**
 * The id a receipt is filed and reprinted under: the transaction id for transactions,
 * the terminal and time for slips that are not transactions.
 */
export function receiptJobId(req: ReceiptRequest): string {
  switch (req.template) {
    case "sale":
    case "topup":
    case "reversal":
    case "count-use":
    case "card-event":
      return req.data.txnId;
    case "balance":
      return `balance-${req.data.terminalId}-${Date.parse(req.data.at)}`;
    case "daily-close":
      return `close-${req.data.terminalId}-${req.data.businessDay}-${Date.parse(req.data.at)}`;
    case "self-test":
      return `selftest-${req.data.terminalId}-${Date.parse(req.data.at)}`;
  }
}

/** Receipts of transactions that take or give cash open the drawer (when one is wired). */
export function opensDrawer(req: ReceiptRequest): boolean {
  switch (req.template) {
    case "topup":
      return req.data.payment === "cash";
    case "reversal":
      return req.data.refundTo === "cash";
    case "card-event":
      return (req.data.event === "issue" || req.data.event === "recycle") && (req.data.deposit ?? 0) > 0;
    default:
      return false;
  }
}
