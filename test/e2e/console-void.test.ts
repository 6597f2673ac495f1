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
import { logIn, sell } from "./console-steps.js";

let rig: ConsoleRig;
let page: Page;

t.before(async () => {
  rig = await startConsoleRig(t);
  page = await rig.browser.newPage();
});

const text = (selector: string) => page.textContent(selector).then((s) => s?.trim() ?? "");

async function openVoidScreen(): Promise<void> {
  await page.click('[data-screen="void"]');
  await page.waitForSelector("#void-list :is(table, p)");
}

interface Listed {
  kind: string;
  operatorId: string;
  net: number;
  txnId: string;
  originalTxnId: string | null;
  voidable: boolean;
  notVoidable: string | null;
  refundable: number;
}

/** The supervisor's own call to the agent's API, as the POS app makes it. */
async function asSupervisor(method: string, path: string, body?: unknown): Promise<Record<string, unknown>> {
  const login = await fetch(`${rig.agentUrl}/api/v1/sessions`, {
    method: "POST",
    headers: { authorization: `Bearer ${API_TOKEN}`, "content-type": "application/json" },
    body: JSON.stringify({ operatorId: SUPERVISOR.id, pin: SUPERVISOR.pin }),
  });
  const { session } = (await login.json()) as { session: string };
  const headers: Record<string, string> = { authorization: `Bearer ${API_TOKEN}`, "x-cardterm-session": session };
  if (body !== undefined) headers["content-type"] = "application/json";
  const res = await fetch(`${rig.agentUrl}${path}`, {
    method,
    headers,
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  return (await res.json()) as Record<string, unknown>;
}

/** Today's transactions as the agent's journal has them (the API the POS app uses). */
async function journal(): Promise<Listed[]> {
  return (await asSupervisor("GET", "/api/v1/transactions")).transactions as Listed[];
}

t.test("a cashier sees today's sale on the void screen but not a void button, and why", async (t) => {
  await logIn(page, rig, CASHIER);
  await sell(page, "25.00", GOLD.uid);
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
  await logIn(page, rig, SUPERVISOR);
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
  // The list says what can be voided, from the journal by the server's rules: the screen guesses nothing.
  const [sale, voided] = entries;
  t.match(sale, { voidable: false, notVoidable: "voided", refundable: 0, originalTxnId: null });
  t.match(voided, { voidable: false, notVoidable: "reversal", originalTxnId: sale?.txnId });
  t.equal(await text('#void-table .badge[data-why="voided"]'), "已撤销", "the row says it was voided");
});

t.test("a sale refunded in part cannot be voided and says so; an untouched one can", async (t) => {
  const pay = async (amount: number) =>
    (await asSupervisor("POST", "/api/v1/sales", { amount, cardUid: GOLD.uid })).txnId as string;
  const refunded = await pay(5_000);
  const untouched = await pay(3_000);
  t.match(await asSupervisor("POST", "/api/v1/refunds", { originalTxnId: refunded, amount: 1_000 }), {
    approved: true,
  });
  const listed = new Map((await journal()).map((x) => [x.txnId, x]));
  t.match(listed.get(refunded), { voidable: false, notVoidable: "refunded", refundable: 4_400 - 1_000 });
  t.match(listed.get(untouched), { voidable: true, notVoidable: null, refundable: 2_640 });
  t.match(
    [...listed.values()].find((x) => x.kind === "refund"),
    { originalTxnId: refunded, notVoidable: "reversal" },
  );

  await page.click("#void-refresh");
  await page.waitForSelector('#void-table .badge[data-why="refunded"]');
  t.equal(await text('#void-table .badge[data-why="refunded"]'), "已退款", "the refunded sale says why");
  t.equal(await page.locator("#void-table input[type=radio]").count(), 1, "only the untouched sale can be picked");
  t.equal(await page.getAttribute("#void-table input[type=radio]", "value"), untouched);
  t.notMatch(await text("#void-table"), /退款\s*¥/, "refunds themselves are not offered");
  await screenshot(page, "13b-void-why-not");
});

const hq = (card: string) => rig.hq.ledger.getCard(card);

t.test("the void screen in English", async (t) => {
  await page.click("#lang");
  t.equal(await text('[data-screen="void"]'), "Void");
  t.match(await text("#void-result #result-verdict"), /Voided/, "the last result is relabelled");
  t.equal(await text('#void-table .badge[data-why="voided"]'), "voided");
  t.equal(await text('#void-table .badge[data-why="refunded"]'), "refunded");
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
  await logIn(page, rig, CASHIER);
  await page.click('[data-screen="close"]');
  await page.waitForSelector("#close-error");
  t.match(await text("#close-error"), /王收银.*店长/);
  t.match(await text("#close-error"), /CT_FORBIDDEN/);
  for (const button of ["#close-print", "#close-csv", "#close-xlsx"]) t.ok(await page.isDisabled(button), button);
  await screenshot(page, "17-close-cashier");
});
