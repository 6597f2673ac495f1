/**
 * The console at the till, from the screenshots of field runs, in Chromium against
 * the real agent, server and broker — the browser in New York, the store in Shanghai:
 * card types by name (金卡, not gold); points and a count package used from the till
 * screen, offered by the balance query; a cashier told up front that refunds need a
 * supervisor; the tap wait counting down and cancelled (a card tapped after the cancel
 * pays nothing); times in the store's zone; the status screen's table inside its box and
 * its live events filled at once; every word of the console in both dictionaries.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { Page } from "playwright-core";
import t from "tap";
import { SimulatedReader } from "../../drivers/readers/simulated-reader.js";
import { grantPackage } from "../../server/backoffice/count-packages.js";
import { screenshot, waitInPage } from "../helpers/browser.js";
import { API_TOKEN, CASHIER, type ConsoleRig, GOLD, SILVER, startConsoleRig } from "./console-rig.js";
import { logIn, sell } from "./console-steps.js";

const STORE_ZONE = "Asia/Shanghai"; // testAgentConfig's terminal.timeZone
const BROWSER_ZONE = "America/New_York";
const PUBLIC = join(import.meta.dirname, "../../agent/console/public");

let rig: ConsoleRig;
let page: Page;

t.before(async () => {
  rig = await startConsoleRig(t, { tapTimeoutMs: 30_000 }); // time to see the countdown and cancel
  await grantPackage(rig.hq.db, { cardId: `ic:${GOLD.uid}`, service: "洗车", uses: 5 }, { id: "hq-test", via: "cli" });
  const context = await rig.browser.browser.newContext({
    viewport: { width: 1280, height: 900 },
    locale: "zh-CN",
    timezoneId: BROWSER_ZONE,
  });
  page = await context.newPage();
  await logIn(page, rig, CASHIER);
});

const text = (selector: string) => page.textContent(selector).then((s) => s?.trim() ?? "");

async function submit(): Promise<string> {
  await page.click("#till-go");
  const panel = await page.waitForSelector("#result.approved, #result.declined");
  return (await panel.getAttribute("class")) ?? "";
}

/** hh:mm:ss of an ISO time in a zone, as the console shows it. */
function clockIn(iso: string, timeZone: string): string {
  return new Date(iso).toLocaleTimeString("en-GB", { hour12: false, timeZone });
}

t.test("a sale names the card type as the chain does: 金卡, not gold", async (t) => {
  await page.click('[data-mode="sale"]');
  await page.fill("#amount", "25.00");
  await page.fill("#card-uid", GOLD.uid);
  t.match(await submit(), /approved/);
  t.equal(await text("#result-card-type"), "金卡");
  await screenshot(page, "50-sale-card-type");
});

t.test("the balance query offers the member's points and count packages; a package is used from it", async (t) => {
  await page.click('[data-mode="balance"]');
  await page.fill("#card-uid", GOLD.uid);
  await page.click("#till-go");
  await page.waitForSelector("#result-packages");
  t.match(await text("#result-packages"), /洗车.*5/, "the package and its uses left");
  await screenshot(page, "51-balance-packages");
  await page.click("#result-packages button[data-use-package]");
  t.equal(await page.getAttribute('[data-mode="sale"]', "aria-pressed"), "true", "back to the sale");
  t.equal(await page.inputValue("#card-uid"), GOLD.uid, "the card carried over");
  t.match(await page.inputValue("#count-package"), /^P\d+$/, "the package chosen");
  t.match(await submit(), /approved/, "the use alone, no money");
  t.match(await text("#result-count-use"), /洗车.*4/, "uses left after it");
  await screenshot(page, "52-count-use");
});

t.test("points pay part of a sale from the till screen", async (t) => {
  await page.click('[data-mode="sale"]');
  await page.fill("#amount", "50.00");
  await page.fill("#card-uid", GOLD.uid);
  await page.fill("#redeem-points", "300");
  t.match(await submit(), /approved/);
  t.match(await text("#result-redeemed"), /300.*¥3\.00/, "300 points, worth ¥3.00 at gold's rate");
  await screenshot(page, "53-sale-points");
});

