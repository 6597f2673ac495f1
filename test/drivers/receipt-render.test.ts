import { readFileSync } from "node:fs";
import iconv from "iconv-lite";
import t, { type Test } from "tap";
import {
  OFFLINE_MARK,
  REPRINT_MARK,
  type SaleReceiptData,
  saleReceiptMarkup,
} from "../../agent/receipts/sale-receipt.js";
import {
  findPreviewFonts,
  type PaperWidth,
  type PreviewFonts,
  renderEscPos,
  renderSvg,
  svgToPng,
} from "../../drivers/printer/render-receipt.js";
import { type Decoded, decodeEscPos, type TextRun } from "../helpers/escpos-decode.js";
import { SAMPLE_SALE, SAMPLES, writeSamples } from "../helpers/render-samples.js";
import { tempDir } from "../helpers/temp-dir.js";

type Lang = "zh-CN" | "en";

function printed(data: SaleReceiptData, language: Lang, paperWidth: PaperWidth): { bytes: Buffer; d: Decoded } {
  const markup = saleReceiptMarkup(data, { language, paperWidth, timeZone: "Asia/Shanghai" });
  const bytes = renderEscPos(markup, { language, paperWidth });
  return { bytes, d: decodeEscPos(bytes) };
}

function lineStarting(d: Decoded, label: string): string {
  const line = d.lines.find((l) => l.startsWith(label));
  if (line === undefined) throw new Error(`no line starts with ${label}:\n${d.lines.join("\n")}`);
  return line;
}

function runsOf(d: Decoded, line: string): TextRun[] {
  return d.runs.filter((r) => r.line === d.lines.indexOf(line));
}

/** Every run fits the paper; label/value rows end exactly at the right edge. */
function assertColumns(t: Test, d: Decoded, cpl: number, valueRows: string[]): void {
  for (const r of d.runs) {
    if (r.column + r.columns > cpl) t.fail(`"${r.text}" runs past column ${cpl} (line ${r.line}: ${d.lines[r.line]})`);
  }
  for (const label of valueRows) {
    const runs = runsOf(d, lineStarting(d, label));
    t.equal(runs[0]?.column, 0, `${label} starts at the left edge`);
    const last = runs[runs.length - 1]!;
    t.equal(last.column + last.columns, cpl, `${label}'s value ends at the right edge`);
  }
}

const gb = (s: string) => iconv.encode(s, "gb18030");

t.test(
  "a zh-CN sale receipt on 80 mm prints Chinese as GB18030 with aligned amounts, the QR and one cut",
  async (t) => {
    const { bytes, d } = printed(SAMPLE_SALE, "zh-CN", 80);
    t.same(d.unknown, [], "every command is one the printer knows");
    t.ok(bytes.includes(gb("消费小票")), "title as GB18030 bytes");
    t.notOk(bytes.includes(Buffer.from("消费", "utf8")), "no UTF-8 Chinese in the stream");
    t.ok(bytes.includes(Buffer.from([0x1c, 0x26])), "Kanji mode (FS &) is switched on");
    t.ok(bytes.includes(Buffer.from([0xa3, 0xa4])), "the yen sign is the GB2312 full-width ￥ (A3 A4)");

    t.match(d.lines[0], /^\s+悦享生活馆 徐汇店$/, "store name centred on the first line");
    t.ok(d.lines.some((l) => l.trim() === "消费小票"));
    t.match(lineStarting(d, "时间"), /2024-05-01 12:34:56$/, "time in the store's zone (UTC+8)");
    t.match(lineStarting(d, "终端"), /SH-XH-T01$/);
    t.match(lineStarting(d, "操作员"), /cashier-07$/);
    t.match(lineStarting(d, "流水号"), /000123$/);
    t.match(lineStarting(d, "会员"), /张小明$/);
    t.match(lineStarting(d, "卡号"), /ic:04A1\*{6}E5F6$/, "card masked");
    t.notOk(bytes.includes(Buffer.from("04A1B2C3D4E5F6")), "the full card number is nowhere in the bytes");
    t.match(lineStarting(d, "卡类型"), /金卡$/);
    t.match(lineStarting(d, "原价"), /￥128\.00$/);
    t.match(lineStarting(d, "折扣"), /-￥12\.80$/);
    t.match(lineStarting(d, "余额"), /￥884\.80$/);
    t.match(lineStarting(d, "积分"), /\+5$/);

    const total = runsOf(d, lineStarting(d, "实付"));
    t.same(
      total.map((r) => [r.text, r.width, r.height]),
      [
        ["实付", 2, 2],
        ["￥115.20", 2, 2],
      ],
      "the amount paid at double size",
    );
    assertColumns(t, d, 48, ["时间", "终端", "操作员", "卡号", "原价", "折扣", "实付", "余额", "积分"]);

    t.same(d.qrCodes, [SAMPLE_SALE.txnId], "QR payload is the transaction id");
    t.ok(
      d.lines.some((l) => l.trim() === SAMPLE_SALE.txnId),
      "and the id is printed as text",
    );
    t.equal(d.cuts, 1, "cut exactly once");
    t.equal(d.events.at(-1)?.kind, "cut", "the cut is the last thing");
    t.equal(d.drawerKicks, 0, "a receipt does not open the drawer");
    t.notOk(
      d.lines.some((l) => l.includes("OFFLINE")),
      "online sale has no offline mark",
    );
  },
);

