import t from "tap";
import { closeCsv, csvCell } from "../../agent/close/close-csv.js";
import { closeReceiptData } from "../../agent/close/close-receipt-data.js";
import { ZERO } from "../../agent/close/close-report.js";
import { closeXlsx } from "../../agent/close/close-xlsx.js";
import { buildDailyClose } from "../../agent/close/daily-close.js";
import { dailyCloseDoc } from "../../agent/receipts/daily-close-receipt.js";
import { OPTS, sealedEntries } from "./daily-close-fixture.js";

const T = (over: Partial<typeof ZERO>) => ({ ...ZERO, ...over });

t.test("the close of a worked day: totals by kind, hand-computed", async (t) => {
  const r = buildDailyClose(sealedEntries(), OPTS);
  const kind = (k: string) => r.byKind.find((x) => x.kind === k);
  t.same(kind("sale"), {
    kind: "sale",
    ...T({ count: 3, gross: 18_000, discount: 1_500, net: 16_000, debit: 16_000, balanceChange: -16_000 }),
    pointsEarned: 16,
    pointsRedeemed: 50,
    redeemedMinor: 500,
  });
  t.same(kind("topup"), {
    kind: "topup",
    ...T({ count: 2, gross: 150_000, net: 150_000, bonus: 10_000, credit: 160_000, balanceChange: 160_000 }),
  });
  t.same(kind("refund"), {
    kind: "refund",
    ...T({ count: 1, gross: 2_000, net: 2_000, credit: 2_000, balanceChange: 2_000, pointsEarned: -2 }),
  });
  t.same(kind("void"), {
    kind: "void",
    ...T({ count: 1, gross: 50_000, net: 50_000, debit: 50_000, balanceChange: -50_000 }),
  });
  t.same(r.voids, {
    sale: ZERO,
    topup: T({ count: 1, gross: 50_000, net: 50_000, debit: 50_000, balanceChange: -50_000 }),
  });
  t.same(
    r.total,
    T({
      count: 7,
      gross: 220_000,
      discount: 1_500,
      net: 218_000,
      bonus: 10_000,
      credit: 162_000,
      debit: 66_000,
      balanceChange: 96_000,
      pointsEarned: 14,
      pointsRedeemed: 50,
      redeemedMinor: 500,
    }),
    "the entry of 2026-11-21 is not counted",
  );
  t.equal(r.bonusGiven, 10_000);
  t.equal(r.firstTxnAt, "2026-11-22T01:00:00.000Z");
  t.equal(r.lastTxnAt, "2026-11-22T08:30:00.000Z");
  t.same([r.firstSeq, r.lastSeq, r.duplicatesDropped], [2, 8, 0]);
});

t.test("the close of a worked day: by operator, payment, mode and unsynced", async (t) => {
  const r = buildDailyClose(sealedEntries(), OPTS);
  t.same(
    r.byOperator.map((o) => [o.operatorId, o.total.count, o.total.credit, o.total.debit, o.total.balanceChange]),
    [
      ["001", 4, 160_000, 12_000, 148_000],
      ["002", 3, 2_000, 54_000, -52_000],
    ],
  );
  t.same(
    r.byOperator[0]?.byKind.map((k) => [k.kind, k.count, k.gross, k.discount, k.net, k.bonus]),
    [
      ["sale", 2, 13_000, 1_000, 12_000, 0],
      ["topup", 2, 150_000, 0, 150_000, 10_000],
    ],
  );
  t.same(
    r.byOperator[1]?.byKind.map((k) => [k.kind, k.count, k.net]),
    [
      ["sale", 1, 4_000],
      ["refund", 1, 2_000],
      ["void", 1, 50_000],
    ],
  );
  t.same(r.byPayment, [
    {
      payment: "cash",
      topups: { count: 1, paid: 50_000, bonus: 0 },
      voided: { count: 1, paid: 50_000, bonus: 0 },
      takings: { count: 0, paid: 0 },
    },
    {
      payment: "wechat",
      topups: { count: 1, paid: 100_000, bonus: 10_000 },
      voided: { count: 0, paid: 0, bonus: 0 },
      takings: { count: 1, paid: 100_000 },
    },
  ]);
  const mode = (m: "online" | "offline") => {
    const x = r.byMode[m];
    return [x.count, x.net, x.credit, x.debit, x.balanceChange];
  };
  t.same(mode("online"), [4, 114_000, 112_000, 12_000, 100_000]);
  t.same(mode("offline"), [3, 104_000, 50_000, 54_000, -4_000]);
  t.same([r.unsynced.count, r.unsynced.net, r.unsynced.balanceChange, r.unsynced.firstSeq], [2, 53_000, -53_000, 7]);
  t.same(
    r.transactions.map((x) => [x.seq, x.synced, x.payment]),
    [
      [2, true, null],
      [3, true, "wechat"],
      [4, true, null],
      [5, true, null],
      [6, true, "cash"],
      [7, false, "cash"],
      [8, false, null],
    ],
  );
  t.notMatch(JSON.stringify(r), /04A1B2C3D4/, "card numbers are masked in the report");
});

