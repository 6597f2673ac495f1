// The result of a card operation: done or refused at a glance, then the card as it is now
// (masked number, member, type, status, balance, points), the card it replaced or belongs
// to, and the slip with its preview.

import { cardTypeName } from "./card-types.js";
import { h, kvTable } from "./dom.js";
import { t } from "./i18n.js";
import { formatFen } from "./money.js";
import { receiptBlock, renderError } from "./result.js";

/** reply: the console's call() result for POST /api/v1/cards…; op: the operation asked for. */
export function renderCardResult(panel, op, reply) {
  panel.replaceChildren();
  panel.className = "card result";
  if (!reply.ok) return renderError(panel, reply.body);
  const r = reply.body;
  panel.classList.add(r.ok ? "approved" : "declined");
  panel.append(
    h(
      "div",
      { class: "verdict", id: "cards-verdict" },
      r.ok ? "✓ " : "✕ ",
      t(r.ok ? `cards.done.${op}` : "cards.refused"),
      r.replayed ? h("span", { class: "mode" }, t("cards.replayed")) : null,
    ),
  );
  if (!r.ok) {
    panel.append(h("p", { class: "reason", id: "cards-reason" }, r.message || r.code));
    panel.append(h("p", { class: "code" }, `${t("error.code")}: ${r.code}`));
  }
  if (r.card) panel.append(kvTable(cardRows(r.card, r)));
  if (r.previousCard) panel.append(h("h2", {}, t("cards.previous")), kvTable(cardRows(r.previousCard)));
  if (r.primaryCard) panel.append(h("h2", {}, t("cards.primary")), kvTable(cardRows(r.primaryCard)));
  if (r.receipt) panel.append(receiptBlock(r.receipt, "cards-receipt-preview"));
}

function cardRows(card, r = {}) {
  const rows = [];
  if (card.memberName) rows.push([t("result.member"), h("strong", {}, card.memberName)]);
  if (r.memberId) rows.push([t("cards.memberId"), r.memberId]);
  rows.push([t("result.card"), h("span", { class: "card-id" }, card.id ?? "—")]);
  if (card.cardType) rows.push([t("result.cardType"), cardTypeName(card.cardType)]);
  if (card.status) {
    rows.push([t("result.status"), h("span", { class: `badge ${statusTone(card.status)}` }, statusText(card.status))]);
  }
  if (Number.isSafeInteger(card.balance)) rows.push([t("result.balance"), formatFen(card.balance)]);
  if (Number.isSafeInteger(card.points)) rows.push([t("result.points"), String(card.points)]);
  return rows;
}

export function statusText(status) {
  const key = `cardStatus.${status}`;
  const text = t(key);
  return text === key ? status : text;
}

function statusTone(status) {
  return status === "active" ? "good" : status === "frozen" || status === "lost" ? "watch" : "bad";
}
