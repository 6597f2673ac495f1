/**
 * The self-test body the doctor sends beside a running agent (self-test-body.ts), and the
 * doctor's side of it (doctor-print.ts `wireRows`): what the doctor sends always passes,
 * and anything else is refused whole with CT_BAD_REQUEST. Pure: no I/O.
 */
import t from "tap";
import { wireRows } from "../../agent/doctor/doctor-print.js";
import { parseSelfTestBody, SELF_TEST_BODY_LIMITS } from "../../agent/receipts/self-test-body.js";
import { isCardtermError } from "../../protocol/errors.js";

const refused = (body: unknown) => {
  try {
    parseSelfTestBody(body);
    return "accepted";
  } catch (err) {
    return isCardtermError(err, "CT_BAD_REQUEST") ? "CT_BAD_REQUEST" : String(err);
  }
};

t.test("no body, or an empty object: the agent's plain page", async (t) => {
  t.equal(parseSelfTestBody(undefined), undefined);
  t.equal(parseSelfTestBody(null), undefined);
  t.equal(parseSelfTestBody({}), undefined);
});

t.test("the doctor's rows become the page's rows", async (t) => {
  const rows = parseSelfTestBody({
    doctor: [
      { name: "打印机", result: "PASS", detail: "就绪" },
      { name: "磁盘", result: "FAIL", detail: "剩余 12 MB", code: "CT_DISK_LOW" },
      { name: "服务器", result: "SKIP", detail: "" },
    ],
  });
  t.same(rows, [
    { label: "打印机", verdict: "PASS", detail: "就绪" },
    { label: "磁盘", verdict: "FAIL", detail: "剩余 12 MB", code: "CT_DISK_LOW" },
    { label: "服务器", verdict: "SKIP", detail: "" },
  ]);
});

t.test("anything else is refused with CT_BAD_REQUEST", async (t) => {
  const row = { name: "disk", result: "PASS", detail: "ok" };
  const cases: [string, unknown][] = [
    ["an array body", [row]],
    ["a string body", "print"],
    ["an unknown top-level key", { doctor: [row], copies: 3 }],
    ["doctor not an array", { doctor: row }],
    ["too many rows", { doctor: Array.from({ length: SELF_TEST_BODY_LIMITS.rows + 1 }, () => row) }],
    ["a row not an object", { doctor: ["disk PASS"] }],
    ["an unknown row key", { doctor: [{ ...row, colour: "red" }] }],
    ["no name", { doctor: [{ result: "PASS", detail: "" }] }],
    ["a blank name", { doctor: [{ ...row, name: "  " }] }],
    ["a name too long", { doctor: [{ ...row, name: "n".repeat(SELF_TEST_BODY_LIMITS.name + 1) }] }],
    ["a lower-case verdict", { doctor: [{ ...row, result: "pass" }] }],
    ["no detail", { doctor: [{ name: "disk", result: "PASS" }] }],
    ["a detail too long", { doctor: [{ ...row, detail: "d".repeat(SELF_TEST_BODY_LIMITS.detail + 1) }] }],
    ["a cut command in the detail", { doctor: [{ ...row, detail: "ok\u001dV\u0000" }] }],
    ["a newline in the name", { doctor: [{ ...row, name: "disk\nFAIL" }] }],
    ["a code that is not one", { doctor: [{ ...row, code: "disk low" }] }],
  ];
  for (const [why, body] of cases) t.equal(refused(body), "CT_BAD_REQUEST", why);
  t.equal(
    refused({ doctor: Array.from({ length: SELF_TEST_BODY_LIMITS.rows }, () => row) }),
    "accepted",
    "the limit itself",
  );
});

t.test("what the doctor sends is always within the bounds: long details cut, newlines flattened", async (t) => {
  const many = Array.from({ length: 25 }, (_, i) => ({
    label: `读卡器 reader-${i} ${"长".repeat(50)}`,
    verdict: "WARN" as const,
    detail: `line one\nline two ${"x".repeat(400)}`,
    code: "CT_READER_LOST",
  }));
  const wire = wireRows(many);
  t.equal(wire.length, SELF_TEST_BODY_LIMITS.rows);
  t.ok(wire[0]!.detail.endsWith("…"), "a long detail is cut and says so");
  t.equal(wire[0]!.detail.length, SELF_TEST_BODY_LIMITS.detail);
  t.match(wire[0]!.detail, /^line one line two/);
  t.equal(refused({ doctor: wire }), "accepted");
});
