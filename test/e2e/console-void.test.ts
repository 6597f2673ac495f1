/**
 * The console's void screen (撤销) and the close print, in Chromium against the real
 * agent, central server and broker: a cashier's sale cannot be voided by the cashier (the
 * reason is on screen before anything is sent), a supervisor voids it after a read-back,
 * the server's ledger and the till's journal both hold the void, and the supervisor
 * prints the 日结单 from the daily close screen. Screenshots in zh-CN and en.
 */
import { readdir } from "node:fs/promises";
import type { Page } from "playwright-core";
import t from "tap";
import { screenshot, waitInPage } from "../helpers/browser.js";
import { API_TOKEN, CASHIER, type ConsoleRig, GOLD, SUPERVISOR, startConsoleRig } from "./console-rig.js";

let rig: ConsoleRig;
let page: Page;

t.before(async () => {
  rig = await startConsoleRig(t);
  page = await rig.browser.newPage();
});

const text = (selector: string) => page.textContent(selector).then((s) => s?.trim() ?? "");

async function logIn(who: { id: string; pin: string }): Promise<void> {
  await page.goto(`${rig.url}/console/`);
  await page.fill("#login-operator", who.id);
  await page.fill("#login-pin", who.pin);
  await page.click("#login-submit");
  await page.waitForSelector("#screen-till:not([hidden])");
}

async function openVoidScreen(): Promise<void> {
  await page.click('[data-screen="void"]');
  await page.waitForSelector("#void-list :is(table, p)");
}

/** Today's transactions as the agent's journal has them (the API the POS app uses). */
async function journal(): Promise<{ kind: string; operatorId: string; net: number; txnId: string }[]> {
  const login = await fetch(`${rig.agentUrl}/api/v1/sessions`, {
    method: "POST",
    headers: { authorization: `Bearer ${API_TOKEN}`, "content-type": "application/json" },
    body: JSON.stringify({ operatorId: SUPERVISOR.id, pin: SUPERVISOR.pin }),
  });
  const { session } = (await login.json()) as { session: string };
  const res = await fetch(`${rig.agentUrl}/api/v1/transactions`, {
    headers: { authorization: `Bearer ${API_TOKEN}`, "x-cardterm-session": session },
  });
  return ((await res.json()) as { transactions: [] }).transactions;
}

t.test("a cashier sees today's sale on the void screen but not a void button, and why", async (t) => {
  await logIn(CASHIER);
  await page.fill("#amount", "25.00");
  await page.fill("#card-uid", GOLD.uid);
  await page.click("#till-go");
  await page.waitForSelector("#result.approved");
  await openVoidScreen();
  t.match(await text("#void-table"), /¥22\.00/, "the ¥22.00 the gold card paid is listed");
  t.ok(await page.isVisible("#void-rights"), "the rule is shown before trying");
  const why = await text("#void-rights");
  t.match(why, /王收银/, "names who is logged in");
  t.match(why, /撤销交易/, "names the operation");
  t.match(why, /店长/, "says who may");
  t.ok(await page.isDisabled("#void-go"), "the void button is greyed out");
  await screenshot(page, "11-void-cashier");
  await page.click("#logout");
  await page.waitForSelector("#screen-login:not([hidden])");
});

