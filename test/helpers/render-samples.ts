/**
 * Writes sample sale receipts for people to look at — a PNG preview and the exact ESC/POS
 * bytes (`nc <printer> 9100 < sale-zh-CN.bin` prints one on a real printer):
 * `npx tsx test/helpers/render-samples.ts [outDir]`, docs/receipts/ by default.
 * The receipt-render test renders them into a temp dir, so the script keeps working.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { type SaleReceiptData, saleReceiptMarkup } from "../../agent/receipts/sale-receipt.js";
import { type PaperWidth, renderEscPos, renderSvg, svgToPng } from "../../drivers/printer/render-receipt.js";

export const SAMPLE_SALE: SaleReceiptData = {
  storeName: "悦享生活馆 徐汇店",
  terminalId: "SH-XH-T01",
  operatorId: "cashier-07",
  txnId: "SH-XH-T01-20240501-000123",
  seq: 123,
  at: "2024-05-01T04:34:56.000Z",
  cardId: "ic:04A1B2C3D4E5F6",
  memberName: "张小明",
  cardTypeName: "金卡",
  gross: 12800,
  discount: 1280,
  net: 11520,
  pointsEarned: 5,
  balanceAfter: 88480,
  mode: "online",
};

export interface Sample {
  name: string;
  language: "zh-CN" | "en";
  paperWidth: PaperWidth;
  data: SaleReceiptData;
}

export const SAMPLES: Sample[] = [
  { name: "sale-zh-CN", language: "zh-CN", paperWidth: 80, data: SAMPLE_SALE },
  {
    name: "sale-en",
    language: "en",
    paperWidth: 80,
    data: { ...SAMPLE_SALE, storeName: "Joy Life Spa Xuhui", memberName: "Zhang Xiaoming", cardTypeName: "Gold" },
  },
  {
    name: "sale-zh-CN-58mm-offline",
    language: "zh-CN",
    paperWidth: 58,
    data: { ...SAMPLE_SALE, mode: "offline", balanceAfter: null, reprint: true },
  },
];

/** Render every sample into outDir; returns the PNG paths. */
export function writeSamples(outDir: string, samples: Sample[] = SAMPLES): string[] {
  mkdirSync(outDir, { recursive: true });
  return samples.map((s) => {
    const opts = { language: s.language, paperWidth: s.paperWidth };
    const markup = saleReceiptMarkup(s.data, { ...opts, timeZone: "Asia/Shanghai" });
    const svg = renderSvg(markup, opts);
    const png = join(outDir, `${s.name}.png`);
    writeFileSync(png, svgToPng(svg));
    writeFileSync(join(outDir, `${s.name}.bin`), renderEscPos(markup, opts));
    return png;
  });
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  for (const file of writeSamples(process.argv[2] ?? "docs/receipts")) console.log(file);
}
