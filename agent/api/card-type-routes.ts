/**
 * The card types of the policy this till holds (GET /api/v1/card-types), so the POS app
 * and the console can offer 金卡 / 银卡 by name when a card is issued or its level changed,
 * instead of asking the cashier to type an id. Read from the cached policy: it works
 * offline, and it is exactly what the till prices with.
 */
import type { FastifyInstance } from "fastify";
import type { PolicyDocument } from "../../rules/policy.js";

export interface CardTypeRouteDeps {
  policy: () => PolicyDocument | undefined;
}

export function cardTypeRoutes(app: FastifyInstance, d: CardTypeRouteDeps): void {
  app.get("/api/v1/card-types", async () => {
    const policy = d.policy();
    return {
      policyVersion: policy?.version ?? null,
      cardTypes: Object.values(policy?.cardTypes ?? {}).map((c) => ({
        id: c.id,
        name: c.name,
        payRateBp: c.payRateBp,
        offlineAllowed: c.offlineAllowed,
      })),
    };
  });
}
