/**
 * The refund and void slips (agent/receipts/reversal-receipt.ts) for sales paid with
 * points or a count use, printed as ESC/POS and read back with the independent decoder:
 * the points given back and what they paid, the points moved in all, the uses given back
 * with the package and the uses left, the points left — in Chinese and English, on 80 and
 * 58 mm paper; and a slip of a plain refund keeps the rows it always had.
 */
import t from "tap";
import type { ReversalReceiptData } from "../../agent/receipts/receipt-data.js";
import { type Decoded, decodeEscPos } from "../helpers/escpos-decode.js";
import { renderSample } from "../helpers/render-samples.js";
import { SAMPLE_REFUND, SAMPLE_VOID } from "../helpers/sample-receipts.js";

function print(data: ReversalReceiptData, language: "zh-CN" | "en", paperWidth: 58 | 80 = 80): Decoded {
  const { bytes } = renderSample({ name: "reversal", language, paperWidth, request: { template: "reversal", data } });
  return decodeEscPos(bytes);
}

function row(d: Decoded, label: string): string {
  const line = d.lines.find((l) => l.startsWith(label));
  if (line === undefined) throw new Error(`no line starts with ${label}:\n${d.lines.join("\n")}`);
  return line;
}

const POINTS_REFUND: ReversalReceiptData = {
  ...SAMPLE_REFUND,
  amount: 4_250,
  pointsChange: 148,
  pointsReturned: 150,
  pointsReturnedValue: 150,
  pointsAfter: 352,
  balanceAfter: 95_750,
};
const USE_VOID: ReversalReceiptData = {
  ...SAMPLE_VOID,
  amount: 0,
  pointsChange: 0,
  refundTo: "card",
  usesReturned: { service: "洗车", uses: 1, remaining: 3 },
  pointsAfter: 500,
};

t.test("a refund of a points sale shows the points given back and what they paid", async (t) => {
  const zh = print(POINTS_REFUND, "zh-CN");
  t.match(row(zh, "退回积分"), /\+150$/);
  t.match(row(zh, "抵扣金额"), /￥1\.50$/);
  t.match(row(zh, "积分变动"), /\+148$/);
  t.match(row(zh, "退款金额"), /￥42\.50$/);
  t.match(row(zh, "积分余额"), /352$/);
  const en = print(POINTS_REFUND, "en", 58);
  t.match(row(en, "Pts back"), /\+150$/);
  t.match(row(en, "Pts value"), /1\.50$/);
  t.match(row(en, "Pts left"), /352$/);
});

t.test("a void of a count use shows the use given back and the uses left", async (t) => {
  const zh = print(USE_VOID, "zh-CN");
  t.match(row(zh, "次卡项目"), /洗车$/);
  t.match(row(zh, "退回次数"), /\+1$/);
  t.match(row(zh, "剩余次数"), /3$/);
  t.notOk(
    zh.lines.some((l) => l.startsWith("积分变动")),
    "no points row when no point moved",
  );
  const en = print({ ...USE_VOID, usesReturned: { service: "Car wash", uses: 2, remaining: null } }, "en");
  t.match(row(en, "Uses back"), /\+2$/);
  t.notOk(
    en.lines.some((l) => l.startsWith("Uses left")),
    "uses left only when known",
  );
});

t.test("a plain refund keeps the rows it always had", async (t) => {
  const d = print(SAMPLE_REFUND, "zh-CN");
  t.match(row(d, "积分变动"), /-5$/);
  for (const label of ["退回积分", "抵扣金额", "退回次数", "积分余额"]) {
    t.notOk(
      d.lines.some((l) => l.startsWith(label)),
      `no ${label} row`,
    );
  }
});
