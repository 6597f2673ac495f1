/**
 * The till's `hold` operation (protocol/holds.ts): confirm or release the hold of an
 * online approval whose outcome the till's intent log left open. The ledger moves are in
 * server/ledger/holds.ts; a till may move only its own holds.
 *
 * No operator check (role-check.ts): the till resolves a sale it already asked for under
 * an operator the server checked then, and refusing a release because the operator has
 * since been disabled would only leave the member's money held until the expiry job.
 */
import type { HoldDoneReply, TillOpRequest } from "../../protocol/till-ops.js";
import type { Db } from "../db/db.js";
import { confirmHold, releaseHold } from "../ledger/holds.js";

export async function handleHold(db: Db, req: Extract<TillOpRequest, { op: "hold" }>): Promise<HoldDoneReply> {
  const hold =
    req.action === "release"
      ? await releaseHold(db, {
          txnId: req.txnId,
          terminalId: req.terminalId,
          cardId: req.cardId,
          amount: req.amount,
          by: "till",
        })
      : await confirmHold(db, req.txnId, req.terminalId);
  return { v: 1, corr: req.corr, ok: true, hold };
}
