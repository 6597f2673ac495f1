/**
 * The web console's technician and supervisor screens (status, daily close) in Chromium,
 * its money formatting in the browser, and what its routes refuse: a foreign Host asking
 * for the token, files outside the fixed list, previews without the token.
 */
import { request } from "node:http";
import type { Page } from "playwright-core";
import t from "tap";
import { screenshot } from "../helpers/browser.js";
import { API_TOKEN, type ConsoleRig, GOLD, SUPERVISOR, startConsoleRig } from "./console-rig.js";
import { logIn, sell } from "./console-steps.js";

let rig: ConsoleRig;
let page: Page;

t.before(async () => {
  rig = await startConsoleRig(t);
  page = await rig.browser.newPage();
});

/** A GET with a chosen Host header (fetch will not send one that differs from the URL). */
function get(
  path: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; type: string; body: string; location?: string }> {
  const url = new URL(rig.url);
  return new Promise((resolve, reject) => {
    const req = request({ host: url.hostname, port: url.port, path, headers }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (c: string) => (body += c));
      res.on("end", () =>
        resolve({
          status: res.statusCode ?? 0,
          type: String(res.headers["content-type"] ?? ""),
          body,
          location: res.headers.location,
        }),
      );
    });
    req.on("error", reject);
    req.end();
  });
}

const text = (selector: string) => page.textContent(selector).then((s) => s?.trim() ?? "");

t.test("bootstrap.json gives the token to this box's own names only (DNS rebinding)", async (t) => {
  const port = new URL(rig.url).port;
  for (const host of [`127.0.0.1:${port}`, `localhost:${port}`]) {
    const ok = await get("/console/bootstrap.json", { host });
    t.equal(ok.status, 200, host);
    t.same(JSON.parse(ok.body), { apiToken: API_TOKEN, language: "zh-CN", timeZone: "Asia/Shanghai", tapTimeoutS: 5 });
  }
  for (const host of [`evil.example:${port}`, "127.0.0.1", `127.0.0.1:${Number(port) + 1}`]) {
    const refused = await get("/console/bootstrap.json", { host });
    t.equal(refused.status, 403, host);
    t.notMatch(refused.body, API_TOKEN);
  }
});

t.test("the console serves its fixed files with their types and nothing else", async (t) => {
  const root = await get("/");
  t.equal(root.status, 302);
  t.equal(root.location, "/console/");
  t.match((await get("/console/")).type, /^text\/html/);
  t.match((await get("/console/app.js")).type, /^text\/javascript/);
  t.match((await get("/console/app.css")).type, /^text\/css/);
  for (const path of ["/console/console-routes.ts", "/console/..%2fconsole-routes.ts", "/console/%2e%2e/agent.ts"]) {
    t.equal((await get(path)).status, 404, path);
  }
  t.equal((await get("/console/receipts/x.png")).status, 401, "previews need the token");
  const auth = { authorization: `Bearer ${API_TOKEN}` };
  t.equal((await get("/console/receipts/..%2f..%2fterminal.key", auth)).status, 404);
  t.equal((await get("/console/receipts/missing.png", auth)).status, 404);
});

t.test("money is formatted from integer fen and typed amounts parsed strictly, in the browser", async (t) => {
  await page.goto(`${rig.url}/console/`);
  const r = (await page.evaluate(`import("/console/money.js").then((m) => ({
    formatted: [2500, 5, 0, -300, 123456789, 1.5].map(m.formatFen),
    parsed: ["25.00", "25", "25.5", "0.01", " 7.10 ", "25.001", "1e3", "-5", ".5", "5.", "01", "0", "0.00", "1,000"].map(m.parseYuan),
    // Decimal fractions a float would get wrong (0.1 * 100, 12.3 * 100, 1.15 * 100), and full-width input.
    exact: ["12.3", "0.1", "1.15", "4.35", "1.234", "１２．３"].map(m.parseYuan),
  }))`)) as { formatted: string[]; parsed: (number | null)[]; exact: (number | null)[] };
  t.same(r.formatted, ["¥25.00", "¥0.05", "¥0.00", "-¥3.00", "¥1,234,567.89", "—"]);
  t.same(r.parsed, [2500, 2500, 2550, 1, 710, null, null, null, null, null, null, null, null, null]);
  t.same(r.exact, [1230, 10, 115, 435, null, 1230]);
});

t.test("the console's Chinese and English words have the same keys", async (t) => {
  const keys = (await page.evaluate(`Promise.all([import("/console/words-zh.js"), import("/console/words-en.js")])
    .then(([z, e]) => [Object.keys(z.zh).sort(), Object.keys(e.en).sort()])`)) as [string[], string[]];
  t.ok(keys[0].length > 100, "the dictionaries loaded");
  t.same(keys[1], keys[0]);
});

t.test("a card form's birthday is read as month and day, and impossible days are refused", async (t) => {
  const days = await page.evaluate(`import("/console/card-forms.js").then((m) =>
    ["3-8", "03-08", "3/8", "03月08日", "2-29", "2-30", "13-1", "0-5", "1985-03-08", ""].map(m.monthDay))`);
  t.same(days, ["03-08", "03-08", "03-08", "03-08", "02-29", null, null, null, null, null]);
});

t.test("the status screen shows devices, links, journal and versions", async (t) => {
  await logIn(page, rig, SUPERVISOR);
  await sell(page, "25.00", GOLD.uid);
  await page.click('[data-screen="status"]');
  await page.waitForSelector("#status-devices");
  const devices = await text("#status-devices");
  t.match(devices, /读卡器 sim/);
  t.match(devices, /打印机 receipt/);
  t.match(await text("#status-journal"), /待上传/);
  t.match(await text("#status-body"), /已连接/, "the broker link is up");
  await page.waitForFunction("document.getElementById('status-body').textContent.includes('实时')");
  await screenshot(page, "08-status");
});

t.test("the daily close screen shows the day's figures and downloads the CSV", async (t) => {
  await page.click('[data-screen="close"]');
  await page.waitForSelector("#close-kinds");
  t.match(await text("#close-kinds"), /消费\s*1/);
  t.match(await text("#close-kinds"), /¥22\.00/);
  await screenshot(page, "09-close");
  const [download] = await Promise.all([page.waitForEvent("download"), page.click("#close-csv")]);
  t.match(download.suggestedFilename(), /\.csv$/);
});

t.test("the status screen in English", async (t) => {
  await page.click("#lang");
  await page.click('[data-screen="status"]');
  await page.waitForSelector("#status-devices");
  t.match(await text("#status-body"), /Devices/);
  await screenshot(page, "10-status-english");
  await page.click("#lang");
});
