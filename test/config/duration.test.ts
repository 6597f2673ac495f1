import t from "tap";
import { formatDuration, parseDuration, tryParseDuration } from "../../config/duration.js";

t.test("durations in each unit and combined largest first parse to milliseconds", async (t) => {
  t.equal(parseDuration("500ms"), 500);
  t.equal(parseDuration("2s"), 2000);
  t.equal(parseDuration("15m"), 900_000);
  t.equal(parseDuration("24h"), 86_400_000);
  t.equal(parseDuration("7d"), 604_800_000);
  t.equal(parseDuration("1h30m"), 5_400_000);
  t.equal(parseDuration("1d2h3m4s5ms"), 93_784_005);
  t.equal(parseDuration("0ms"), 0);
});

t.test("ambiguous or sloppy durations are refused with the canonical spelling offered", async (t) => {
  t.same(tryParseDuration("1.5h"), {
    ok: false,
    message: '"1.5h" is not a duration: use whole numbers of a smaller unit instead of decimals',
    suggestion: "1h30m",
  });
  t.same(tryParseDuration("30m1h"), {
    ok: false,
    message: '"30m1h" is not a duration: give each unit once, largest first',
    suggestion: "1h30m",
  });
  t.match(tryParseDuration("1h 30m"), { ok: false, suggestion: "1h30m" });
  t.match(tryParseDuration("30S"), { ok: false, message: /write the unit "S" as "s"/, suggestion: "30s" });
  t.match(tryParseDuration("2min"), { ok: false, suggestion: "2m" });
  t.match(tryParseDuration("1.5s"), { ok: false, suggestion: "1500ms" });
  t.match(tryParseDuration("5m5m"), { ok: false, suggestion: "10m" });
});

t.test("durations without a unit, negative, empty, unknown or absurd are refused without a guess", async (t) => {
  t.same(tryParseDuration("30"), {
    ok: false,
    message: '"30" is not a duration: "30" has no unit; add one of ms, s, m, h, d (e.g. "30s")',
  });
  t.match(tryParseDuration("-5s"), { ok: false, message: /cannot be negative/ });
  t.match(tryParseDuration(""), { ok: false, message: /it is empty/ });
  t.match(tryParseDuration("5y"), { ok: false, message: /unknown unit "y"/ });
  t.match(tryParseDuration("abc"), { ok: false });
  t.match(tryParseDuration("400d"), { ok: false, message: /longer than 365 days/ });
  t.throws(() => parseDuration("30", "tapTimeout"), {
    code: "CT_CONFIG_INVALID",
    message: /^CT_CONFIG_INVALID: tapTimeout: "30" is not a duration/,
  });
  t.equal(parseDuration("90s"), 90_000);
  t.throws(() => parseDuration("90 s"), { message: /did you mean "1m30s"\?/ });
});

t.test("formatDuration writes what parseDuration reads", async (t) => {
  for (const ms of [0, 1, 999, 1500, 60_000, 90_000, 5_400_000, 86_400_000, 93_784_005]) {
    t.equal(parseDuration(formatDuration(ms)), ms, formatDuration(ms));
  }
  t.equal(formatDuration(5_400_000), "1h30m");
  t.equal(formatDuration(1500), "1500ms");
  t.throws(() => formatDuration(-1), RangeError);
});
