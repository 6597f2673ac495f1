/** `cardterm-hq member add|update|show|list`. */
import { formatMoney } from "../../rules/money.js";
import { memberAccounts } from "../backoffice/accounts.js";
import { createMember, getMember, type Member, searchMembers, updateMember } from "../backoffice/members.js";
import { actorOf, one, print, usage, type Values, withDb } from "./args.js";
import { table } from "./table.js";

export async function member(v: Values, sub: string | undefined, rest: string[]): Promise<void> {
  if (sub === "add" && rest.length === 0) {
    if (!v.name) throw usage("member add needs --name");
    const m = await withDb(v, "member add", (db) =>
      createMember(db, { memberId: v.id, name: v.name!, phone: v.phone, birthday: v.birthday }, actorOf(v)),
    );
    return print(v, m, () => `member ${m.memberId} created\n${memberTable([m])}`);
  }
  if (sub === "update") {
    const memberId = one(rest, "member update needs a member id");
    const m = await withDb(v, "member update", (db) =>
      updateMember(db, { memberId, name: v.name, phone: v.phone, birthday: v.birthday }, actorOf(v)),
    );
    return print(v, m, () => memberTable([m]));
  }
  if (sub === "show") {
    const memberId = one(rest, "member show needs a member id");
    const out = await withDb(v, "member show", async (db) => ({
      ...(await getMember(db, memberId)),
      accounts: await memberAccounts(db, memberId),
    }));
    return print(v, out, () => {
      const cards = out.accounts.flatMap((a) =>
        a.cards.map((c) => [
          a.accountId,
          formatMoney(a.balance),
          a.points,
          c.cardId,
          c.cardType,
          c.status,
          c.primaryCardId,
        ]),
      );
      return `${memberTable([out])}\n\n${table(["account", "balance", "points", "card", "type", "status", "sub-card of"], cards)}`;
    });
  }
  if (sub === "list" && rest.length === 0) {
    const limit = v.limit === undefined ? 50 : Number.parseInt(v.limit, 10);
    if (!Number.isSafeInteger(limit) || limit < 1) throw usage("--limit must be a whole number ≥ 1");
    const list = await withDb(v, "member list", (db) => searchMembers(db, { query: v.query, limit }));
    return print(v, list, () => memberTable(list));
  }
  throw usage(`unknown member command: ${[sub, ...rest].join(" ")}`);
}

function memberTable(list: Member[]): string {
  return table(
    ["member", "name", "phone", "birthday"],
    list.map((m) => [m.memberId, m.name, m.phone, m.birthday]),
  );
}
