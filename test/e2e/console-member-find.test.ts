/**
 * Finding a member on the console's card screen (会员查询), in Chromium against the
 * real agent, central server and broker: a cashier finds 李娜 by her whole phone number
 * (phone masked, her card and its status listed), an unknown or partial number says so;
 * a supervisor finds her card by phone, reports it lost from the choice, and a sale with
 * it is then declined; a card at hand is read by a tap into the card field. Screenshots in
 * zh-CN and en.
 */
import type { Page } from "playwright-core";
import t from "tap";
import { listAudit } from "../../server/backoffice/actor.js";
import { screenshot, waitInPage } from "../helpers/browser.js";
import { CASHIER, type ConsoleRig, GOLD, SILVER, SUPERVISOR, startConsoleRig, tapUntil } from "./console-rig.js";
import { openCards, sell } from "./console-steps.js";

const LI_NA_PHONE = "13800000002"; // 李娜, silver card 04D5E6F7, ¥300.00 (the demo chain)
let rig: ConsoleRig;
let page: Page;

t.before(async () => {
  rig = await startConsoleRig(t);
  page = await rig.browser.newPage();
});

const text = (selector: string) => page.textContent(selector).then((s) => s?.trim() ?? "");

async function findMember(query: string): Promise<void> {
  await page.fill("#find-query", query);
  await page.click("#find-go");
  // The button is greyed out while the lookup is under way (member-find.js).
  await waitInPage(page, "!document.getElementById('find-go').disabled");
}

t.test("a cashier finds a member by the whole phone number; a partial or unknown one finds nobody", async (t) => {
  await openCards(page, rig, CASHIER);
  t.notOk(await page.isDisabled("#find-go"), "finding members is the cashier's too");
  await findMember(LI_NA_PHONE);
  const found = await text("#find-results");
  t.match(found, /李娜/);
  t.match(found, /138\*\*\*\*0002/, "the phone masked");
  t.notMatch(found, LI_NA_PHONE, "never the whole number");
  t.match(found, /M0002/);
  t.match(found, /ic:04D5\*+E6F7/, "her card, masked");
  t.match(found, /正常/, "its status in words");
  t.match(found, /¥300\.00/, "the account's balance");
  t.notMatch(found, /null|undefined|NaN/, "no empty value shows as a word");
  await screenshot(page, "40-find-cashier");

  // Choosing her card fills the card field of an operation the cashier may do (a sub-card).
  await page.click('#find-results button[data-card="ic:04D5****E6F7"]');
  t.equal(await page.getAttribute('[data-card-op="subcard"]', "aria-pressed"), "true", "switched to a card operation");
  t.equal(await page.inputValue("#cards-uid"), `ic:${SILVER.uid}`, "the card field holds the chosen card");
  t.match(await text("#find-chosen"), /李娜/);

  await findMember("1380000000");
  t.match(await text("#find-none"), /没有找到此手机号的会员/, "a partial number finds nobody");
  await findMember("13912345678");
  t.match(await text("#find-none"), /没有找到/, "an unknown number says so");
  await screenshot(page, "41-find-none");
  await findMember("123");
  t.match(await text("#find-message"), /完整手机号/, "too short to be a phone number: nothing sent");

  const audit = (await listAudit(rig.hq.db, { limit: 50 })).filter((a) => a.action === "member.find");
  t.equal(audit.length, 3, "each lookup the server answered is in head office's audit log");
  t.match(audit.at(-1), { actor: CASHIER.id, via: "till:T001", subject: "138****0002" });
  await page.click("#logout");
  await page.waitForSelector("#screen-login:not([hidden])");
});

t.test("a supervisor reports the found card lost; a sale with it is declined", async (t) => {
  await openCards(page, rig, SUPERVISOR);
  await findMember(LI_NA_PHONE);
  await page.click('#find-results button[data-card="ic:04D5****E6F7"]');
  t.equal(await page.getAttribute('[data-card-op="loss"]', "aria-pressed"), "true", "loss is chosen for the card");
  t.equal(await page.inputValue("#cards-uid"), `ic:${SILVER.uid}`);
  await page.fill("#cards-note", "会员电话挂失");
  await screenshot(page, "42-find-loss-form");
  await page.click("#cards-go");
  await page.waitForSelector("#cards-result:is(.approved, .declined)");
  t.match(await page.getAttribute("#cards-result", "class"), /approved/, await text("#cards-result"));
  t.match(await text("#cards-verdict"), /已挂失/);
  t.match(await rig.hq.ledger.getCard(`ic:${SILVER.uid}`), { status: "lost" }, "the ledger holds the loss");
  await findMember(LI_NA_PHONE);
  t.match(await text("#find-results"), /已挂失/, "found again, the card shows lost");
  await screenshot(page, "43-find-loss-done");

  await page.click('[data-screen="till"]');
  await page.click('[data-mode="sale"]');
  await sell(page, "10.00", SILVER.uid, "#result.approved, #result.declined");
  t.match(await page.getAttribute("#result", "class"), /declined/, "the lost card cannot pay");
  t.match(await text("#result-reason"), /挂失/);
  t.match(await rig.hq.ledger.getCard(`ic:${SILVER.uid}`), { balance: 30_000 }, "nothing was charged");
});

t.test("a card at hand is read by a tap into the card field, with what the till knows of it", async (t) => {
  // A sale makes the till know the gold card.
  await sell(page, "10.00", GOLD.uid, "#result.approved, #result.declined");
  t.match(await page.getAttribute("#result", "class"), /approved/);

  await page.click('[data-screen="cards"]');
  await page.click('[data-card-op="freeze"]');
  await page.fill("#cards-uid", "");
  await page.click("#cards-tap");
  await page.waitForSelector("#cards-tap-info .waiting-note");
  t.match(await text("#cards-tap-info"), /请在读卡器上刷卡/);
  await tapUntil(rig, GOLD.uid, async () => (await page.inputValue("#cards-uid")) !== "");
  await page.waitForSelector("#cards-tap-info table");
  t.equal(await page.inputValue("#cards-uid"), `ic:${GOLD.uid}`, "the tapped card fills the field");
  const info = await text("#cards-tap-info");
  t.match(info, /ic:04A1\*+B2C3/);
  t.match(info, new RegExp(GOLD.name));
  t.match(info, /金卡/);
  t.match(info, /正常/);
  t.equal(await page.getAttribute('[data-card-op="freeze"]', "aria-pressed"), "true", "the operation stays");
  t.match(await rig.hq.ledger.getCard(`ic:${GOLD.uid}`), { status: "active" }, "a read changes nothing");
  await screenshot(page, "44-find-tap");
});

t.test("the find box in English", async (t) => {
  await findMember(LI_NA_PHONE);
  await page.click("#lang");
  t.match(await text("#find-form label"), /Find a member/);
  t.equal(await text("#find-go"), "Find");
  t.match(await text("#find-results"), /reported lost/, "the found list is relabelled");
  t.equal(await text("#cards-tap"), "Tap card");
  t.match(await text("#cards-tap-info"), /Member[\s\S]*张伟/, "the tapped card's rows too");
  await screenshot(page, "45-find-english");
  await page.click("#lang");
});
