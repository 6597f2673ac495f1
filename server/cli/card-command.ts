/** `cardterm-hq card show|issue|loss|unloss|freeze|unfreeze|recycle|replace|level|limits|topup|package`. */
import { formatMoney } from "../../rules/money.js";
import { resolveCardId } from "../backoffice/card-id-lookup.js";
import { type CardChange, issueCard } from "../backoffice/card-issue.js";
import { changeCardLevel, setSubCardLimits } from "../backoffice/card-level.js";
import { type CardDetail, getCardDetail } from "../backoffice/card-read.js";
import { replaceCard } from "../backoffice/card-replace.js";
import { changeCardStatus, STATUS_ACTIONS, type StatusAction } from "../backoffice/card-status.js";
import { topUpAtHq } from "../backoffice/top-up.js";
import { actorOf, moneyOption, one, pinFromStdin, print, usage, type Values, withDb } from "./args.js";
import { cardPackage } from "./package-command.js";

export async function card(v: Values, sub: string | undefined, rest: string[]): Promise<void> {
  // `card <cardId>` (before the back office) still shows the card.
  if (sub?.includes(":") && rest.length === 0) return show(v, sub);
  if (sub === "package") return cardPackage(v, rest);
  const cardId = one(rest, `card ${sub ?? ""} needs one card id, e.g. ic:04A1B2C3`);
  const actor = actorOf(v);
  if (sub === "show") return show(v, cardId);
  if (sub === "issue") return changed(v, await issue(v, cardId));
  if (sub && sub in STATUS_ACTIONS) {
    const action = sub as StatusAction;
    return changed(
      v,
      await withDb(v, `card ${sub}`, async (db) =>
        changeCardStatus(db, action, { cardId: await resolveCardId(db, cardId), note: v.note }, actor),
      ),
    );
  }
  if (sub === "replace") {
    if (!v["new-card"]) throw usage("card replace needs --new-card");
    const pin = await pinFromStdin(v);
    const r = await withDb(v, "card replace", async (db) =>
      replaceCard(db, { cardId: await resolveCardId(db, cardId), newCardId: v["new-card"]!, pin, note: v.note }, actor),
    );
    return print(v, r, () => `${line(r.old)}\n${line(r.card)}${hotlistNote(r)}`);
  }
  if (sub === "level") {
    if (!v.type) throw usage("card level needs --type");
    return changed(
      v,
      await withDb(v, "card level", async (db) =>
        changeCardLevel(db, { cardId: await resolveCardId(db, cardId), cardType: v.type!, note: v.note }, actor),
      ),
    );
  }
  if (sub === "limits") {
    const perTxnLimit = moneyOption(v, "per-txn-limit");
    const dailyLimit = moneyOption(v, "daily-limit");
    if (perTxnLimit === undefined || dailyLimit === undefined)
      throw usage("card limits needs --per-txn-limit and --daily-limit (an amount or none)");
    return changed(
      v,
      await withDb(v, "card limits", async (db) =>
        setSubCardLimits(db, { cardId: await resolveCardId(db, cardId), perTxnLimit, dailyLimit }, actor),
      ),
    );
  }
  if (sub === "topup") return topUp(v, cardId);
  throw usage(`unknown card command: ${[sub, ...rest].join(" ")}`);
}

async function show(v: Values, cardId: string): Promise<void> {
  // A bare number (04AABBCC, as printed on the card) is looked up under each technology.
  const c = await withDb(v, "card", async (db) => getCardDetail(db, await resolveCardId(db, cardId)));
  print(v, c, () => line(c));
}

async function issue(v: Values, cardId: string): Promise<CardChange> {
  const holders = [v.name, v.member, v.account, v.primary].filter((x) => x !== undefined);
  if (holders.length !== 1)
    throw usage("card issue needs one of --name (a new member), --member, --account or --primary");
  const perTxnLimit = moneyOption(v, "per-txn-limit");
  const dailyLimit = moneyOption(v, "daily-limit");
  const pin = await pinFromStdin(v);
  const newMember = v.name === undefined ? undefined : { name: v.name, phone: v.phone, birthday: v.birthday };
  return withDb(v, "card issue", (db) =>
    issueCard(
      db,
      {
        cardId,
        cardType: v.type,
        member: newMember,
        memberId: v.member,
        accountId: v.account,
        primaryCardId: v.primary,
        perTxnLimit,
        dailyLimit,
        pin,
      },
      actorOf(v),
    ),
  );
}

async function topUp(v: Values, cardId: string): Promise<void> {
  const amount = moneyOption(v, "amount");
  if (amount == null) throw usage("card topup needs --amount, e.g. --amount 1000.00");
  const r = await withDb(v, "card topup", async (db) =>
    topUpAtHq(
      db,
      { cardId: await resolveCardId(db, cardId), amount, txnId: v["txn-id"], businessDay: v.day },
      actorOf(v),
    ),
  );
  print(v, r, () => {
    const what = r.applied ? "topped up" : "already applied (nothing moved)";
    const bonus =
      r.bonus > 0 || r.bonusPoints > 0 ? ` + bonus ${formatMoney(r.bonus)} and ${r.bonusPoints} points` : "";
    return `${r.txnId}  ${cardId}  ${what}: ${formatMoney(r.amount)}${bonus}  balance ${formatMoney(r.balanceAfter)}`;
  });
}

function changed(v: Values, r: CardChange): void {
  print(v, r, () => `${line(r.card)}${hotlistNote(r)}`);
}

function hotlistNote(r: CardChange): string {
  return r.hotlistVersion === null
    ? ""
    : `\nhotlist version ${r.hotlistVersion}: terminals get it from the running server within seconds`;
}

function line(c: CardDetail): string {
  const sub = c.primaryCardId ? `  sub-card of ${c.primaryCardId}` : "";
  const limits =
    c.perTxnLimit !== null || c.dailyLimit !== null
      ? `  limits ${c.perTxnLimit === null ? "-" : formatMoney(c.perTxnLimit)}/txn ${c.dailyLimit === null ? "-" : formatMoney(c.dailyLimit)}/day`
      : "";
  const replaced = c.replacedBy ? `  replaced by ${c.replacedBy}` : "";
  // Held money is already out of the balance; it comes back if the till releases it.
  const held = c.held > 0 ? `  held ${formatMoney(c.held)}` : "";
  return `${c.cardId}  ${c.memberName}  ${c.cardType}  ${c.status}  balance ${formatMoney(c.balance)}${held}  points ${c.points}${sub}${limits}${replaced}`;
}