t.test("an entry seen twice under one txnId counts once, and says so", async (t) => {
  const entries = sealedEntries();
  const copy = { ...entries[2]!, seq: 9 };
  const r = buildDailyClose([...entries, copy], OPTS);
  t.equal(r.duplicatesDropped, 1);
  t.same(r.total, buildDailyClose(entries, OPTS).total);
});

t.test("entries of another terminal are not counted", async (t) => {
  const r = buildDailyClose(
    [...sealedEntries(), ...sealedEntries("T002").map((e) => ({ ...e, txnId: `x${e.txnId}` }))],
    OPTS,
  );
  t.equal(r.total.count, 7);
});

t.test("a day without transactions closes at zero with every kind listed", async (t) => {
  const r = buildDailyClose([], OPTS);
  t.same(
    r.byKind.map((k) => [k.kind, k.count]),
    [
      ["sale", 0],
      ["topup", 0],
      ["refund", 0],
      ["void", 0],
    ],
  );
  t.same([r.firstTxnAt, r.lastTxnAt, r.byOperator, r.byPayment], [null, null, [], []]);
  t.equal(closeCsv(r).toString("utf8").split("\r\n").length > 10, true);
});

t.test("the same entries give byte-identical CSV and XLSX, whatever their order or build time", async (t) => {
  const a = buildDailyClose(sealedEntries(), OPTS);
  const b = buildDailyClose([...sealedEntries()].reverse(), { ...OPTS, generatedAt: "2026-11-23T09:00:00.000Z" });
  t.ok(closeCsv(a).equals(closeCsv(b)));
  t.ok(closeXlsx(a).equals(closeXlsx(b)));
  t.same({ ...a, generatedAt: "" }, { ...b, generatedAt: "" });
});

t.test("the CSV: BOM, CRLF, one flat table of yuan strings from fen", async (t) => {
  const csv = closeCsv(buildDailyClose(sealedEntries(), OPTS));
  t.same([...csv.subarray(0, 3)], [0xef, 0xbb, 0xbf], "UTF-8 BOM first");
  const lines = csv.toString("utf8").slice(1).split("\r\n");
  t.equal(lines.at(-1), "", "ends with CRLF");
  t.equal(
    lines[0],
    "terminal_id,business_day,section,key,detail,label,count,gross,discount,net,bonus,credit,debit,balance_change,points_earned,points_redeemed,redeemed_value",
  );
  const has = (line: string) => t.ok(lines.includes(line), line);
  has("T001,2026-11-22,info,acked_seq,6,已上传至流水号,,,,,,,,,,,");
  has("T001,2026-11-22,total,all,,合计,7,2200.00,15.00,2180.00,100.00,1620.00,660.00,960.00,14,50,5.00");
  has("T001,2026-11-22,total,bonus_given,,赠送金额(扣除撤销),,,,,100.00,,,,,,");
  has("T001,2026-11-22,kind,sale,,消费,3,180.00,15.00,160.00,0.00,0.00,160.00,-160.00,16,50,5.00");
  has("T001,2026-11-22,void,topup,,撤销充值,1,500.00,0.00,500.00,0.00,0.00,500.00,-500.00,0,0,0.00");
  has("T001,2026-11-22,operator,002,,操作员 002,3,570.00,5.00,560.00,0.00,20.00,540.00,-520.00,2,50,5.00");
  has("T001,2026-11-22,operator,002,refund,操作员 002 退款,1,20.00,0.00,20.00,0.00,20.00,0.00,20.00,-2,0,0.00");
  has("T001,2026-11-22,payment,cash,void,现金 撤销,1,,,500.00,0.00,,,,,,");
  has("T001,2026-11-22,payment,wechat,takings,微信 实收,1,,,1000.00,,,,,,,");
  has("T001,2026-11-22,mode,offline,,离线,3,1050.00,5.00,1040.00,0.00,500.00,540.00,-40.00,4,50,5.00");
  has("T001,2026-11-22,unsynced,all,,未上传,2,530.00,0.00,530.00,0.00,0.00,530.00,-530.00,3,0,0.00");
  t.ok(
    lines.slice(1, -1).every((l) => l.split(",").length === 17),
    "every row has every column",
  );
});

