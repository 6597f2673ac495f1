/**
 * Writes sample receipts of every template for people to look at — a PNG preview and the
 * exact ESC/POS bytes (`nc <printer> 9100 < sale-zh-CN.bin` prints one on a real printer):
 * `npx tsx test/helpers/render-samples.ts [outDir]`, docs/receipts/ by default.
 * The template tests render them into a temp dir, so the script keeps working.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import type { ReceiptRequest } from "../../agent/receipts/receipt-data.js";
import type { ReceiptLayout } from "../../agent/receipts/receipt-layout.js";
import { opensDrawer, receiptMarkup } from "../../agent/receipts/receipt-templates.js";
import { renderJob } from "../../drivers/printer/job-bytes.js";
import { type PaperWidth, renderSvg, svgToPng } from "../../drivers/printer/render-receipt.js";
import {
  SAMPLE_BALANCE,
  SAMPLE_CARD_EVENTS,
  SAMPLE_COUNT_USE,
  SAMPLE_DAILY_CLOSE,
  SAMPLE_FOOTER,
  SAMPLE_HEADER,
  SAMPLE_REFUND,
  SAMPLE_SALE,
  SAMPLE_SALE_POINTS,
  SAMPLE_SELF_TEST,
  SAMPLE_TOPUP,
  SAMPLE_VOID,
  sampleLogoPng,
} from "./sample-receipts.js";

export { SAMPLE_SALE } from "./sample-receipts.js";

export interface Sample {
  name: string;
  language: "zh-CN" | "en";
  paperWidth: PaperWidth;
  request: ReceiptRequest;
  /** With the chain's logo, header and footer lines. */
  chain?: boolean;
}

const EN_NAMES = { storeName: "Joy Life Spa Xuhui", memberName: "Zhang Xiaoming", cardTypeName: "Gold" };

export const SAMPLES: Sample[] = [
  { name: "sale-zh-CN", language: "zh-CN", paperWidth: 80, request: { template: "sale", data: SAMPLE_SALE } },
  {
    name: "sale-en",
    language: "en",
    paperWidth: 80,
    request: { template: "sale", data: { ...SAMPLE_SALE, ...EN_NAMES } },
  },
  {
    name: "sale-zh-CN-58mm-offline",
    language: "zh-CN",
    paperWidth: 58,
    request: { template: "sale", data: { ...SAMPLE_SALE, mode: "offline", balanceAfter: null, reprint: true } },
  },
  {
    name: "sale-points-zh-CN-chain",
    language: "zh-CN",
    paperWidth: 80,
    chain: true,
    request: { template: "sale", data: SAMPLE_SALE_POINTS },
  },
  { name: "topup-zh-CN", language: "zh-CN", paperWidth: 80, request: { template: "topup", data: SAMPLE_TOPUP } },
  {
    name: "topup-en-58mm-offline",
    language: "en",
    paperWidth: 58,
    request: { template: "topup", data: { ...SAMPLE_TOPUP, ...EN_NAMES, mode: "offline", balanceAfter: null } },
  },
  { name: "refund-zh-CN", language: "zh-CN", paperWidth: 80, request: { template: "reversal", data: SAMPLE_REFUND } },
  { name: "void-zh-CN", language: "zh-CN", paperWidth: 80, request: { template: "reversal", data: SAMPLE_VOID } },
  {
    name: "refund-en-58mm",
    language: "en",
    paperWidth: 58,
    request: { template: "reversal", data: { ...SAMPLE_REFUND, ...EN_NAMES, reason: "Goods returned" } },
  },
  {
    name: "count-use-zh-CN",
    language: "zh-CN",
    paperWidth: 80,
    request: { template: "count-use", data: SAMPLE_COUNT_USE },
  },
  { name: "balance-zh-CN", language: "zh-CN", paperWidth: 80, request: { template: "balance", data: SAMPLE_BALANCE } },
  {
    name: "balance-en-58mm-cached",
    language: "en",
    paperWidth: 58,
    request: {
      template: "balance",
      data: { ...SAMPLE_BALANCE, ...EN_NAMES, source: "cached", asOf: "2024-05-01T03:10:00.000Z" },
    },
  },
  ...Object.values(SAMPLE_CARD_EVENTS).map(
    (data): Sample => ({
      name: `card-${data.event}-zh-CN`,
      language: "zh-CN",
      paperWidth: 80,
      request: { template: "card-event", data },
    }),
  ),
  {
    name: "card-replace-en-58mm",
    language: "en",
    paperWidth: 58,
    request: { template: "card-event", data: { ...SAMPLE_CARD_EVENTS.replace, ...EN_NAMES, reason: "Damaged" } },
  },
  {
    name: "daily-close-zh-CN",
    language: "zh-CN",
    paperWidth: 80,
    chain: true,
    request: { template: "daily-close", data: SAMPLE_DAILY_CLOSE },
  },
  {
    name: "daily-close-en-58mm",
    language: "en",
    paperWidth: 58,
    request: { template: "daily-close", data: { ...SAMPLE_DAILY_CLOSE, storeName: EN_NAMES.storeName } },
  },
  {
    name: "self-test-zh-CN",
    language: "zh-CN",
    paperWidth: 80,
    chain: true,
    request: { template: "self-test", data: SAMPLE_SELF_TEST },
  },
  {
    name: "self-test-en-58mm",
    language: "en",
    paperWidth: 58,
    request: {
      template: "self-test",
      data: {
        ...SAMPLE_SELF_TEST,
        storeName: EN_NAMES.storeName,
        printer: { ...SAMPLE_SELF_TEST.printer, paperWidth: 58 },
      },
    },
  },
];

export function sampleLayout(s: Pick<Sample, "language" | "paperWidth" | "chain">): ReceiptLayout {
  return {
    language: s.language,
    paperWidth: s.paperWidth,
    timeZone: "Asia/Shanghai",
    ...(s.chain
      ? { header: SAMPLE_HEADER, footer: SAMPLE_FOOTER, logoBase64: sampleLogoPng().toString("base64") }
      : {}),
  };
}

/** The markup and ESC/POS bytes of a sample, drawer pulse (pin 2) included when it opens the drawer. */
export function renderSample(s: Sample): { markup: string; bytes: Buffer } {
  const markup = receiptMarkup(s.request, sampleLayout(s));
  const job = { id: s.name, markup, openDrawer: opensDrawer(s.request) };
  return { markup, bytes: renderJob(job, { paperWidth: s.paperWidth, drawerPin: 2 }, s.language) };
}

/** Render every sample into outDir; returns the PNG paths. */
export function writeSamples(outDir: string, samples: Sample[] = SAMPLES): string[] {
  mkdirSync(outDir, { recursive: true });
  return samples.map((s) => {
    const { markup, bytes } = renderSample(s);
    const png = join(outDir, `${s.name}.png`);
    writeFileSync(png, svgToPng(renderSvg(markup, { language: s.language, paperWidth: s.paperWidth })));
    writeFileSync(join(outDir, `${s.name}.bin`), bytes);
    return png;
  });
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  for (const file of writeSamples(process.argv[2] ?? "docs/receipts")) console.log(file);
}