t.test("a cashier sees before trying that refunds need a supervisor", async (t) => {
  t.match(await text('[data-mode="refund"]'), /店长/, "the mode button says so");
  await page.click('[data-mode="refund"]');
  t.ok(await page.isVisible("#refund-rights"), "the refund screen says so");
  t.match(await text("#refund-rights"), /店长/);
  t.ok(await page.isDisabled("#till-go"), "and does not offer the button");
  await screenshot(page, "54-refund-cashier");
});

t.test("the tap wait counts down and can be cancelled; a card tapped after it pays nothing", async (t) => {
  await page.click('[data-mode="sale"]');
  await sell(page, "12.00", "", "#tap-countdown");
  const first = Number((await text("#tap-countdown")).replace(/\D/g, ""));
  t.ok(first > 0, `seconds left shown (${first})`);
  await waitInPage(page, `Number(document.getElementById("tap-countdown").textContent.replace(/\\D/g, "")) < ${first}`);
  t.pass("the seconds go down");
  await screenshot(page, "55-tap-countdown");
  const before = rig.agent.ledger.summary().nextSeq;
  await page.click("#tap-cancel");
  await page.waitForSelector("#result.cancelled");
  t.match(await text("#result"), /已取消/);
  const reader = rig.agent.readers.find((r): r is SimulatedReader => r instanceof SimulatedReader);
  reader?.tap(SILVER.uid); // a tap with nobody waiting any more
  await new Promise((r) => setTimeout(r, 1_000));
  t.equal(rig.agent.ledger.summary().nextSeq, before, "no sale was made by the late tap");
  t.notOk(await page.isDisabled("#till-go"), "the till is free again");
});

t.test("times are the store's, not the browser's", async (t) => {
  const res = await fetch(`${rig.agentUrl}/api/v1/status`, { headers: { authorization: `Bearer ${API_TOKEN}` } });
  const since = ((await res.json()) as { broker: { since: string } }).broker.since;
  const store = clockIn(since, STORE_ZONE);
  t.not(store, clockIn(since, BROWSER_ZONE), "the two zones differ");
  await page.click('[data-screen="status"]');
  await page.waitForSelector("#status-links");
  t.match(await text("#status-links"), store, "connected since, in Shanghai time");
  t.notMatch(await text("#status-links"), clockIn(since, BROWSER_ZONE), "not in New York time");
});

t.test("the status screen: the device table inside its box, live events there at once", async (t) => {
  await page.click('[data-screen="status"]');
  await page.waitForSelector("#status-devices table");
  const fits = await page.evaluate(
    `(() => { const p = document.getElementById("status-devices"); const tb = p.querySelector("table");
      return tb.getBoundingClientRect().right <= p.getBoundingClientRect().right - parseFloat(getComputedStyle(p).paddingRight) + 1; })()`,
  );
  t.ok(fits, "the table ends inside its panel");
  await page.waitForSelector("#status-events tbody tr", { timeout: 5_000 });
  t.pass("live events are filled without waiting for a change");
  const devices = await text("#status-devices");
  t.notMatch(devices, /\b(simulated|preview|present|ready)\b/, "device words in Chinese");
  t.match(devices, /模拟读卡器/);
  await screenshot(page, "56-status");
});

t.test("every word the console uses is in both dictionaries", async (t) => {
  const dict = (file: string) => {
    const src = readFileSync(join(PUBLIC, file), "utf8");
    return new Set([...src.matchAll(/^\s*"?([\w.-]+)"?:\s/gm)].map((m) => m[1]));
  };
  const zh = dict("words-zh.js");
  const en = dict("words-en.js");
  const used = new Set<string>();
  for (const f of ["index.html"]) {
    for (const m of readFileSync(join(PUBLIC, f), "utf8").matchAll(/data-i18n(?:-placeholder)?="([^"]+)"/g)) {
      used.add(m[1] ?? "");
    }
  }
  const js = ["app.js", "login.js", "till.js", "result.js", "status.js", "close.js", "void.js", "cards.js"];
  for (const f of js) {
    for (const m of readFileSync(join(PUBLIC, f), "utf8").matchAll(/\bt\("([\w.-]+)"/g)) used.add(m[1] ?? "");
  }
  for (const key of used) {
    t.ok(zh.has(key), `zh: ${key}`);
    t.ok(en.has(key), `en: ${key}`);
  }
});
