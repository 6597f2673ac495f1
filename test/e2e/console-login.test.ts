/**
 * Operators at the console, in Chromium against the real agent: log-in with a tap of the
 * operator card on the (simulated) reader, a member's card refused as an operator card,
 * who is logged in, log-out, and the idle time-out — the console's own timer and a
 * session the agent has already ended — each returning to the log-in with a message.
 * The agent's idle time-out is 3 s here so the test does not wait minutes.
 */
import type { Page } from "playwright-core";
import t from "tap";
import { screenshot } from "../helpers/browser.js";
import { CASHIER, CASHIER_CARD, type ConsoleRig, GOLD, startConsoleRig, tapUntil } from "./console-rig.js";

const IDLE_MS = 3_000;
let rig: ConsoleRig;
let page: Page;

t.before(async () => {
  rig = await startConsoleRig(t, { idleTimeoutMs: IDLE_MS });
  page = await rig.browser.newPage();
});

const text = (selector: string) => page.textContent(selector).then((s) => s?.trim() ?? "");
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

t.test("the log-in screen offers the operator card, in Chinese and English", async (t) => {
  await page.goto(`${rig.url}/console/`);
  t.equal(await text("#login-tap"), "刷操作员卡登录");
  await screenshot(page, "18-login-card");
  await page.click("#lang");
  t.equal(await text("#login-tap"), "Tap your operator card");
  await screenshot(page, "19-login-card-english");
  await page.click("#lang");
});

t.test("a tap of the cashier's operator card on the reader logs the cashier in", async (t) => {
  await page.goto(`${rig.url}/console/`);
  await page.click("#login-tap");
  await page.waitForSelector("#login-waiting:not([hidden])");
  t.match(await text("#login-waiting"), /请在读卡器上刷操作员卡/, "the console says what to do");
  t.ok(await page.isDisabled("#login-submit"), "no second log-in while one waits");
  await screenshot(page, "20-login-card-waiting");
  await tapUntil(rig, CASHIER_CARD, () => page.isVisible("#screen-till"));
  t.ok(await page.isVisible("#screen-till"), "the till opens");
  t.match(await text("#who"), /王收银 \(001\) · 收银员/, "who is logged in, and as what");
  await page.click("#logout");
  await page.waitForSelector("#screen-login:not([hidden])");
  t.equal(await text("#who"), "", "nobody is shown after log-out");
  t.notOk(await page.isVisible("#nav"), "no screens after log-out");
});

t.test("a member's card is not an operator card", async (t) => {
  await page.click("#login-tap");
  await page.waitForSelector("#login-waiting:not([hidden])");
  await tapUntil(rig, GOLD.uid, () => page.isHidden("#login-waiting"));
  t.match(await text("#login-message"), /不是本机的操作员卡/);
  t.match(await text("#login-message"), /CT_LOGIN_FAILED/);
  t.ok(await page.isVisible("#screen-login"), "still at the log-in");
});

t.test("left alone, the console logs out after the idle time and says why", async (t) => {
  await page.fill("#login-operator", CASHIER.id);
  await page.fill("#login-pin", CASHIER.pin);
  await page.click("#login-submit");
  await page.waitForSelector("#screen-till:not([hidden])");
  await page.waitForSelector("#screen-login:not([hidden])", { timeout: IDLE_MS + 3_000 });
  t.match(await text("#login-message"), /长时间未操作，已自动退出/);
  t.equal(await text("#who"), "");
  await screenshot(page, "21-login-idle");
});

t.test("a session the agent already ended sends the console back to the log-in, not a silent failure", async (t) => {
  // The page's clock stands still, so only the agent's idle time-out runs out.
  const frozen = await rig.browser.newPage();
  await frozen.clock.install();
  await frozen.goto(`${rig.url}/console/`);
  await frozen.clock.pauseAt(Date.now() + 1_000);
  await frozen.fill("#login-operator", CASHIER.id);
  await frozen.fill("#login-pin", CASHIER.pin);
  await frozen.click("#login-submit");
  await frozen.waitForSelector("#screen-till:not([hidden])");
  await sleep(IDLE_MS + 500);
  t.ok(await frozen.isVisible("#screen-till"), "the console's own timer has not fired");
  await frozen.fill("#amount", "1.00");
  await frozen.fill("#card-uid", GOLD.uid);
  await frozen.click("#till-go");
  await frozen.waitForSelector("#screen-login:not([hidden])");
  t.match(await frozen.textContent("#login-message"), /登录已失效，请重新登录/);
  t.match(await rig.hq.ledger.getCard(`ic:${GOLD.uid}`), { balance: 100_000 }, "nothing was charged");
  await frozen.context().close();
});
