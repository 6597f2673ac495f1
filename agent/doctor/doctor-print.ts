/**
 * Printing the self-test page from the doctor, when the agent is not running: straight
 * to the printer, not through the durable print queue. A diagnostic page is not a
 * receipt anyone is owed — one that failed must not come out of the printer by surprise
 * when the agent starts and drains its queue.
 */
import type { AgentConfig } from "../../config/agent-config.js";
import type { PrintResult, ReceiptPrinter } from "../../drivers/printer/receipt-printer.js";
import type { SelfTestReceiptData } from "../receipts/receipt-data.js";
import { receiptLayout } from "../receipts/receipt-setup.js";
import { receiptMarkup } from "../receipts/receipt-templates.js";

export function printSelfTestPage(
  printer: ReceiptPrinter,
  config: AgentConfig,
  data: SelfTestReceiptData,
): Promise<PrintResult> {
  const markup = receiptMarkup({ template: "self-test", data }, receiptLayout(config));
  return printer.print({ id: `doctor-${data.terminalId}-${Date.parse(data.at)}`, markup });
}
