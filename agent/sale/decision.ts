/** What the agent answers for a debit: approved with its journal entry, or declined with a reason a cashier reads. */

import type { JournalEntry, TxnMode } from "../../protocol/journal-entry.js";
import type { AppliedCountUse } from "../../protocol/messages.js";
import type { CardSnapshot } from "../../rules/card.js";
import type { AnyDeclineCode } from "../../rules/decline-text.js";

export type Decision =
  | {
      approved: true;
      mode: TxnMode;
      txnId: string;
      entry: JournalEntry;
      card: CardSnapshot | null;
      balanceAfter: number | null;
      /** The count package used, as it stands after the use (for the receipt and the POS). */
      countUse?: AppliedCountUse | undefined;
    }
  | { approved: false; mode: TxnMode; txnId: string; code: AnyDeclineCode; reason: string; card: CardSnapshot | null };
