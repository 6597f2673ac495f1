/**
 * Offline declines name the limit and what is left ("本卡离线额度剩余 ¥35.00"),
 * in zh-CN and en; without figures the plain words stay as they were.
 */
import t from "tap";
import { type DeclineDetail, roomOf, subCardRoom } from "../../rules/decline-detail.js";
import { type AnyDeclineCode, declineText } from "../../rules/decline-text.js";
import type { OfflineFacts } from "../../rules/offline-rules.js";

const facts: OfflineFacts = {
  limits: {
    enabled: true,
    perTransactionMinor: 30_000,
    perCardMinor: 50_000,
    perCardCount: 5,
    terminalMinor: 300_000,
    terminalCount: 300,
    maxOfflineAgeMs: 24 * 3600_000,
    allowUnknownCards: false,
  },
  card: undefined,
  cardType: undefined,
  onHotlist: false,
  amount: 4_000,
  knownBalance: 12_345,
  cardOfflineMinor: 46_500,
  cardOfflineCount: 5,
  terminalOfflineMinor: 299_000,
  terminalOfflineCount: 300,
  sinceLastContactMs: 25 * 3600_000,
};

const said = (code: AnyDeclineCode) => ({
  zh: declineText(code, "zh-CN", roomOf(code, facts)),
  en: declineText(code, "en", roomOf(code, facts)),
});

t.test("each offline limit's decline names the limit and what is left under it", async (t) => {
  t.same(said("OFFLINE_LIMIT_CARD_AMOUNT"), {
    zh: "超过此卡离线累计限额 ¥500.00，本卡离线额度剩余 ¥35.00",
    en: "Over this card's offline total limit of ¥500.00; ¥35.00 left on this card offline",
  });
  t.same(said("OFFLINE_LIMIT_TXN"), {
    zh: "超过离线单笔限额 ¥300.00",
    en: "Over the offline limit for one payment (¥300.00)",
  });
  t.same(said("OFFLINE_LIMIT_CARD_COUNT"), {
    zh: "此卡离线笔数已满（限 5 笔），请联网后再消费",
    en: "This card's offline payments are used up (5 allowed); reconnect first",
  });
  t.same(said("OFFLINE_LIMIT_TERMINAL_AMOUNT"), {
    zh: "超过本机离线累计限额 ¥3000.00，本机离线额度剩余 ¥10.00，请联网",
    en: "Over this till's offline total limit of ¥3000.00; ¥10.00 left; reconnect first",
  });
  t.same(said("OFFLINE_LIMIT_TERMINAL_COUNT"), {
    zh: "本机离线笔数已满（限 300 笔），请联网",
    en: "This till's offline payment count is full (300 allowed); reconnect first",
  });
  t.same(said("OFFLINE_TOO_LONG"), {
    zh: "离线已超过 24 小时，请联网后再消费",
    en: "Offline for more than 24 hours; reconnect first",
  });
  t.same(said("INSUFFICIENT_BALANCE"), {
    zh: "卡内余额不足，本机所知余额 ¥123.45",
    en: "Insufficient balance: ¥123.45 known on this till",
  });
});

t.test("what is left is never below zero, and an offline age that is not whole hours reads in minutes", async (t) => {
  const over = { ...facts, cardOfflineMinor: 60_000, knownBalance: -500 };
  t.same(roomOf("OFFLINE_LIMIT_CARD_AMOUNT", over), { limitMinor: 50_000, leftMinor: 0 });
  t.same(roomOf("INSUFFICIENT_BALANCE", over), { leftMinor: 0 });
  const ninety = { ...facts, limits: { ...facts.limits, maxOfflineAgeMs: 90 * 60_000 } };
  t.equal(
    declineText("OFFLINE_TOO_LONG", "zh-CN", roomOf("OFFLINE_TOO_LONG", ninety)),
    "离线已超过 90 分钟，请联网后再消费",
  );
});

t.test("a sub-card's own limits are named with what is left of its day", async (t) => {
  const sub = { primaryCardId: "ic:01", perTxnLimit: 10_000, dailyLimit: 15_000 };
  const day = subCardRoom("SUB_CARD_LIMIT_DAY", sub, 11_000);
  t.equal(declineText("SUB_CARD_LIMIT_DAY", "zh-CN", day), "超过附属卡当日消费限额 ¥150.00，今日剩余 ¥40.00");
  t.equal(
    declineText("SUB_CARD_LIMIT_DAY", "en", day),
    "Over this sub-card's daily limit of ¥150.00; ¥40.00 left today",
  );
  const txn = subCardRoom("SUB_CARD_LIMIT_TXN", sub, 0);
  t.equal(declineText("SUB_CARD_LIMIT_TXN", "zh-CN", txn), "超过附属卡单笔消费限额 ¥100.00");
  t.equal(subCardRoom("SUB_CARD_LIMIT_DAY", { ...sub, dailyLimit: null }, 0), undefined, "no limit, no figure");
});

t.test("without figures, or with a figure missing, the plain words are said", async (t) => {
  t.equal(declineText("OFFLINE_LIMIT_CARD_AMOUNT", "zh-CN"), "超过此卡离线累计限额");
  const half: DeclineDetail = { limitMinor: 50_000 };
  t.equal(declineText("OFFLINE_LIMIT_CARD_AMOUNT", "en", half), "Over this card's offline total limit");
  t.equal(roomOf("CARD_HOTLISTED", facts), undefined, "a rule without a figure has none");
  t.equal(declineText("CARD_HOTLISTED", "en", { limitMinor: 1 }), declineText("CARD_HOTLISTED", "en"));
});
