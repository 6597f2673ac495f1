/**
 * The printer registry (agent/receipts/printer-registry.ts): each configured type opens
 * its driver with the options mapped from the config, and says where the printer is and
 * how often it is read, for the agent, `cardterm receipt` and the doctor alike.
 */
import t from "tap";
import {
  createPrinter,
  noPrinter,
  printerAddress,
  printerStatusIntervalMs,
} from "../../agent/receipts/printer-registry.js";
import { saleReceiptMarkup } from "../../agent/receipts/sale-receipt.js";
import type { PrinterConfig } from "../../config/agent-config.js";
import { NetworkPrinter } from "../../drivers/printer/network-printer.js";
import { NullPrinter } from "../../drivers/printer/null-printer.js";
import { PreviewPrinter } from "../../drivers/printer/preview-printer.js";
import type { PrintJob } from "../../drivers/printer/receipt-printer.js";
import { SAMPLE_SALE } from "../helpers/render-samples.js";
import { tempDir } from "../helpers/temp-dir.js";

const job: PrintJob = {
  id: SAMPLE_SALE.txnId,
  markup: saleReceiptMarkup(SAMPLE_SALE, { language: "zh-CN", paperWidth: 80, timeZone: "Asia/Shanghai" }),
};

const SERIAL: PrinterConfig = {
  type: "serial",
  path: "/dev/ttyS9",
  baudRate: 9600,
  dataBits: 8,
  parity: "none",
  stopBits: 1,
  flowControl: "rtscts",
  paperWidth: 58,
  timeoutMs: 100,
};

t.test("createPrinter builds each type; 'none' prints nothing and says so", async (t) => {
  const none = createPrinter({ type: "none" }, { language: "zh-CN" });
  t.ok(none instanceof NullPrinter);
  t.equal(none.status().state, "closed");
  t.equal(none.status().detail, "no printer configured");
  await t.rejects(none.print(job), { code: "CT_PRINTER_OFFLINE", message: /no printer is configured/ });
  await none.close();
  await none.close();
  const dir = await tempDir(t);
  t.ok(
    createPrinter({ type: "preview", previewDir: dir, paperWidth: 80 }, { language: "en" }) instanceof PreviewPrinter,
  );
  const net = createPrinter(
    { type: "network", host: "127.0.0.1", port: 9, paperWidth: 80, timeoutMs: 100 },
    { language: "en" },
  );
  t.ok(net instanceof NetworkPrinter);
  t.equal(net.type, "network");
  await net.close();
});

t.test("createPrinter builds serial and USB printers from their config", async (t) => {
  const u = createPrinter({ type: "usb", path: "/dev/usb/lp9", paperWidth: 80, timeoutMs: 100 }, { language: "en" });
  t.equal(u.type, "usb");
  t.equal(typeof u.refreshStatus, "function");
  await u.close();
  const s = createPrinter(SERIAL, { language: "en" });
  t.equal(s.type, "serial");
  await t.rejects(s.print(job), { code: "CT_PRINTER_OFFLINE" }, "no such port");
  await s.close();
});

t.test("each type says where the config puts the printer and how often it is read", async (t) => {
  const network: PrinterConfig = {
    type: "network",
    host: "10.0.0.5",
    port: 9100,
    paperWidth: 80,
    timeoutMs: 100,
    statusIntervalMs: 5_000,
  };
  t.equal(printerAddress(network), "10.0.0.5:9100");
  t.equal(printerAddress(SERIAL), "/dev/ttyS9");
  t.equal(printerAddress({ type: "usb", path: "/dev/usb/lp0", paperWidth: 80, timeoutMs: 100 }), "/dev/usb/lp0");
  t.equal(printerAddress({ type: "preview", previewDir: "/tmp/r", paperWidth: 80 }), "preview");
  t.equal(printerStatusIntervalMs(network), 5_000, "the configured interval");
  t.equal(printerStatusIntervalMs(SERIAL), 30_000, "the default when none is set");
  t.equal(printerStatusIntervalMs({ type: "preview", previewDir: "/tmp/r", paperWidth: 80 }), 30_000);
  t.same(noPrinter({ type: "none" }), {
    zh: "未配置打印机（printer.type: none）",
    en: "no printer configured (printer.type: none)",
  });
  t.equal(noPrinter(network), undefined, "a printer is checked");
});
