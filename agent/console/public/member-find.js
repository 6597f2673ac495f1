// Finding the card a card operation is on (会员查询): a member who lost their card
// gives their phone number or member number, the console lists their cards (GET
// /api/v1/members: whole numbers only, phones masked), and choosing one fills the card
// field; a card at hand is read by a tap instead (POST /api/v1/cards/read). Either way the
// operation itself is still sent, read back and decided as before (cards.js).

import { call } from "./api.js";
import { statusText } from "./card-result.js";
import { $, h, kvTable, show, table } from "./dom.js";
import { t } from "./i18n.js";
import { formatFen } from "./money.js";
import { may, refusalFor } from "./operator.js";

const state = { last: null, chosen: null, tapped: null, busy: false };
let hooks = { onCard: () => {}, onMember: () => {} };

/** onCard(cardUid): a card was chosen (found or tapped); onMember(memberId): a member, to issue a card to. */
export function initMemberFind(callbacks) {
  hooks = callbacks;
  $("find-form").addEventListener("submit", (e) => {
    e.preventDefault();
    find();
  });
  $("cards-tap").addEventListener("click", readTap);
}

/** Whether the operator may look members up and read cards: greyed out with the reason when not. */
export function renderFindRights() {
  const findOk = may("memberFind");
  $("find-go").disabled = state.busy || !findOk;
  $("find-query").disabled = !findOk;
  $("find-rights").textContent = findOk ? "" : refusalFor(t("find.action"));
  show($("find-rights"), !findOk);
  $("cards-tap").disabled = state.busy || !may("cardIssue");
}

export function resetFind() {
  state.last = null;
  state.chosen = null;
  state.tapped = null;
  $("find-query").value = "";
  $("find-message").textContent = "";
  $("find-results").replaceChildren();
  $("cards-tap-info").replaceChildren();
}

/** The card number was typed over: what was found or tapped no longer describes it. */
export function forgetChoice() {
  if (!state.chosen && !state.tapped) return;
  state.chosen = null;
  state.tapped = null;
  $("cards-tap-info").replaceChildren();
  if (state.last) renderFound(state.last);
}

export function relabelFind() {
  if (state.last) renderFound(state.last);
  if (state.tapped) renderTapped(state.tapped);
  else if (state.chosen) renderChosen(state.chosen);
}

/**
 * What was typed, as the API takes it: digits (spaces and dashes allowed) are a phone
 * number, seven digits or more; letters and digits are a member number (M0002). Null when
 * it is neither.
 */
export function queryOf(text) {
  const compact = text.replace(/[\s-]/g, "");
  if (/^\+?\d{7,20}$/.test(compact)) return { phone: compact };
  if (/^[A-Za-z0-9_]{1,64}$/.test(compact) && /[A-Za-z]/.test(compact)) return { memberId: compact };
  return null;
}

async function find() {
  if (state.busy) return;
  const query = queryOf($("find-query").value);
  $("find-message").textContent = query ? "" : t("find.bad");
  if (!query) return;
  state.busy = true;
  renderFindRights();
  $("find-results").replaceChildren(h("p", { class: "muted" }, t("find.searching")));
  try {
    const reply = await call("GET", `/api/v1/members?${new URLSearchParams(query)}`);
    // A card chosen before stays chosen (and marked) if it is in the new list: the field still holds it.
    state.last = { query, reply };
    renderFound(state.last);
  } finally {
    state.busy = false;
    renderFindRights();
  }
}

function renderFound({ query, reply }) {
  const out = $("find-results");
  if (!reply.ok) return out.replaceChildren(errorLine(reply.body));
  const r = reply.body;
  if (!r.ok) return out.replaceChildren(h("p", { class: "message" }, r.message || r.code));
  if (r.members.length === 0) {
    const key = query.phone ? "find.noPhone" : "find.noMember";
    return out.replaceChildren(h("p", { class: "muted", id: "find-none" }, t(key)));
  }
  const more = r.more ? [h("p", { class: "muted", id: "find-more" }, t("find.more"))] : [];
  out.replaceChildren(...r.members.map(memberBlock), ...more);
}

