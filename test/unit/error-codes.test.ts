import { readFile } from "node:fs/promises";
import t from "tap";
import { ERROR_CODES } from "../../protocol/errors.js";
import { TILL_OP_DECLINES } from "../../protocol/till-ops.js";
import { CARD_RULE_DECLINE_CODES } from "../../rules/decline-text.js";
import { DECLINE_CODES } from "../../rules/offline-rules.js";

t.test("every error and decline code has its line in docs/errors.md", async (t) => {
  const doc = await readFile(new URL("../../docs/errors.md", import.meta.url), "utf8");
  const online = ["CARD_NOT_FOUND"];
  for (const code of [
    ...Object.keys(ERROR_CODES),
    ...DECLINE_CODES,
    ...CARD_RULE_DECLINE_CODES,
    ...TILL_OP_DECLINES,
    ...online,
  ]) {
    t.match(doc, new RegExp(`^\\| \`${code}\` \\|`, "m"), `${code} is documented`);
  }
});
