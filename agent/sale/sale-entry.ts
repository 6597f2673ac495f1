/**
 * The journal entry of an approved sale, online (the server's figures) or offline (the
 * till's pricing). Points redeemed and a count use are written only when the sale has
 * them, so a plain sale's entry is byte for byte what it always was.
 */
import type { AuthReply } from "../../protocol/messages.js";
import type { PricedSale } from "../../rules/pricing.js";
import type { NewEntry } from "../journal/terminal-ledger.js";
import type { SaleRequest } from "./sale-request.js";

type Approved = Extract<AuthReply, { approved: true }>;

export function onlineSaleEntry(req: SaleRequest, reply: Approved, at: string, day: string): NewEntry {
  return {
    ...head(req, "online", at, day),
    gross: reply.gross,
    discount: reply.discount,
    net: reply.net,
    bonus: 0,
    pointsEarned: reply.pointsEarned,
    balanceAfter: reply.balanceAfter,
    ...redeemed(reply.pointsRedeemed ?? 0, reply.redeemedMinor ?? 0),
    // The server approves a use only as asked (a repeat with another use is refused).
    ...used(req.countUse),
  };
}

export function offlineSaleEntry(req: SaleRequest, price: PricedSale, at: string, day: string): NewEntry {
  return {
    ...head(req, "offline", at, day),
    gross: price.gross,
    discount: price.discount,
    net: price.net,
    bonus: 0,
    pointsEarned: price.pointsEarned,
    balanceAfter: null,
    ...redeemed(price.pointsRedeemed, price.pointsValue),
    ...used(req.countUse),
  };
}

function head(req: SaleRequest, mode: "online" | "offline", at: string, businessDay: string) {
  return {
    txnId: req.txnId,
    kind: "sale" as const,
    mode,
    at,
    businessDay,
    operatorId: req.operatorId,
    cardId: req.cardId,
  };
}

function redeemed(points: number, minor: number): Partial<NewEntry> {
  return points > 0 ? { pointsRedeemed: points, redeemedMinor: minor } : {};
}

function used(use: { packageId: string; uses: number } | undefined): Partial<NewEntry> {
  return use ? { countPackageId: use.packageId, countUses: use.uses } : {};
}
