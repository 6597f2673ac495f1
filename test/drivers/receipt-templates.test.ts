/**
 * Every receipt template, printed as ESC/POS and read back with the independent decoder
 * (test/helpers/escpos-decode.ts): the text lines (Chinese as GB18030), one cut, the QR
 * code or barcode, the drawer pulse when the transaction took or gave cash, the chain's
 * logo, header and footer, the OFFLINE and REPRINT marks, masked cards, nothing past the
 * paper's edge.
 */
import iconv from "iconv-lite";
import t, { type Test } from "tap";
import { REPRINT_MARK } from "../../agent/receipts/receipt-layout.js";
import { opensDrawer, receiptJobId, receiptMarkup } from "../../agent/receipts/receipt-templates.js";
import { renderJob } from "../../drivers/printer/job-bytes.js";
import { charsPerLine } from "../../drivers/printer/render-receipt.js";
import { type Decoded, decodeEscPos } from "../helpers/escpos-decode.js";
import { renderSample, SAMPLES, type Sample, sampleLayout } from "../helpers/render-samples.js";
import { SAMPLE_FOOTER, SAMPLE_HEADER, SAMPLE_SALE } from "../helpers/sample-receipts.js";

function sample(name: string): Sample {
  const s = SAMPLES.find((x) => x.name === name);
  if (!s) throw new Error(`no sample ${name}`);
  return s;
}

function printed(name: string): { s: Sample; bytes: Buffer; d: Decoded } {
  const s = sample(name);
  const { bytes } = renderSample(s);
  return { s, bytes, d: decodeEscPos(bytes) };
}

/** The line that starts with `label`, with its value at the right edge. */
function row(d: Decoded, label: string): string {
  const line = d.lines.find((l) => l.startsWith(label));
  if (line === undefined) throw new Error(`no line starts with ${label}:\n${d.lines.join("\n")}`);
  return line;
}

function hasLine(d: Decoded, text: string): boolean {
  return d.lines.some((l) => l.trim() === text);
}

/** What every receipt must be: known commands, one cut, nothing off the paper, the card masked. */
function assertSound(t: Test, s: Sample, bytes: Buffer, d: Decoded): void {
  t.same(d.unknown, [], `${s.name}: every command is one the printer knows`);
  t.equal(d.cuts, 1, `${s.name}: cut exactly once`);
  const cpl = charsPerLine(s.paperWidth);
  for (const r of d.runs) {
    if (r.column + r.columns > cpl) t.fail(`${s.name}: "${r.text}" runs past column ${cpl}`);
  }
  t.notOk(bytes.includes(Buffer.from("04A1B2C3D4E5F6")), `${s.name}: no full card number in the bytes`);
  t.notOk(bytes.includes(Buffer.from("张小明", "utf8")), `${s.name}: no UTF-8 Chinese in the stream`);
  const drawer = d.events.findIndex((e) => e.kind === "drawer");
  const cut = d.events.findIndex((e) => e.kind === "cut");
  if (opensDrawer(s.request)) {
    t.equal(d.drawerKicks, 1, `${s.name}: a cash transaction opens the drawer once`);
    t.ok(drawer > cut, `${s.name}: the drawer opens after the cut`);
    t.same(d.events[drawer], { kind: "drawer", pin: 0 }, `${s.name}: on pin 2`);
  } else {
    t.equal(d.drawerKicks, 0, `${s.name}: no drawer pulse`);
    t.equal(d.events.at(-1)?.kind, "cut", `${s.name}: the cut is the last thing`);
  }
}

t.test("every sample receipt decodes cleanly: one cut, on the paper, card masked, drawer only for cash", async (t) => {
  t.ok(SAMPLES.length >= 20);
  for (const s of SAMPLES) {
    const { bytes } = renderSample(s);
    assertSound(t, s, bytes, decodeEscPos(bytes));
  }
});