t.test("CSV cells: RFC 4180 quoting, formulas defused, numbers untouched", async (t) => {
  t.equal(csvCell('a,"b"'), '"a,""b"""');
  t.equal(csvCell("line\nbreak"), '"line\nbreak"');
  t.equal(csvCell("=HYPERLINK(1)"), "'=HYPERLINK(1)");
  t.equal(csvCell("-25.00"), "-25.00");
  t.equal(csvCell("@op"), "'@op");
  const r = buildDailyClose(
    sealedEntries().map((e) => ({ ...e, operatorId: e.operatorId === "002" ? '=2,"x"' : e.operatorId })),
    OPTS,
  );
  t.match(closeCsv(r).toString("utf8"), /\r\nT001,2026-11-22,operator,"'=2,""x""",,"操作员 =2,""x""",3,/);
});

t.test("the printed 日结单 gets the close's figures", async (t) => {
  const data = closeReceiptData(buildDailyClose(sealedEntries(), OPTS), { storeName: "徐汇店", operatorId: "mgr-01" });
  t.same(data.byKind, [
    { kind: "sale", count: 3, amount: 16_000 },
    { kind: "topup", count: 2, amount: 150_000 },
    { kind: "refund", count: 1, amount: 2_000 },
    { kind: "void", count: 1, amount: 50_000 },
  ]);
  // Kinds mixed: the signed stored-value change (hand-computed in the test above), never a sum of amounts.
  t.same(data.byOperator, [
    { operatorId: "001", count: 4, amount: 148_000 },
    { operatorId: "002", count: 3, amount: -52_000 },
  ]);
  t.same(data.byPayment, [
    { payment: "cash", count: 0, amount: 0 },
    { payment: "wechat", count: 1, amount: 100_000 },
  ]);
  t.same(
    [data.online, data.offline, data.unsynced],
    [
      { count: 4, amount: 100_000 },
      { count: 3, amount: -4_000 },
      { count: 2, amount: -53_000 },
    ],
  );
  t.same(
    [data.bonusGiven, data.pointsEarned, data.pointsRedeemed, data.firstTxnAt, data.at, data.storeName],
    [10_000, 14, 50, "2026-11-22T01:00:00.000Z", OPTS.generatedAt, "徐汇店"],
  );
});

t.test("the 日结单 template lays out the mapped close", async (t) => {
  const data = closeReceiptData(buildDailyClose(sealedEntries(), OPTS), { storeName: "徐汇店", operatorId: "mgr-01" });
  const body = JSON.stringify(dailyCloseDoc(data, { language: "zh-CN", timeZone: "Asia/Shanghai" }).body);
  t.match(body, /"label":"消费","value":"3笔 +¥160\.00"/);
  t.match(body, /"label":"未上传","value":"2笔 +-¥530\.00"/, "stored value down by the two sales not uploaded");
  t.match(body, /"label":"首笔","value":"2026-11-22 09:00:00"/);
});
