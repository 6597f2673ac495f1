/**
 * The web console's till, driven in Chromium against the real agent, server and broker:
 * a cashier logs in, sells and tops up; a refund is refused to the cashier and done by a
 * supervisor. Each screen is kept as a screenshot under test-artifacts/console/.
 */

import type { Page } from "playwright-core";
import t from "tap";
import { screenshot } from "../helpers/browser.js";
import { CASHIER, type ConsoleRig, GOLD, SILVER, SUPERVISOR, startConsoleRig } from "./console-rig.js";
import { logIn } from "./console-steps.js";

let rig: ConsoleRig;
let page: Page;

t.before(async () => {
  rig = await startConsoleRig(t);
  page = await rig.browser.newPage();
});

async function logOut(): Promise<void> {
  await page.click("#logout");
  await page.waitForSelector("#screen-login:not([hidden])");
}

/** Fill the till form for `mode` and submit it; resolves with the result panel's verdict class. */
async function till(mode: string, fields: { amount?: string; card?: string; payment?: string }): Promise<string> {
  await page.click(`[data-mode="${mode}"]`);
  if (fields.amount !== undefined) await page.fill("#amount", fields.amount);
  if (fields.card !== undefined) await page.fill("#card-uid", fields.card);
  if (fields.payment) await page.click(`[data-payment="${fields.payment}"]`);
  await page.click("#till-go");
  const panel = await page.waitForSelector("#result.approved, #result.declined");
  return (await panel.getAttribute("class")) ?? "";
}

const text = (selector: string) => page.textContent(selector).then((s) => s?.trim() ?? "");

t.test("the log-in screen comes first, in Chinese, and a wrong PIN is refused with the API's code", async (t) => {
  await page.goto(`${rig.url}/console/`);
  t.equal(await page.getAttribute("html", "lang"), "zh-CN");
  t.equal(await text("#login-submit"), "登录");
  t.ok(await page.isHidden("#nav"), "no screens before log-in");
  await screenshot(page, "01-login");
  await page.fill("#login-operator", CASHIER.id);
  await page.fill("#login-pin", "0000");
  await page.click("#login-submit");
  // Strings, not functions: they run in the page, and the tests compile without the DOM lib.
  await page.waitForFunction("document.getElementById('login-message').textContent !== ''");
  t.match(await text("#login-message"), /CT_LOGIN_FAILED/);
  t.ok(await page.isVisible("#screen-login"));
});

t.test("a cashier's sale is approved with the member's name, the balance after and the receipt", async (t) => {
  await logIn(page, rig, CASHIER);
  t.match(await text("#who"), /王收银/);
  t.match(await till("sale", { amount: "25.00", card: GOLD.uid }), /approved/);
  t.equal(await text("#result-member"), GOLD.name);
  t.match(await text("#result-card"), /\*/, "the card number is masked");
  t.equal(await text("#result-balance"), "¥978.00", "¥1,000.00 less ¥22.00 (gold pays 88%)");
  const preview = await page.waitForSelector("#receipt-preview[src^='blob:']");
  await page.waitForFunction("document.getElementById('receipt-preview').naturalWidth > 0");
  t.ok(await preview.isVisible(), "the receipt preview is shown");
  await screenshot(page, "02-till-sale");
});

t.test("a typed amount that is not money is refused before anything is sent", async (t) => {
  for (const bad of ["25.001", "1e3", "-5", "abc", "0"]) {
    await page.click('[data-mode="sale"]');
    await page.fill("#amount", bad);
    await page.fill("#card-uid", GOLD.uid);
    await page.click("#till-go");
    t.match(await text("#till-message"), /金额格式不对/, bad);
  }
});

t.test("a declined sale says why in the cashier's words", async (t) => {
  t.match(await till("sale", { amount: "900.00", card: SILVER.uid }), /declined/);
  t.not(await text("#result-reason"), "", "the reason comes from the API");
  await screenshot(page, "03-till-declined");
});

t.test("a cashier's top-up is approved and shows the balance after", async (t) => {
  t.match(await till("topup", { amount: "100.00", card: SILVER.uid, payment: "wechat" }), /approved/);
  t.equal(await text("#result-member"), SILVER.name);
  t.equal(await text("#result-balance"), "¥400.00", "¥300.00 and the ¥100.00 paid by WeChat");
  await screenshot(page, "04-till-topup");
});

t.test("a cashier sees the day's sales but is told up front that a refund needs a supervisor", async (t) => {
  await page.click('[data-mode="refund"]');
  await page.waitForSelector("#refund-list :is(table, p)");
  t.ok(await page.isVisible("#refund-rights"), "the screen says who may refund");
  t.ok(await page.isDisabled("#till-go"), "no refund button to press (the API refuses it too: supervisor-only test)");
  await logOut();
});

t.test("a supervisor refunds the sale from the day's list", async (t) => {
  await logIn(page, rig, SUPERVISOR);
  await page.click('[data-mode="refund"]');
  await page.waitForSelector("#refund-table");
  t.match(await text("#refund-table"), /¥22\.00/, "the ¥22.00 charged for the sale is listed");
  await page.check("#refund-table input[type=radio]");
  await screenshot(page, "05-till-refund-pick");
  await page.click("#till-go");
  await page.waitForSelector("#result.approved, #result.declined");
  t.match(await page.getAttribute("#result", "class"), /approved/, await text("#result"));
  t.equal(await text("#result-member"), GOLD.name);
  t.equal(await text("#result-balance"), "¥1,000.00", "the ¥22.00 is back on the card");
  await screenshot(page, "06-till-refund");
});

t.test("the language switch turns the console into English and back", async (t) => {
  await page.click("#lang");
  t.equal(await page.getAttribute("html", "lang"), "en");
  t.equal(await text('[data-mode="sale"]'), "Sale");
  t.match(await text("#result-verdict"), /Approved/, "the last result is relabelled too");
  await screenshot(page, "07-till-english");
  await page.click("#lang");
  t.equal(await text('[data-mode="sale"]'), "消费");
});