t.test("a sale paid partly with points shows the points, their value and the amount paid", async (t) => {
  const { d, bytes } = printed("sale-points-zh-CN-chain");
  t.match(row(d, "积分抵扣"), /-￥5\.00$/);
  t.match(row(d, "使用积分"), /-500$/);
  t.match(row(d, "积分余额"), /1320$/);
  t.match(row(d, "实付"), /￥110\.20$/);
  t.ok(bytes.includes(iconv.encode("积分抵扣", "gb18030")));
  t.same(d.qrCodes, ["SH-XH-T01-20240501-000124"]);
});

t.test("the chain's logo, header and footer are on the receipt, in that order around the body", async (t) => {
  const { d } = printed("sale-points-zh-CN-chain");
  const first = d.events.findIndex((e) => e.kind === "line" && e.text.trim() !== "");
  const raster = d.events.findIndex((e) => e.kind === "raster");
  t.ok(raster >= 0 && raster < first, "the logo is a raster image above the first text");
  t.equal(d.lines.find((l) => l.trim() !== "")?.trim(), SAMPLE_SALE.storeName, "then the store name");
  for (const line of [...SAMPLE_HEADER, ...SAMPLE_FOOTER]) t.ok(hasLine(d, line), `"${line}" printed`);
  const idx = (text: string) => d.lines.findIndex((l) => l.trim() === text);
  t.ok(idx(SAMPLE_HEADER[0]!) < idx("消费小票"), "header above the title");
  t.ok(idx(SAMPLE_FOOTER[0]!) > idx("SH-XH-T01-20240501-000124"), "footer below the transaction id");
  t.ok(idx("谢谢惠顾") > idx(SAMPLE_FOOTER[1]!), "thanks last");
  const plain = printed("sale-zh-CN").d;
  t.equal(plain.rasters, 0, "no logo when the chain has none");
});

t.test("a cash top-up shows paid, bonus money and points, credited and balance, and opens the drawer", async (t) => {
  const { d } = printed("topup-zh-CN");
  t.ok(hasLine(d, "充值小票"));
  t.match(row(d, "充值金额"), /￥1000\.00$/);
  t.match(row(d, "付款方式"), /现金$/);
  t.match(row(d, "赠送金额"), /\+￥100\.00$/);
  t.match(row(d, "赠送积分"), /\+200$/);
  const credited = d.runs.filter((r) => r.line === d.lines.indexOf(row(d, "到账金额")));
  t.same(
    credited.map((r) => [r.text, r.height]),
    [
      ["到账金额", 2],
      ["￥1100.00", 2],
    ],
    "what reaches the card, in large print",
  );
  t.match(row(d, "余额"), /￥1874\.60$/);
  t.same(d.qrCodes, ["SH-XH-T01-20240501-000125"]);
  t.equal(d.drawerKicks, 1);
});

t.test("an offline top-up on 58 mm in English: marked OFFLINE, no balance, 32 columns", async (t) => {
  const { d } = printed("topup-en-58mm-offline");
  t.ok(d.runs.some((r) => r.text.includes("OFFLINE") && r.inverted));
  t.notOk(d.lines.some((l) => l.startsWith("Balance")));
  t.match(row(d, "Bonus pts"), /\+200$/);
  t.match(row(d, "Paid by"), /Cash$/);
  t.match(row(d, "Member"), /Zhang Xiaoming$/);
});

t.test("refund and void name the original transaction, where the money goes and who approved", async (t) => {
  const refund = printed("refund-zh-CN").d;
  t.ok(hasLine(refund, "退款小票"));
  t.match(row(refund, "原交易"), /SH-XH-T01-20240501-000123$/);
  t.match(row(refund, "退至"), /会员卡$/);
  t.match(row(refund, "积分变动"), /-5$/);
  t.match(row(refund, "退款金额"), /￥115\.20$/);
  t.match(row(refund, "原因"), /商品退货$/);
  t.match(row(refund, "授权人"), /mgr-01$/);
  t.equal(refund.drawerKicks, 0, "money back on the card: the drawer stays shut");
  const voided = printed("void-zh-CN").d;
  t.ok(hasLine(voided, "撤销小票"));
  t.match(row(voided, "退至"), /现金$/);
  t.match(row(voided, "撤销金额"), /￥1100\.00$/);
  t.equal(voided.drawerKicks, 1, "cash back: the drawer opens");
  const en = printed("refund-en-58mm").d;
  const i = en.lines.findIndex((l) => l.trim() === "Original");
  t.ok(i >= 0, "on 58 mm a long id gets a line of its own…");
  t.match(en.lines[i + 1], /^\s+SH-XH-T01-20240501-000123$/, "…right-aligned under its label");
});