t.test("a supervisor voids the sale after reading it back; the ledger and the journal hold the void", async (t) => {
  await logIn(SUPERVISOR);
  await openVoidScreen();
  t.notOk(await page.isVisible("#void-rights"), "no refusal for a supervisor");
  await page.click("#void-go");
  t.match(await text("#void-message"), /请先选择/, "nothing is sent before a transaction is picked");
  await page.check("#void-table input[type=radio]");
  await page.click("#void-go");
  await page.waitForSelector("#void-confirm:not([hidden])");
  t.match(await text("#void-confirm-text"), /第 1 笔消费 ¥22\.00/, "the read-back names the sale and amount");
  await screenshot(page, "12-void-confirm");
  await page.click("#void-yes");
  await page.waitForSelector("#void-result.approved, #void-result.declined");
  t.match(await page.getAttribute("#void-result", "class"), /approved/, await text("#void-result"));
  t.match(await text("#void-result #result-verdict"), /撤销成功/);
  t.equal(await text("#void-result #result-voided"), "¥22.00");
  t.equal(await text("#void-result #result-balance"), "¥1,000.00", "the ¥22.00 is back on the card");
  t.notMatch(await text("#void-result"), /null|undefined|NaN/, "no empty value shows as a word");
  await waitInPage(page, "document.querySelector('#void-result #receipt-preview')?.naturalWidth > 0");
  t.match(await text("#void-result .receipt"), /已打印/, "the void receipt was printed");
  await page.waitForSelector("#void-table .badge");
  t.equal(await page.locator("#void-table input[type=radio]").count(), 0, "the voided sale cannot be picked again");
  await screenshot(page, "13-void-done");

  t.match(await hq(`ic:${GOLD.uid}`), { balance: 100_000 }, "the server's balance is whole again");
  const { rows } = await rig.hq.db.query<{ kind: string; void_of: string; operator_id: string; net: string }>(
    "SELECT kind, void_of, operator_id, net::text FROM transactions WHERE card_id = $1 AND kind = 'void'",
    [`ic:${GOLD.uid}`],
  );
  t.same(rows, [{ kind: "void", void_of: "sale", operator_id: SUPERVISOR.id, net: "2200" }], "one void, by 900");
  const entries = await journal();
  t.match(
    entries.map((e) => [e.kind, e.operatorId, e.net]),
    [
      ["sale", CASHIER.id, 2200],
      ["void", SUPERVISOR.id, 2200],
    ],
    "the till's journal: the cashier's sale, then the supervisor's void",
  );
});

const hq = (card: string) => rig.hq.ledger.getCard(card);

t.test("the void screen in English", async (t) => {
  await page.click("#lang");
  t.equal(await text('[data-screen="void"]'), "Void");
  t.match(await text("#void-result #result-verdict"), /Voided/, "the last result is relabelled");
  t.match(await text("#void-table"), /voided \/ refunded/);
  await screenshot(page, "14-void-english");
  await page.click("#lang");
});

t.test("the supervisor prints the day's close and sees it printed with its preview", async (t) => {
  const before = (await readdir(rig.previewDir)).length;
  await page.click('[data-screen="close"]');
  await page.waitForSelector("#close-kinds");
  t.notOk(await page.isDisabled("#close-print"));
  await page.click("#close-print");
  await page.waitForSelector("#close-printed.approved, #close-printed.waiting, #close-printed.declined");
  t.match(await page.getAttribute("#close-printed", "class"), /approved/, await text("#close-printed"));
  t.match(await text("#close-printed"), /日结单/);
  t.match(await text("#close-printed"), /已打印/);
  t.notMatch(await text("#close-printed"), /null|undefined/, "no empty value shows as a word");
  await waitInPage(page, "document.getElementById('close-preview')?.naturalWidth > 0");
  t.ok((await readdir(rig.previewDir)).length > before, "the preview printer wrote the slip");
  const queue = (await (
    await fetch(`${rig.agentUrl}/api/v1/receipts`, { headers: { authorization: `Bearer ${API_TOKEN}` } })
  ).json()) as { receipts: { template: string; state: string }[] };
  t.match(
    queue.receipts.filter((j) => j.template === "daily-close"),
    [{ state: "printed" }],
    "the print queue holds one 日结单 job, printed",
  );
  await screenshot(page, "15-close-printed");
  await page.click("#lang");
  await page.click("#close-printed summary");
  t.match(await text("#close-printed"), /Daily close slip/);
  t.match(await text("#close-printed"), /Printed/);
  await screenshot(page, "16-close-printed-english");
  await page.click("#lang");
  await page.click("#logout");
});

t.test("a cashier on the daily close screen is told it is a supervisor's", async (t) => {
  await logIn(CASHIER);
  await page.click('[data-screen="close"]');
  await page.waitForSelector("#close-error");
  t.match(await text("#close-error"), /王收银.*店长/);
  t.match(await text("#close-error"), /CT_FORBIDDEN/);
  for (const button of ["#close-print", "#close-csv", "#close-xlsx"]) t.ok(await page.isDisabled(button), button);
  await screenshot(page, "17-close-cashier");
});