function memberBlock(m) {
  const level = m.levelName ?? m.level;
  const title = [m.name, m.phone, `${t("cards.memberId")} ${m.memberId}`, level].filter(Boolean).join(" · ");
  const headers = [
    t("result.card"),
    t("result.cardType"),
    t("result.status"),
    t("find.kind"),
    t("result.balance"),
    t("result.points"),
    "",
  ];
  const rows = m.cards.map((c) => cardRow(c, m));
  return h(
    "div",
    { class: "found-member" },
    h(
      "div",
      { class: "found-head" },
      h("strong", {}, title),
      may("cardIssue")
        ? h(
            "button",
            { type: "button", class: "small", onclick: () => hooks.onMember(m.memberId) },
            t("find.useMember"),
          )
        : null,
    ),
    rows.length > 0
      ? table(headers, rows, { class: "grid found-cards" })
      : h("p", { class: "muted" }, t("find.noCards")),
    m.moreCards ? h("p", { class: "muted" }, t("find.moreCards")) : null,
  );
}

function cardRow(c, m) {
  const chosen = state.chosen?.cardUid === c.cardUid;
  const pick = h(
    "button",
    {
      type: "button",
      class: chosen ? "small primary" : "small",
      "data-card": c.id,
      "aria-pressed": chosen,
      onclick: () => {
        state.chosen = { cardUid: c.cardUid, card: c.id, name: m.name };
        state.tapped = null;
        hooks.onCard(c.cardUid);
        renderFound(state.last);
        renderChosen(state.chosen);
      },
    },
    t(chosen ? "find.chosen" : "find.choose"),
  );
  return [
    h("span", { class: "card-id" }, c.id),
    c.cardTypeName ?? c.cardType,
    h("span", { class: `badge ${tone(c.status)}` }, statusText(c.status)),
    c.primary ? t("find.primary") : t("find.sub"),
    formatFen(c.balance),
    String(c.points),
    pick,
  ];
}

async function readTap() {
  if (state.busy) return;
  state.busy = true;
  renderFindRights();
  const info = $("cards-tap-info");
  info.replaceChildren(h("span", { class: "waiting-note" }, t("find.tapNow")));
  try {
    const reply = await call("POST", "/api/v1/cards/read", {});
    if (!reply.ok) {
      state.tapped = null;
      return info.replaceChildren(errorLine(reply.body));
    }
    state.tapped = reply.body;
    state.chosen = null;
    hooks.onCard(reply.body.cardUid);
    renderTapped(reply.body);
    if (state.last) renderFound(state.last);
  } finally {
    state.busy = false;
    renderFindRights();
  }
}

function renderChosen(chosen) {
  const line = t("find.chosenCard", { card: chosen.card, name: chosen.name });
  $("cards-tap-info").replaceChildren(h("p", { class: "chosen", id: "find-chosen" }, line));
}

function renderTapped(card) {
  const rows = [[t("result.card"), h("span", { class: "card-id" }, card.id)]];
  if (!card.known) rows.push([t("result.status"), t("find.unknownCard")]);
  if (card.memberName) rows.push([t("result.member"), card.memberName]);
  if (card.cardType) rows.push([t("result.cardType"), card.cardTypeName ?? card.cardType]);
  if (card.status) {
    rows.push([t("result.status"), h("span", { class: `badge ${tone(card.status)}` }, statusText(card.status))]);
  }
  if (card.hotlisted) rows.push(["", h("span", { class: "badge bad" }, t("find.hotlisted"))]);
  $("cards-tap-info").replaceChildren(kvTable(rows));
}

function errorLine(body) {
  return h("p", { class: "message" }, `${body.code}: ${body.message}`);
}

/** The badge colour of a card status: usable, blocked for now, or gone. */
function tone(status) {
  if (status === "active") return "good";
  return status === "lost" || status === "frozen" ? "watch" : "bad";
}