t.test("count-card use, balance query and every card event print what they are about", async (t) => {
  const use = printed("count-use-zh-CN").d;
  t.match(row(use, "项目"), /精油按摩 60 分钟$/);
  t.match(row(use, "剩余次数"), /9$/);
  t.match(row(use, "有效期至"), /2024-12-31$/);
  t.match(row(use, "卡号"), /ic:04D5\*{4}E6F7$/);

  const bal = printed("balance-zh-CN").d;
  t.ok(hasLine(bal, "余额查询"));
  t.match(row(bal, "余额"), /￥889\.80$/);
  t.match(row(bal, "积分"), /1315$/);
  t.match(row(bal, "精油按摩 60 分钟"), /9次 至 2024-12-31$/);
  t.match(row(bal, "洗剪吹"), /3次$/);
  t.same(bal.qrCodes, [], "a query is not a transaction: no QR code");
  t.notOk(bal.lines.some((l) => l.startsWith("流水号")));
  const cached = printed("balance-en-58mm-cached").d;
  t.ok(hasLine(cached, "Offline copy as of") && hasLine(cached, "2024-05-01 11:10:00"), "a cached balance says so");
  t.match(row(cached, "Time"), /2024-05-01 13:00:00$/, "a long service name does not widen the label column");

  const titles = {
    issue: "发卡凭证",
    loss: "挂失凭证",
    unloss: "解挂凭证",
    freeze: "冻结凭证",
    unfreeze: "解冻凭证",
    replace: "补卡凭证",
    recycle: "退卡回收凭证",
    levelChange: "卡等级变更凭证",
  };
  for (const [event, title] of Object.entries(titles)) {
    const d = printed(`card-${event}-zh-CN`).d;
    t.ok(hasLine(d, title), `${event}: ${title}`);
    t.same(d.qrCodes, ["SH-XH-T01-20240501-000130"], `${event}: transaction id as QR`);
  }
  const replace = printed("card-replace-zh-CN").d;
  t.match(row(replace, "新卡号"), /ic:04FF\*{6}BBAA$/, "the new card is masked too");
  t.match(row(replace, "转入余额"), /￥889\.80$/);
  t.ok(hasLine(replace, "旧卡已作废，余额已转入新卡"));
  const level = printed("card-levelChange-zh-CN").d;
  t.match(row(level, "原等级"), /银卡$/);
  t.match(row(level, "新等级"), /金卡$/);
  const issue = printed("card-issue-zh-CN").d;
  t.match(row(issue, "押金"), /￥20\.00$/);
  t.equal(issue.drawerKicks, 1, "a cash deposit opens the drawer");
  t.match(row(printed("card-recycle-zh-CN").d, "退还押金"), /￥20\.00$/);
  const en = printed("card-replace-en-58mm").d;
  t.ok(hasLine(en, "The old card is void; its") && hasLine(en, "balance is on the new card"), "wrapped between words");
});

t.test("the daily close prints totals by type, operator, payment and mode, in aligned columns", async (t) => {
  const { d } = printed("daily-close-zh-CN");
  t.ok(hasLine(d, "日结单"));
  t.match(row(d, "营业日"), /2024-05-01$/);
  t.match(row(d, "消费"), /86笔 ￥12345\.00$/);
  t.match(row(d, "充值"), /12笔 ￥24000\.00$/);
  t.match(row(d, "cashier-07"), /70笔 {2}￥8655\.00$/, "an operator: the signed change of stored value");
  t.match(row(d, "cashier-09"), /52笔 -￥1120\.40$/);
  t.match(row(d, "现金"), /5笔 {2}￥8000\.00$/, "amounts padded to one width");
  t.match(row(d, "离线"), /7笔 {2}-￥740\.00$/);
  t.match(row(d, "未上传"), /2笔 {2}-￥128\.00$/);
  t.match(row(d, "积分发放"), /6172$/);
  t.ok(d.lines.some((l) => l.includes("收银员签字")));
  t.same(d.qrCodes, []);
  t.notOk(hasLine(d, "谢谢惠顾"), "a report does not say thank you");
  const en = printed("daily-close-en-58mm").d;
  t.match(row(en, "Not uploaded"), /2 {2}-￥128\.00$/);
  t.match(row(en, "Sales"), /86 ￥12345\.00$/);
});

