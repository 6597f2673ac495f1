/**
 * The console's card screen (会员卡管理) in Chromium against the real agent, central
 * server and broker: a cashier sees the supervisor's operations greyed out with the
 * reason and issues a card to a new member by tapping it on the reader; a supervisor
 * reports a card lost, the server records it, and a sale with that card is then declined
 * at the till. Screenshots in zh-CN and en.
 */
import type { Page } from "playwright-core";
import t from "tap";
import { screenshot } from "../helpers/browser.js";
import { CASHIER, type ConsoleRig, SILVER, SUPERVISOR, startConsoleRig, tapUntil } from "./console-rig.js";
import { openCards, sell } from "./console-steps.js";

const NEW_CARD = "04C0FFEE"; // a blank card: unknown to the server until it is issued
let rig: ConsoleRig;
let page: Page;

t.before(async () => {
  rig = await startConsoleRig(t);
  page = await rig.browser.newPage();
});

const text = (selector: string) => page.textContent(selector).then((s) => s?.trim() ?? "");

t.test(
  "a cashier may issue cards but sees loss and the other supervisor's operations greyed out, and why",
  async (t) => {
    await openCards(page, rig, CASHIER);
    for (const op of ["loss", "unloss", "freeze", "unfreeze", "replace", "recycle", "level"]) {
      t.ok(await page.isDisabled(`[data-card-op="${op}"]`), `${op} is greyed out`);
    }
    t.notOk(await page.isDisabled('[data-card-op="issue"]'), "issue is the cashier's");
    t.notOk(await page.isDisabled('[data-card-op="subcard"]'), "so is a sub-card");
    const why = await text("#cards-rights");
    t.match(why, /王收银 \(001\) · 收银员/, "names who is logged in");
    t.match(why, /挂失/, "names loss among what is not allowed");
    t.match(why, /店长/, "says who may");
    t.equal(await page.getAttribute('[data-card-op="issue"]', "aria-pressed"), "true", "issue is chosen first");
    await page.waitForSelector('#cards-type-list option[value="gold"]', { state: "attached" });
    t.equal(
      await page.getAttribute('#cards-type-list option[value="gold"]', "label"),
      "金卡 (gold)",
      "the policy's card types are offered by name (GET /api/v1/card-types)",
    );
    await screenshot(page, "22-cards-cashier");
  },
);

t.test("the form says what is missing before anything is sent", async (t) => {
  await page.click("#cards-go");
  t.match(await text("#cards-message"), /卡类型/);
  await page.fill("#cards-type", "silver");
  await page.click("#cards-go");
  t.match(await text("#cards-message"), /姓名/);
  await page.fill("#cards-name", "赵敏");
  await page.fill("#cards-birthday", "2月30日");
  await page.click("#cards-go");
  t.match(await text("#cards-message"), /生日格式不对/);
  await page.fill("#cards-birthday", "3-8");
  await page.fill("#cards-pin", "12");
  await page.click("#cards-go");
  t.match(await text("#cards-message"), /4–12 位数字/);
  t.equal(await text("#cards-result"), "", "nothing was sent");
});

t.test("a cashier issues a card to a new member by tapping the blank card on the reader", async (t) => {
  await page.fill("#cards-pin", "");
  await page.fill("#cards-phone", "13800138000");
  await page.click("#cards-go");
  await page.waitForSelector("#cards-result.waiting");
  t.match(await text("#cards-result"), /请在读卡器上刷新卡/, "the console asks for the tap");
  await tapUntil(rig, NEW_CARD, () => page.isVisible("#cards-result:is(.approved, .declined)"));
  t.match(await page.getAttribute("#cards-result", "class"), /approved/, await text("#cards-result"));
  t.match(await text("#cards-verdict"), /发卡成功/);
  t.match(await text("#cards-result"), /赵敏/);
  t.match(await text("#cards-result"), /ic:04C0\*+FFEE/, "the new card, masked");
  t.match(await text("#cards-result"), /正常/, "its status in words");
  t.match(await rig.hq.ledger.getCard(`ic:${NEW_CARD}`), { memberName: "赵敏", cardType: "silver", status: "active" });
  await screenshot(page, "23-cards-issued");
  await page.click("#logout");
  await page.waitForSelector("#screen-login:not([hidden])");
});

t.test("a supervisor reports a card lost; the server records it and a sale with it is declined", async (t) => {
  await openCards(page, rig, SUPERVISOR);
  t.notOk(await page.isVisible("#cards-rights"), "nothing is greyed out for a supervisor");
  await page.click('[data-card-op="loss"]');
  await page.click("#cards-go");
  t.match(await text("#cards-message"), /请输入卡号/, "a lost card's number must be typed");
  await page.fill("#cards-uid", SILVER.uid);
  await page.fill("#cards-note", "会员电话挂失");
  await screenshot(page, "24-cards-loss-form");
  await page.click("#cards-go");
  await page.waitForSelector("#cards-result:is(.approved, .declined)");
  t.match(await page.getAttribute("#cards-result", "class"), /approved/, await text("#cards-result"));
  t.match(await text("#cards-verdict"), /已挂失/);
  t.match(await text("#cards-result"), new RegExp(SILVER.name));
  t.match(await text("#cards-result .badge"), /已挂失/);
  t.match(await rig.hq.ledger.getCard(`ic:${SILVER.uid}`), { status: "lost" }, "the ledger holds the loss");
  await screenshot(page, "25-cards-lost");

  await page.click('[data-screen="till"]');
  await page.click('[data-mode="sale"]');
  await sell(page, "10.00", SILVER.uid, "#result.approved, #result.declined");
  t.match(await page.getAttribute("#result", "class"), /declined/, "the lost card cannot pay");
  t.match(await text("#result-reason"), /挂失/, "and the cashier reads why");
  t.match(await rig.hq.ledger.getCard(`ic:${SILVER.uid}`), { balance: 30_000 }, "nothing was charged");
});

t.test("the card screen in English", async (t) => {
  await page.click('[data-screen="cards"]');
  await page.click("#lang");
  t.equal(await text('[data-card-op="loss"]'), "Report lost");
  t.match(await text("#cards-verdict"), /Reported lost/, "the last result is relabelled");
  await screenshot(page, "26-cards-english");
  await page.click("#lang");
});
