/**
 * The hotlist's reasons, pure: a card listed for a shortfall is declined offline as a
 * debt (CARD_IN_DEBT) in both languages, any other listing as before; a delta brings a
 * card's reason with it and takes it away with the card; older documents carry none.
 */
import t from "tap";
import { applyDelta } from "../../agent/sync/policy-cache.js";
import { declineText } from "../../rules/decline-text.js";
import { judgeOffline, type OfflineFacts } from "../../rules/offline-rules.js";

const facts: OfflineFacts = {
  limits: {
    enabled: true,
    perTransactionMinor: 30_000,
    perCardMinor: 50_000,
    perCardCount: 5,
    terminalMinor: 300_000,
    terminalCount: 300,
    maxOfflineAgeMs: 86_400_000,
    allowUnknownCards: false,
  },
  card: undefined,
  cardType: undefined,
  onHotlist: true,
  amount: 1_000,
  knownBalance: 0,
  cardOfflineMinor: 0,
  cardOfflineCount: 0,
  terminalOfflineMinor: 0,
  terminalOfflineCount: 0,
  sinceLastContactMs: 0,
};

t.test("a shortfall listing is a debt; lost, frozen or an unknown reason is the hotlist as before", async (t) => {
  t.same(judgeOffline({ ...facts, hotlistReason: "shortfall" }), { approve: false, code: "CARD_IN_DEBT" });
  for (const reason of ["lost", "frozen", "cancelled", "replaced", undefined] as const) {
    t.same(judgeOffline({ ...facts, hotlistReason: reason }), { approve: false, code: "CARD_HOTLISTED" }, `${reason}`);
  }
  t.match(declineText("CARD_IN_DEBT", "zh-CN"), /欠款.*充值/);
  t.match(declineText("CARD_IN_DEBT", "en"), /owes money.*top it up/);
  t.notMatch(declineText("CARD_IN_DEBT", "en"), /lost|frozen/);
});

t.test("a delta brings each added card's reason and drops a removed card's", async (t) => {
  const held = { version: 4, cards: ["ic:01", "ic:02"], reasons: { "ic:01": "frozen", "ic:02": "shortfall" } } as const;
  const next = applyDelta(
    { ...held, cards: [...held.cards], reasons: { ...held.reasons } },
    {
      v: 1,
      fromVersion: 4,
      toVersion: 5,
      added: ["ic:03", "ic:01"],
      removed: ["ic:02"],
      reasons: { "ic:03": "shortfall", "ic:01": "lost" },
    },
  );
  t.same(next, { version: 5, cards: ["ic:01", "ic:03"], reasons: { "ic:01": "lost", "ic:03": "shortfall" } });
  const lostNow = applyDelta(next, { v: 1, fromVersion: 5, toVersion: 6, added: ["ic:03"], removed: [] });
  t.same(lostNow, { version: 6, cards: ["ic:01", "ic:03"], reasons: { "ic:01": "lost" } }, "debt → lost: no debt");
  const old = applyDelta(
    { version: 1, cards: ["ic:01"] },
    { v: 1, fromVersion: 1, toVersion: 2, added: ["ic:02"], removed: [] },
  );
  t.same(old, { version: 2, cards: ["ic:01", "ic:02"] }, "an older server's documents stay without reasons");
});
