/**
 * The close print when the receipt printer is away, in Chromium against the real agent
 * with a network printer stand-in (test/helpers/tcp-printer.ts): the console says the
 * 日结单 is queued and will print when the printer is back; it comes back and the slip
 * prints once, decoded on the printer's side.
 */
import type { Page } from "playwright-core";
import t from "tap";
import { screenshot } from "../helpers/browser.js";
import { decodeEscPos } from "../helpers/escpos-decode.js";
import { TcpPrinterStandIn } from "../helpers/tcp-printer.js";
import { waitFor } from "../helpers/wait-for.js";
import { type ConsoleRig, GOLD, SUPERVISOR, startConsoleRig } from "./console-rig.js";
import { logIn, sell } from "./console-steps.js";

let rig: ConsoleRig;
let page: Page;
let printer: TcpPrinterStandIn;

t.before(async () => {
  printer = await TcpPrinterStandIn.start();
  t.teardown(() => printer.close());
  rig = await startConsoleRig(t, {
    printer: {
      type: "network",
      host: printer.host,
      port: printer.port,
      paperWidth: 80,
      timeoutMs: 300,
      statusIntervalMs: 200,
    },
  });
  page = await rig.browser.newPage();
});

const text = (selector: string) => page.textContent(selector).then((s) => s?.trim() ?? "");
/** The slips the stand-in received whole (cut), decoded. */
const closeSlips = () =>
  printer
    .jobs()
    .map((bytes) => decodeEscPos(bytes))
    .filter((d) => d.cuts === 1 && d.lines.some((l) => l.includes("日结单")));

t.test("with the printer away the close is queued, said so, and prints once when it is back", async (t) => {
  await logIn(page, rig, SUPERVISOR);
  await sell(page, "25.00", GOLD.uid);
  t.match(await text("#result .receipt"), /已打印/, "the sale's receipt printed while the printer was there");

  await printer.stop();
  await page.click('[data-screen="close"]');
  await page.waitForSelector("#close-kinds");
  await page.click("#close-print");
  await page.waitForSelector("#close-printed:is(.approved, .waiting, .declined)");
  t.match(await page.getAttribute("#close-printed", "class"), /waiting/, await text("#close-printed"));
  t.match(await text("#close-print-state"), /日结单: 排队打印（打印机恢复后自动打印）/);
  t.equal(closeSlips().length, 0, "nothing reached the printer");
  t.notMatch(await text("#close-printed"), /null|undefined/, "no empty value shows as a word");
  await screenshot(page, "27-close-queued");
  await page.click("#lang");
  t.match(await text("#close-print-state"), /Queued \(prints when the printer is back\)/);
  await screenshot(page, "28-close-queued-english");
  await page.click("#lang");

  await printer.restart();
  await waitFor("the queued 日结单 to print", () => closeSlips().length > 0, 15_000);
  await new Promise((r) => setTimeout(r, 500));
  const slips = closeSlips();
  t.equal(slips.length, 1, "printed once");
  t.ok(
    slips[0]?.lines.some((l) => /900/.test(l)),
    "the slip names the supervisor who printed it",
  );
});
