/**
 * A page reload at the till does not log the cashier out: in Chromium against
 * the real agent, a cashier logged in reloads the console and is still at the till, with
 * the same session (a sale goes through under it); after a log-out a reload shows the
 * log-in; a session the agent ended while the page was away brings the log-in back with a
 * note, not an error. The session lives in the tab's sessionStorage: a new tab or a
 * browser restart starts at the log-in.
 */
import type { Page } from "playwright-core";
import t from "tap";
import { screenshot } from "../helpers/browser.js";
import { API_TOKEN, CASHIER, type ConsoleRig, GOLD, startConsoleRig } from "./console-rig.js";
import { logIn } from "./console-steps.js";

let rig: ConsoleRig;
let page: Page;

t.before(async () => {
  rig = await startConsoleRig(t);
  page = await rig.browser.newPage();
});

const text = (selector: string) => page.textContent(selector).then((s) => s?.trim() ?? "");

t.test("a reload keeps the cashier at the till, with the same session", async (t) => {
  await logIn(page, rig, CASHIER);
  await page.reload();
  await page.waitForSelector("#screen-till:not([hidden]), #screen-login:not([hidden])");
  t.ok(await page.isVisible("#screen-till"), "still at the till after the reload");
  t.match(await text("#who"), /王收银 \(001\)/, "and still shown as logged in");
  await page.fill("#amount", "10.00");
  await page.fill("#card-uid", GOLD.uid);
  await page.click("#till-go");
  // A decision under the session (approved, or declined offline when the loaded box's server
  // answers late); a session the agent did not know would be a 401 and the log-in screen.
  await page.waitForSelector("#result.approved, #result.declined, #screen-login:not([hidden])");
  t.ok(await page.isVisible("#screen-till"), "the sale is decided under the resumed session");
  await screenshot(page, "40-after-reload");
});

t.test("after a log-out, a reload shows the log-in", async (t) => {
  await page.click("#logout");
  await page.waitForSelector("#screen-login:not([hidden])");
  await page.reload();
  await page.waitForSelector("#screen-login:not([hidden]), #screen-till:not([hidden])");
  t.ok(await page.isVisible("#screen-login"));
  t.equal(await text("#who"), "");
});

t.test("a session the agent ended while the page was away: the log-in, with a note", async (t) => {
  await logIn(page, rig, CASHIER);
  const token = await page.evaluate("sessionStorage.getItem('cardterm.console.session')");
  t.type(token, "string", "the tab holds its session");
  // Ended elsewhere (e.g. the POS app's log-out with the same session).
  const res = await fetch(`${rig.agentUrl}/api/v1/sessions/current`, {
    method: "DELETE",
    headers: { authorization: `Bearer ${API_TOKEN}`, "x-cardterm-session": String(token) },
  });
  t.equal(res.status, 204);
  await page.reload();
  await page.waitForSelector("#screen-login:not([hidden]), #screen-till:not([hidden])");
  t.ok(await page.isVisible("#screen-login"), "back at the log-in");
  t.match(await text("#login-message"), /重新登录/, "told to log in again");
  t.equal(await page.getAttribute("#login-message", "class"), "notice", "a note, not an error");
});
