import { execFileSync, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { crc32 as zlibCrc32 } from "node:zlib";
import t, { type Test } from "tap";
import { closeXlsx } from "../../agent/close/close-xlsx.js";
import { buildDailyClose } from "../../agent/close/daily-close.js";
import { columnName, escapeXml } from "../../agent/close/xlsx-package.js";
import { crc32, crc32Table, zip } from "../../agent/close/zip.js";
import { tempDir } from "../helpers/temp-dir.js";
import { OPTS, sealedEntries } from "./daily-close-fixture.js";

/** Debian's python3 carries python3-openpyxl (scripts/install-test-deps.sh); a pyenv one may not. */
const PYTHON = existsSync("/usr/bin/python3") ? "/usr/bin/python3" : "python3";

/**
 * Reads a workbook back the way a spreadsheet program would: with openpyxl when present,
 * and always with zipfile (CRC of every member checked) + ElementTree on every part.
 */
const READ_BACK = `
import json, sys, zipfile, xml.etree.ElementTree as ET
path = sys.argv[1]
z = zipfile.ZipFile(path)
bad = z.testzip()
names = sorted(z.namelist())
for n in names:
    ET.fromstring(z.read(n))
out = {"bad": bad, "names": names, "openpyxl": False}
try:
    import openpyxl
except ImportError:
    openpyxl = None
if openpyxl:
    wb = openpyxl.load_workbook(path)
    out["openpyxl"] = True
    out["sheets"] = {ws.title: [[c.value for c in row] for row in ws.iter_rows()] for ws in wb.worksheets}
    out["formats"] = {ws.title: {c.coordinate: c.number_format for row in ws.iter_rows() for c in row if c.value is not None} for ws in wb.worksheets}
print(json.dumps(out, ensure_ascii=False))
`;

type ReadBack = {
  bad: string | null;
  names: string[];
  openpyxl: boolean;
  sheets?: Record<string, (string | number | null)[][]>;
  formats?: Record<string, Record<string, string>>;
};

async function readBack(t: Test, bytes: Buffer): Promise<ReadBack> {
  const path = `${await tempDir(t)}/close.xlsx`;
  await writeFile(path, bytes);
  return JSON.parse(execFileSync(PYTHON, ["-c", READ_BACK, path], { encoding: "utf8" })) as ReadBack;
}

t.test("CRC-32: the table agrees with zlib and the check value of the standard", async (t) => {
  t.equal(crc32Table(Buffer.from("123456789")), 0xcbf43926);
  for (const data of [Buffer.alloc(0), Buffer.from("日结单"), Buffer.alloc(70_000, 7)]) {
    t.equal(crc32Table(data), zlibCrc32(data) >>> 0);
    t.equal(crc32(data), crc32Table(data));
  }
});

t.test("the ZIP writer's archives pass unzip -t and Python's zipfile", async (t) => {
  const dir = await tempDir(t);
  const path = `${dir}/a.zip`;
  await writeFile(
    path,
    zip([
      { name: "a.txt", data: "hello ".repeat(100) },
      { name: "dir/empty", data: "" },
    ]),
  );
  const unzip = spawnSync("unzip", ["-t", path], { encoding: "utf8" });
  if (unzip.error) t.comment("unzip not installed; Python's zipfile only");
  else t.match(unzip.stdout, /No errors detected/);
  const listed = execFileSync(
    PYTHON,
    [
      "-c",
      "import sys,zipfile; z=zipfile.ZipFile(sys.argv[1]); print(z.testzip(), [len(z.read(n)) for n in z.namelist()])",
      path,
    ],
    { encoding: "utf8" },
  );
  t.equal(listed.trim(), "None [600, 0]");
});

t.test("the xlsx reads back with every figure of the close", async (t) => {
  const got = await readBack(t, closeXlsx(buildDailyClose(sealedEntries(), OPTS)));
  t.equal(got.bad, null, "every member's CRC checks");
  t.same(got.names, [
    "[Content_Types].xml",
    "_rels/.rels",
    "xl/_rels/workbook.xml.rels",
    "xl/styles.xml",
    "xl/workbook.xml",
    "xl/worksheets/sheet1.xml",
    "xl/worksheets/sheet2.xml",
  ]);
  if (!got.openpyxl || !got.sheets || !got.formats) {
    t.fail("openpyxl is missing: run scripts/install-test-deps.sh");
    return;
  }
  const close = got.sheets["日结"] ?? [];
  const row = (label: string) => close.find((r) => r[0] === label);
  t.same(row("终端")?.slice(0, 2), ["终端", "T001"]);
  t.same(row("已上传至流水号")?.slice(0, 2), ["已上传至流水号", 6]);
  t.same(row("合计"), ["合计", 7, 2200, 15, 2180, 100, 1620, 660, 960, 14, 50, 5]);
  t.same(row("消费"), ["消费", 3, 180, 15, 160, 0, 0, 160, -160, 16, 50, 5]);
  t.same(row("撤销充值"), ["撤销充值", 1, 500, 0, 500, 0, 0, 500, -500, 0, 0, 0]);
  t.same(row("操作员 002")?.slice(0, 9), ["操作员 002", 3, 570, 5, 560, 0, 20, 540, -520]);
  t.same(row("未上传")?.slice(0, 9), ["未上传", 2, 530, 0, 530, 0, 0, 530, -530]);
  t.same(row("现金")?.slice(0, 8), ["现金", 1, 500, 0, 1, 500, 0, 0]);
  t.same(row("微信")?.slice(0, 8), ["微信", 1, 1000, 100, 0, 0, 1, 1000]);
  t.same(row("赠送金额(扣除撤销)")?.slice(0, 2), ["赠送金额(扣除撤销)", 100]);
  const totalRow = close.findIndex((r) => r[0] === "合计") + 1;
  t.equal(got.formats["日结"]?.[`C${totalRow}`], "#,##0.00", "money cells carry the 2-decimal format");
  t.equal(got.formats["日结"]?.[`B${totalRow}`], "General", "counts do not");
  const txns = got.sheets["交易明细"] ?? [];
  t.equal(txns.length, 8, "a header and the day's seven transactions");
  t.same(txns[1]?.slice(0, 6), [2, "s2", "2026-11-22T01:00:00.000Z", "消费", "在线", "001"]);
  t.match(String(txns[1]?.[6]), /^ic:04A1\*+C3D4$/, "card numbers masked");
  t.same(txns[1]?.slice(7, 12), [100, 10, 90, 0, -90]);
  t.same(txns[6]?.slice(3, 17), [
    "撤销充值",
    "离线",
    "002",
    txns[6]?.[6],
    500,
    0,
    500,
    0,
    -500,
    0,
    0,
    "现金",
    "t6",
    "否",
  ]);
});

t.test("an empty day still makes a workbook that opens", async (t) => {
  const got = await readBack(t, closeXlsx(buildDailyClose([], OPTS)));
  t.equal(got.bad, null);
  if (got.sheets) t.equal(got.sheets["交易明细"]?.length, 1);
});

t.test("xlsx helpers: column names and XML escaping", async (t) => {
  t.same([0, 25, 26, 27, 701, 702].map(columnName), ["A", "Z", "AA", "AB", "ZZ", "AAA"]);
  t.equal(escapeXml(`<a & "b">\u0001`), "&lt;a &amp; &quot;b&quot;&gt;");
});
