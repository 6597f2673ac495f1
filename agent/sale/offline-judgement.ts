/**
 * The offline judgement of a sale, from what the till holds
 * (docs/architecture.md#the-offline-rules): the limits and the known balance
 * (rules/offline-rules.ts), then the card rules on the cached snapshot minus what this till's
 * unsynced entries already spent (rules/sale-rules.ts, unsynced-spend.ts) — points redeemed
 * never beyond the points it knows of, uses never beyond the uses it knows are left, a
 * sub-card's limits on the day's spending it knows.
 *
 * Stored value, points and uses are the account's: judged on the
 * account's snapshot and on every unsynced entry of its cards; the per-card offline limits
 * and a sub-card's own limits on the card's own figures. A decline carries the limit and
 * what is left under it, for the cashier's words (rules/decline-detail.ts).
 *
 * Pure: it reads the ledger's snapshot (agent/journal/sale-snapshot.ts), which the decider
 * takes under the lock it commits under, so the facts cannot change in between. The PIN
 * comes after it (it writes a counter).
 */
import type { CountPackage } from "../../rules/count-card.js";
import { type DeclineDetail, roomOf, subCardRoom } from "../../rules/decline-detail.js";
import type { AnyDeclineCode } from "../../rules/decline-text.js";
import type { HotlistReason } from "../../rules/hotlist-reason.js";
import { judgeOffline, type OfflineFacts, type OfflineLimits } from "../../rules/offline-rules.js";
import type { CardTypePolicy } from "../../rules/policy.js";
import { type PricedSale, priceSale } from "../../rules/pricing.js";
import { judgeSaleRules, packageOf } from "../../rules/sale-rules.js";
import type { CachedCard } from "../journal/journal-state.js";
import type { LedgerSnapshot } from "../journal/sale-snapshot.js";
import type { SaleRequest } from "./sale-request.js";
import { snapshotSpent, unsyncedSpend } from "./unsynced-spend.js";

export interface OfflineContext {
  limits: OfflineLimits;
  card: CachedCard | undefined;
  cardType: CardTypePolicy | undefined;
  onHotlist: boolean;
  hotlistReason?: HotlistReason | undefined;
  at: number;
  day: string;
}

export type OfflineJudgement =
  | { ok: true; price: PricedSale; countUse: (CountPackage & { uses: number }) | undefined }
  | { ok: false; code: AnyDeclineCode; detail?: DeclineDetail | undefined };

export function judgeOfflineSale(snap: LedgerSnapshot, req: SaleRequest, c: OfflineContext): OfflineJudgement {
  const rules = c.card && c.cardType ? cardRules(snap, req, c.card, c.cardType, c.day) : undefined;
  const price = rules?.ok ? rules.price : plainPrice(req, c);
  const cardExposure = snap.cardExposure;
  const terminalExposure = snap.terminalExposure;
  const lastContact = snap.lastContactAt;
  const facts: OfflineFacts = {
    limits: c.limits,
    card: c.card,
    cardType: c.cardType,
    onHotlist: c.onHotlist,
    hotlistReason: c.hotlistReason,
    amount: price.net,
    knownBalance: snap.knownBalance ?? 0,
    cardOfflineMinor: cardExposure.minor,
    cardOfflineCount: cardExposure.count,
    terminalOfflineMinor: terminalExposure.minor,
    terminalOfflineCount: terminalExposure.count,
    sinceLastContactMs: lastContact === null ? Number.POSITIVE_INFINITY : c.at - lastContact,
  };
  const verdict = judgeOffline(facts);
  // The offline rules speak first: "card hotlisted" is the truer reason than "points short".
  if (!verdict.approve) return { ok: false, code: verdict.code, detail: roomOf(verdict.code, facts) };
  if (!rules) return unknownCard(req, price);
  if (!rules.ok) return rules;
  return { ok: true, price, countUse: rules.countUse };
}

function cardRules(snap: LedgerSnapshot, req: SaleRequest, card: CachedCard, type: CardTypePolicy, day: string) {
  const account = snap.account ?? card;
  const spent = unsyncedSpend(account, card, snap.pending, (id) => snap.accountOfPending.get(id), day);
  const spentToday = snapshotSpent(card, day) + spent.spentOnDay;
  const cached = req.countUse ? packageOf(account, req.countUse.packageId) : undefined;
  const pkg = cached && { ...cached, remainingUses: cached.remainingUses - (spent.uses.get(cached.packageId) ?? 0) };
  const judged = judgeSaleRules(
    { gross: req.gross, redeemPoints: req.redeemPoints, countUse: req.countUse, businessDay: day },
    {
      card,
      type,
      availablePoints: account.points - spent.points,
      pkg,
      spentToday,
    },
  );
  if (!judged.ok)
    return { ...judged, detail: card.subCard ? subCardRoom(judged.code, card.subCard, spentToday) : undefined };
  const countUse =
    req.countUse && pkg
      ? { ...pkg, remainingUses: pkg.remainingUses - req.countUse.uses, uses: req.countUse.uses }
      : undefined;
  return { ok: true as const, price: judged.price, countUse };
}

/** An unknown card (allowed offline by config): no card type, the gross as it is, nothing to redeem or use. */
function unknownCard(req: SaleRequest, price: PricedSale): OfflineJudgement {
  if (req.countUse) return { ok: false, code: "COUNT_PACKAGE_UNKNOWN" };
  if ((req.redeemPoints ?? 0) > 0) return { ok: false, code: "POINTS_INSUFFICIENT" };
  return { ok: true, price, countUse: undefined };
}

/** The price without points, for the limits when the card rules declined (their code is given then). */
function plainPrice(req: SaleRequest, c: OfflineContext): PricedSale {
  if (c.cardType) return priceSale(req.gross, c.cardType, { birthday: c.card?.birthday, today: c.day.slice(5) });
  return { gross: req.gross, discount: 0, net: req.gross, pointsEarned: 0, pointsRedeemed: 0, pointsValue: 0 };
}
