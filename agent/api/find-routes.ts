/**
 * The routes that find the card an operation is on, built from what the till
 * operations already hold (their link to the server, readers, card cache, settings):
 * a member by phone or number (member-routes.ts) and a card by a tap (card-read-route.ts).
 */
import type { FastifyInstance } from "fastify";
import type { HotlistOverlay } from "../till/hotlist-overlay.js";
import { MemberFinder } from "../till/member-find.js";
import type { TillOpsDeps } from "../till/till-operations.js";
import type { ApiAuth } from "./api-auth.js";
import { cardReadRoute } from "./card-read-route.js";
import { memberRoutes } from "./member-routes.js";

export interface FindRouteDeps {
  auth: ApiAuth;
  till: TillOpsDeps;
  hotlist: Pick<HotlistOverlay, "view">;
}

export function registerFindRoutes(app: FastifyInstance, d: FindRouteDeps): void {
  const { till } = d;
  memberRoutes(app, { auth: d.auth, finder: new MemberFinder(till), cardTypeName: till.cardTypeName });
  cardReadRoute(app, {
    auth: d.auth,
    cardTypeName: till.cardTypeName,
    tapped: {
      taps: till.taps,
      cachedCard: (cardId) => till.ledger.card(cardId),
      hotlist: () => d.hotlist.view(),
      // The settings object is live (runtime/live-config.ts): a reload's tap time-out holds at once.
      tapTimeoutMs: () => till.settings.tapTimeoutMs,
    },
  });
}
