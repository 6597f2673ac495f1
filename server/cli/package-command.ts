/** `cardterm-hq card package grant|list <cardId>`: count packages (次卡) of the card's account. */
import { formatMoney } from "../../rules/money.js";
import { type CountPackageDetail, grantPackage, listPackages } from "../backoffice/count-packages.js";
import { actorOf, moneyOption, print, usage, type Values, withDb } from "./args.js";

export async function cardPackage(v: Values, rest: string[]): Promise<void> {
  const [action, cardId, ...extra] = rest;
  if (!cardId || extra.length > 0) throw usage("card package needs grant|list and one card id, e.g. ic:04A1B2C3");
  if (action === "list") {
    const list = await withDb(v, "card package list", (db) => listPackages(db, { cardId }));
    return print(v, list, () => (list.length === 0 ? `${cardId}: no count packages` : list.map(line).join("\n")));
  }
  if (action === "grant") {
    if (!v.service || !v.uses) throw usage("card package grant needs --service and --uses");
    if (!/^[0-9]{1,6}$/.test(v.uses)) throw usage(`--uses must be a whole number, got ${JSON.stringify(v.uses)}`);
    const grant = {
      cardId,
      service: v.service,
      uses: Number(v.uses),
      expiresOn: v.expires,
      price: moneyOption(v, "price"),
      packageId: v["package-id"],
    };
    const p = await withDb(v, "card package grant", (db) => grantPackage(db, grant, actorOf(v)));
    return print(v, p, () => `granted ${line(p)}`);
  }
  throw usage(`unknown card package command: ${action ?? ""}`);
}

function line(p: CountPackageDetail): string {
  const expiry = p.expiresOn ? `  valid to ${p.expiresOn}` : "";
  const price = p.price === null ? "" : `  paid ${formatMoney(p.price)}`;
  return `${p.packageId}  ${p.service}  ${p.remainingUses}/${p.totalUses} uses left${expiry}${price}  account ${p.accountId}`;
}
