import t from "tap";
import { formatMoney, mulDivHalfUp, parseMoney } from "../../rules/money.js";

t.test("decimal strings parse to fen without float traps", async (t) => {
  t.equal(parseMoney("200"), 20000);
  t.equal(parseMoney("0.1"), 10);
  t.equal(parseMoney("200.05"), 20005);
  t.throws(() => parseMoney("1.234"), { code: "CT_AMOUNT_INVALID" });
  t.throws(() => parseMoney("-1"), { code: "CT_AMOUNT_INVALID" });
  t.equal(formatMoney(12345), "123.45");
  t.equal(mulDivHalfUp(105, 1, 2), 53);
});
