/**
 * POST /api/v1/sales: a sale, optionally paying part with points (redeemPoints) or using a
 * count package (countUse), decided and durable before the reply. The event stream hears
 * the card (`tap`: masked number, member, level, balance, points, packages) and then the
 * decision — card numbers masked, never a PIN or its hash.
 */
import type { FastifyInstance } from "fastify";
import { maskCardId } from "../../rules/card.js";
import { cardTypeOf, type PolicyDocument } from "../../rules/policy.js";
import type { Decision } from "../sale/decision.js";
import type { SaleInput, SaleOutcome, SaleService } from "../sale/sale-service.js";
import { type ApiAuth, operatorFor } from "./api-auth.js";
import type { EventHub } from "./events.js";
import { saleRequestSchema } from "./openapi.js";

export interface SaleRouteDeps {
  sales: SaleService;
  auth: ApiAuth;
  events: EventHub;
}

export function saleRoute(app: FastifyInstance, deps: SaleRouteDeps): void {
  app.post<{ Body: SaleInput }>("/api/v1/sales", { schema: { body: saleRequestSchema } }, async (req) => {
    const operatorId = deps.auth.sessions.loginRequired
      ? operatorFor(req, deps.auth, "sale")
      : (req.body.operatorId ?? deps.auth.defaultOperatorId);
    const outcome = await deps.sales.sale({ ...req.body, operatorId });
    const tap = tapEvent(outcome, deps.sales.policy());
    if (tap) deps.events.publish({ type: "tap", data: tap });
    const body = saleReply(outcome);
    deps.events.publish({ type: "decision", data: { ...body, receipt: undefined } });
    return body;
  });
}

/**
 * The card of the sale as the POS shows it: after the sale when approved (online the
 * server's figures; offline what the till knows), as the server or cache had it when
 * declined. None for a card nobody knows.
 */
export function tapEvent(outcome: SaleOutcome, policy: PolicyDocument | undefined): Record<string, unknown> | null {
  const { decision, tap } = outcome;
  const card = decision.card;
  if (!card) return null;
  const after = decision.approved ? decision.balanceAfter : card.balance;
  return {
    card: maskCardId(tap.cardId),
    memberName: card.memberName,
    cardType: card.cardType,
    level: (policy && cardTypeOf(policy, card.cardType)?.name) ?? card.cardType,
    balance: after ?? card.balance,
    points: pointsAfter(decision),
    packages: packagesAfter(decision).map((p) => ({
      packageId: p.packageId,
      service: p.service,
      remainingUses: p.remainingUses,
      expiresOn: p.expiresOn ?? null,
    })),
  };
}

function pointsAfter(decision: Decision): number {
  const card = decision.card!;
  // Online the reply's card is after the sale; offline the cached one is before it.
  if (!decision.approved || decision.mode === "online") return card.points;
  return card.points - (decision.entry.pointsRedeemed ?? 0);
}

function packagesAfter(decision: Decision) {
  const packages = decision.card?.packages ?? [];
  const used = decision.approved ? decision.countUse : undefined;
  return used ? packages.map((p) => (p.packageId === used.packageId ? { ...p, ...used } : p)) : packages;
}

export function saleReply(outcome: SaleOutcome): Record<string, unknown> {
  const { decision, tap } = outcome;
  const card = decision.card
    ? { id: maskCardId(tap.cardId), memberName: decision.card.memberName, cardType: decision.card.cardType }
    : { id: maskCardId(tap.cardId) };
  if (!decision.approved) {
    return {
      approved: false,
      mode: decision.mode,
      txnId: decision.txnId,
      code: decision.code,
      reason: decision.reason,
      card,
    };
  }
  const e = decision.entry;
  const use = decision.countUse;
  return {
    approved: true,
    mode: decision.mode,
    txnId: decision.txnId,
    card,
    transaction: {
      seq: e.seq,
      at: e.at,
      businessDay: e.businessDay,
      gross: e.gross,
      discount: e.discount,
      net: e.net,
      pointsEarned: e.pointsEarned,
      pointsRedeemed: e.pointsRedeemed ?? 0,
      redeemedMinor: e.redeemedMinor ?? 0,
      ...(use
        ? {
            countUse: {
              packageId: use.packageId,
              service: use.service,
              uses: use.uses,
              remainingUses: use.remainingUses,
            },
          }
        : {}),
      operatorId: e.operatorId,
    },
    balanceAfter: decision.balanceAfter,
    receipt: outcome.receipt,
  };
}