t.test("an en offline reprint on 58 mm: marks, no balance, 32 columns, Chinese names still in GB18030", async (t) => {
  const data = { ...SAMPLE_SALE, mode: "offline" as const, balanceAfter: null, reprint: true };
  const { bytes, d } = printed(data, "en", 58);
  t.same(d.unknown, []);
  const mark = d.runs.find((r) => r.text.includes(OFFLINE_MARK));
  t.ok(mark?.inverted, "offline mark printed white on black");
  t.ok(bytes.includes(gb("离线交易")), "offline mark's Chinese as GB18030");
  t.ok(
    d.runs.some((r) => r.text === REPRINT_MARK && r.bold),
    "reprint mark in bold",
  );
  t.ok(d.lines.some((l) => l.trim() === "SALE"));
  t.notOk(
    d.lines.some((l) => l.startsWith("Balance")),
    "no balance offline: the terminal does not know it for sure",
  );
  t.match(lineStarting(d, "Member"), /张小明$/);
  t.match(lineStarting(d, "Time"), /2024-05-01 12:34:56$/);
  t.match(lineStarting(d, "Paid"), /￥115\.20$/);
  assertColumns(t, d, 32, ["Time", "Terminal", "Operator", "Seq", "Card", "Amount", "Discount", "Paid", "Points"]);
  t.same(d.qrCodes, [SAMPLE_SALE.txnId]);
  t.equal(d.cuts, 1);
});

t.test("the zh-CN receipt fits 58 mm too: nothing wraps or runs off the paper", async (t) => {
  const { d } = printed(SAMPLE_SALE, "zh-CN", 58);
  t.same(d.unknown, []);
  assertColumns(t, d, 32, ["时间", "终端", "操作员", "流水号", "会员", "卡号", "原价", "折扣", "实付", "余额", "积分"]);
  t.match(lineStarting(d, "时间"), /2024-05-01 12:34:56$/, "the time stays on one line");
});

