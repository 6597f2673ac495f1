// What each card operation (会员卡管理) asks the cashier for, and the request it becomes
// (agent/api/card-routes.ts). Pure: reads the form through `value(id)` and answers either
// { path, body } or { message } — a message in the operator's words for a form that is not
// right, before anything is sent.

import { cardTypeId } from "./card-types.js";
import { t } from "./i18n.js";
import { parseYuan } from "./money.js";

/**
 * permission: from the session (agent/operators/permissions.ts); uid: the label of the card
 * the operation is on (none for issue: that card is new); newUid: the new card's label —
 * left empty, the agent waits for a tap; type: the card-type label; confirm: read the
 * operation back before sending (it cannot simply be undone at the till).
 */
export const CARD_OPS = {
  issue: { permission: "cardIssue", newUid: "cards.newCard", type: "cards.type" },
  subcard: { permission: "cardIssue", uid: "cards.primaryUid", newUid: "cards.subUid" },
  replace: { permission: "cardManage", uid: "cards.oldUid", newUid: "cards.newCard", confirm: true },
  level: { permission: "cardManage", uid: "cards.uid", type: "cards.newType" },
  loss: { permission: "cardManage", uid: "cards.uid" },
  unloss: { permission: "cardManage", uid: "cards.uid" },
  freeze: { permission: "cardManage", uid: "cards.uid" },
  unfreeze: { permission: "cardManage", uid: "cards.uid" },
  recycle: { permission: "cardManage", uid: "cards.uid", confirm: true },
};

const UID = /^(?:(?:ic|id|qr|sim):)?[0-9A-Za-z_-]{1,64}$/;
const PHONE = /^\+?[0-9][0-9 -]{4,24}$/;
const PIN = /^[0-9]{4,12}$/;
const MEMBER_ID = /^[A-Za-z0-9_-]{1,64}$/;

/** The request for `op`, or { message } saying what to fix. memberKind: new | existing. */
export function buildCardRequest(op, value, memberKind) {
  const spec = CARD_OPS[op];
  const body = {};
  let cardUid = "";
  if (spec.uid) {
    cardUid = cardNumber(value("cards-uid"));
    if (cardUid === "") return { message: t("cards.uidMissing") };
    if (!UID.test(cardUid)) return { message: t("cards.uidBad") };
  }
  const newUid = cardNumber(value("cards-new-uid"));
  if (spec.newUid && newUid !== "") {
    if (!UID.test(newUid)) return { message: t("cards.uidBad") };
    body[op === "replace" ? "newCardUid" : "cardUid"] = newUid;
  }
  if (spec.type) {
    const cardType = cardTypeId(value("cards-type")); // 金卡 typed or picked: its id
    if (cardType === "") return { message: t("cards.typeMissing") };
    body.cardType = cardType;
  }
  const more =
    op === "issue" ? issueFields(value, memberKind) : op === "subcard" ? subcardFields(value) : noteField(value);
  if (more.message) return more;
  Object.assign(body, more.fields);
  const base = "/api/v1/cards";
  const path = op === "issue" ? base : `${base}/${encodeURIComponent(cardUid)}/${op === "subcard" ? "subcards" : op}`;
  return { path, body };
}

/** What a card number looks like typed or read by a keyboard-wedge reader: no spaces. */
function cardNumber(text) {
  return text.replace(/\s+/g, "");
}

function issueFields(value, memberKind) {
  const fields = {};
  if (memberKind === "existing") {
    const memberId = value("cards-member-id");
    if (!MEMBER_ID.test(memberId)) return { message: t("cards.memberIdMissing") };
    fields.memberId = memberId;
  } else {
    const name = value("cards-name");
    if (name === "") return { message: t("cards.nameMissing") };
    const member = { name };
    const phone = value("cards-phone");
    if (phone !== "") {
      if (!PHONE.test(phone)) return { message: t("cards.phoneBad") };
      member.phone = phone;
    }
    const birthday = value("cards-birthday");
    if (birthday !== "") {
      const mmdd = monthDay(birthday);
      if (!mmdd) return { message: t("cards.birthdayBad") };
      member.birthday = mmdd;
    }
    fields.member = member;
  }
  return pinField(value, fields);
}

function subcardFields(value) {
  const fields = {};
  for (const [id, key] of [
    ["cards-daily-limit", "limitMinor"],
    ["cards-per-txn-limit", "perTxnLimitMinor"],
  ]) {
    const text = value(id);
    if (text === "") continue;
    const fen = parseYuan(text);
    if (fen === null) return { message: t("till.amountBad") };
    fields[key] = fen;
  }
  return pinField(value, fields);
}

function pinField(value, fields) {
  const pin = value("cards-pin");
  if (pin !== "" && !PIN.test(pin)) return { message: t("cards.pinBad") };
  if (pin !== "") fields.pin = pin;
  return { fields };
}

function noteField(value) {
  const note = value("cards-note");
  return { fields: note === "" ? {} : { note } };
}

/** "3-8", "03-08", "3/8", "03月08日" → "03-08"; null when it is not a day of the year. */
export function monthDay(text) {
  const m = /^(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?$/.exec(text.trim());
  if (!m) return null;
  const month = Number(m[1]);
  const day = Number(m[2]);
  const days = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1];
  if (!days || day < 1 || day > days) return null;
  return `${String(month).padStart(2, "0")}-${String(day).padStart(2, "0")}`;
}