t.test("the self-test page: settings, a full-width ruler, Chinese and ¥, a QR code and a barcode", async (t) => {
  const { d } = printed("self-test-zh-CN");
  t.ok(hasLine(d, "打印机自检"));
  t.match(row(d, "版本"), /0\.1\.0$/);
  t.match(row(d, "配置文件"), /\/etc\/cardterm\/config\.yaml$/);
  t.match(row(d, "消息服务器"), /已连接$/);
  t.match(row(d, "front"), /pcsc ready$/);
  t.match(row(d, "字符集"), /gb18030$/);
  t.ok(hasLine(d, "123456789012345678901234567890123456789012345678"), "the ruler fills exactly 48 columns");
  t.ok(hasLine(d, "中文测试 ￥12.34 ABCabc 0123"));
  t.same(d.qrCodes, ["SELFTEST SH-XH-T01"]);
  t.same(d.barcodes, ["SH-XH-T01"], "CODE128 barcode, read back from GS k");
  const narrow = printed("self-test-en-58mm").d;
  t.ok(hasLine(narrow, "12345678901234567890123456789012"), "32 columns on 58 mm");
});

t.test("a reprint of any template carries the REPRINT mark; the job id is the transaction id", async (t) => {
  for (const s of SAMPLES) {
    const markup = receiptMarkup(s.request, sampleLayout(s), { reprint: true });
    const d = decodeEscPos(renderJob({ id: s.name, markup }, { paperWidth: s.paperWidth }, s.language));
    t.ok(
      d.runs.some((r) => r.text === REPRINT_MARK && r.bold),
      `${s.name}: REPRINT`,
    );
  }
  t.equal(receiptJobId({ template: "sale", data: SAMPLE_SALE }), SAMPLE_SALE.txnId);
  t.match(receiptJobId(sample("balance-zh-CN").request), /^balance-SH-XH-T01-\d+$/);
});

t.test("no drawer is pulsed when none is wired, even for cash", async (t) => {
  const s = sample("topup-zh-CN");
  const { markup } = renderSample(s);
  const d = decodeEscPos(renderJob({ id: "x", markup, openDrawer: true }, { paperWidth: 80 }, "zh-CN"));
  t.equal(d.drawerKicks, 0);
  const pin5 = decodeEscPos(
    renderJob({ id: "x", markup, openDrawer: true }, { paperWidth: 80, drawerPin: 5 }, "zh-CN"),
  );
  t.same(pin5.events.at(-1), { kind: "drawer", pin: 1 }, "pin 5 is ESC p 1");
});

t.test("on a cp1252 printer an English receipt prints ¥ as A5 and Chinese as ?", async (t) => {
  const s = sample("topup-en-58mm-offline");
  const { markup } = renderSample(s);
  const bytes = renderJob({ id: "x", markup }, { paperWidth: 58, charset: "cp1252" }, "en");
  const d = decodeEscPos(bytes);
  t.same(d.unknown, []);
  t.ok(bytes.includes(Buffer.from([0x1b, 0x74, 0x10])), "ESC t 16 selects cp1252");
  t.notOk(bytes.includes(Buffer.from([0x1c, 0x26])), "no Kanji mode");
  t.match(row(d, "Paid "), /¥1000\.00$/);
  t.ok(
    d.lines.some((l) => l.includes("???? OFFLINE")),
    "the Chinese half of the mark prints as ?",
  );
});