t.test("user text cannot change the layout: receiptline's special characters print literally", async (t) => {
  const nasty = { ...SAMPLE_SALE, memberName: 'A|B {x} ^_"~`\\n -', storeName: "=", operatorId: "---" };
  const plain = printed(SAMPLE_SALE, "zh-CN", 80).d;
  const { d } = printed(nasty, "zh-CN", 80);
  t.same(d.unknown, []);
  t.match(lineStarting(d, "会员"), /A\|B \{x\} \^_"~`\\n -$/);
  t.match(lineStarting(d, "操作员"), /---$/);
  t.equal(d.lines[0]!.trim(), "=", "a store called '=' is not a paper cut");
  t.equal(d.cuts, 1);
  t.equal(d.lines.length, plain.lines.length, "same number of lines as a plain receipt");
  const withBreak = printed({ ...SAMPLE_SALE, memberName: "张\n小明\r" }, "zh-CN", 80).d;
  t.match(lineStarting(withBreak, "会员"), /张 小明$/, "line breaks in a name become spaces");
});

t.test("discount 0, no member and no card type leave those lines out or show zero", async (t) => {
  const data = { ...SAMPLE_SALE, discount: 0, net: 12800, memberName: null, cardTypeName: null, pointsEarned: 0 };
  const { d } = printed(data, "zh-CN", 80);
  t.match(lineStarting(d, "折扣"), /\s￥0\.00$/);
  t.notOk(d.lines.some((l) => l.startsWith("会员") || l.startsWith("卡类型")));
  t.match(lineStarting(d, "积分"), /\s0$/);
  t.match(lineStarting(d, "实付"), /￥128\.00$/);
});

t.test("without a time zone the time is printed in UTC and says so", async (t) => {
  const markup = saleReceiptMarkup(SAMPLE_SALE, { language: "en", paperWidth: 80 });
  const d = decodeEscPos(renderEscPos(markup, { language: "en", paperWidth: 80 }));
  t.match(lineStarting(d, "Time"), /2024-05-01 04:34:56 UTC$/);
});

t.test("on a cp437 printer the yen sign is byte 9D and prints as ¥", async (t) => {
  const bytes = renderEscPos("Paid | ¥12.00\n", { language: "en", paperWidth: 80, charset: "cp437" });
  const d = decodeEscPos(bytes);
  t.ok(bytes.includes(Buffer.from([0x9d, 0x31, 0x32])));
  t.notOk(bytes.includes(Buffer.from([0x1c, 0x26])), "no Kanji mode");
  t.match(lineStarting(d, "Paid"), /¥12\.00$/);
  t.equal(d.cuts, 1, "a document without its own cut line is still cut once");
});

t.test(
  "the decoder reads hand-made ESC/POS from the command reference and reports what it does not know",
  async (t) => {
    const b = (...parts: (number[] | string)[]) =>
      Buffer.concat(parts.map((p) => (typeof p === "string" ? Buffer.from(p, "latin1") : Buffer.from(p))));
    const qr = "TX-1";
    const bytes = b(
      [0x1b, 0x40], // ESC @
      [0x1b, 0x61, 0x01], // ESC a 1: centre
      [0x1b, 0x45, 0x01], // ESC E 1
      "HELLO",
      [0x0a],
      [0x1b, 0x61, 0x00, 0x1b, 0x45, 0x00],
      [0x1c, 0x26], // FS &
      Buffer.from(gb("你好￥1")).toString("latin1"),
      [0x1c, 0x2e, 0x0a], // FS . LF
      [0x1d, 0x6b, 0x49, 0x08], // GS k 73 n=8 — CODE128 "{B" "AB" "{C" 12 34
      [0x7b, 0x42, 0x41, 0x42, 0x7b, 0x43, 12, 34],
      [0x1d, 0x28, 0x6b, 0x04, 0x00, 0x31, 0x41, 0x32, 0x00], // QR model 2
      [0x1d, 0x28, 0x6b, qr.length + 3, 0x00, 0x31, 0x50, 0x30],
      qr,
      [0x1d, 0x28, 0x6b, 0x03, 0x00, 0x31, 0x51, 0x30], // print QR
      [0x1d, 0x76, 0x30, 0x00, 0x01, 0x00, 0x02, 0x00, 0xff, 0x00], // GS v 0: 8×2 raster
      [0x1b, 0x70, 0x00, 0x19, 0xfa], // ESC p: drawer kick
      [0x1b, 0x7a, 0x01], // ESC z — not an ESC/POS command
      [0x1d, 0x56, 0x42, 0x00], // GS V 66 0: feed and cut
    );
    const d = decodeEscPos(bytes);
    t.same(d.lines, [`${" ".repeat(21)}HELLO`, "你好￥1"], "ESC a 1 centres in 48 columns");
    t.ok(d.runs[0]?.bold, "ESC E 1 → bold");
    t.same(d.barcodes, ["AB1234"]);
    t.same(d.qrCodes, [qr]);
    t.equal(d.rasters, 1);
    t.equal(d.drawerKicks, 1);
    t.equal(d.cuts, 1);
    t.match(d.unknown[0], /^@\d+: ESC z$/, "ESC z is reported with its offset");
    t.match(d.unknown[1], /control byte 0x01/, "and so is its parameter, whose length the decoder cannot know");
    t.equal(d.unknown.length, 2);
  },
);

t.test(
  "PNG previews: valid PNG with the Chinese glyphs, and a clear banner when no CJK font is installed",
  async (t) => {
    const markup = saleReceiptMarkup(SAMPLE_SALE, { language: "zh-CN", paperWidth: 80 });
    const svg = renderSvg(markup, { language: "zh-CN", paperWidth: 80 });
    t.match(svg, /<svg width="576px"/, "80 mm is 576 dots wide");
    const fonts = findPreviewFonts();
    t.ok(fonts.cjk, "a CJK font is installed (scripts/install-test-deps.sh)");
    const png = svgToPng(svg);
    t.same([...png.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], "PNG signature");
    t.ok(png.length > 20_000, `a full receipt, not an empty image (${png.length} bytes)`);
    t.equal(png.readUInt32BE(16), 576 + 32, "paper width plus a 16 px margin each side");

    const noCjk: PreviewFonts = { latin: fonts.latin, cjk: null };
    const degraded = svgToPng(svg, noCjk);
    t.equal(degraded.readUInt32BE(20), png.readUInt32BE(20) + 28, "a banner row above the receipt");
    const ascii = renderSvg("Hello | 1.00\n", { language: "en", paperWidth: 58 });
    const english = svgToPng(ascii, noCjk);
    t.equal(english.readUInt32BE(16), 384 + 32, "58 mm is 384 dots wide");
    t.equal(english.readUInt32BE(20), svgHeight(ascii) + 32, "no banner when there is nothing Chinese to draw");
  },
);

t.test("sample receipts render to files a person can open", async (t) => {
  const dir = await tempDir(t);
  const samples = SAMPLES.filter((s) => s.request.template === "sale");
  const pngs = writeSamples(dir, samples);
  t.equal(pngs.length, samples.length);
  for (const [i, file] of pngs.entries()) {
    const png = readFileSync(file);
    t.equal(png.subarray(1, 4).toString("latin1"), "PNG", file);
    const bin = readFileSync(file.replace(/\.png$/, ".bin"));
    const request = samples[i]!.request;
    t.same(decodeEscPos(bin).qrCodes, [request.template === "sale" ? request.data.txnId : ""]);
  }
});

function svgHeight(svg: string): number {
  return Number(/height="(\d+)px"/.exec(svg)?.[1]);
}

t.test("a large amount on 58 mm is printed tall but not wide, still on one line", async (t) => {
  const big = { ...SAMPLE_SALE, gross: 1_234_567_890, discount: 0, net: 1_234_567_890, balanceAfter: 99_999_999 };
  const { d } = printed(big, "zh-CN", 58);
  const total = runsOf(d, lineStarting(d, "实付"));
  t.same(
    total.map((r) => [r.text, r.width, r.height]),
    [
      ["实付", 1, 2],
      ["￥12345678.90", 1, 2],
    ],
  );
  assertColumns(t, d, 32, ["实付", "原价", "余额"]);
});

t.test("en labels on 58 mm leave room for a UTC time on one line", async (t) => {
  const markup = saleReceiptMarkup(SAMPLE_SALE, { language: "en", paperWidth: 58 });
  const d = decodeEscPos(renderEscPos(markup, { language: "en", paperWidth: 58 }));
  t.match(lineStarting(d, "Time"), /^Time\s+2024-05-01 04:34:56 UTC$/);
  assertColumns(t, d, 32, ["Time", "Operator", "Discount"]);
});
