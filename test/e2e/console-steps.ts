/**
 * What the console tests do again and again in Chromium: log in by PIN at the till, open
 * the card screen, ring up a sale. One place, so a change to the console's log-in or its
 * ids is made once.
 */
import type { Page } from "playwright-core";

export interface Who {
  id: string;
  pin: string;
}

/** Logs `who` in from the console's start page and waits for the till screen. */
export async function logIn(page: Page, rig: { url: string }, who: Who): Promise<void> {
  await page.goto(`${rig.url}/console/`);
  await page.fill("#login-operator", who.id);
  await page.fill("#login-pin", who.pin);
  await page.click("#login-submit");
  await page.waitForSelector("#screen-till:not([hidden]), #login-skip:not([hidden])");
  // An agent without operator sessions (POST /api/v1/sessions 404) lets the console in without one.
  if (await page.isVisible("#login-skip")) await page.click("#login-skip");
  await page.waitForSelector("#screen-till:not([hidden])");
}

/** Logs `who` in and opens the card screen (会员卡管理). */
export async function openCards(page: Page, rig: { url: string }, who: Who): Promise<void> {
  await logIn(page, rig, who);
  await page.click('[data-screen="cards"]');
  await page.waitForSelector("#screen-cards:not([hidden])");
}

/** A sale at the till screen: the amount as typed ("25.00"), the card by its number; waits for `until`. */
export async function sell(page: Page, amount: string, cardUid: string, until = "#result.approved"): Promise<void> {
  await page.fill("#amount", amount);
  await page.fill("#card-uid", cardUid);
  await page.click("#till-go");
  await page.waitForSelector(until);
}
