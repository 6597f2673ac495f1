// The card operations screen (会员卡管理): issue, sub-card, replace, level change, loss,
// unloss, freeze, unfreeze and recycle, each decided by the server (agent/api/card-routes.ts).
// What the operator may not do is greyed out with the reason; each request carries an
// Idempotency-Key kept until a definite answer, so pressing again after a lost reply
// cannot issue or block a card twice.

import { call } from "./api.js";
import { buildCardRequest, CARD_OPS } from "./card-forms.js";
import { renderCardResult } from "./card-result.js";
import { loadCardTypes } from "./card-types.js";
import { $, h, show } from "./dom.js";
import { t } from "./i18n.js";
import { forgetChoice, initMemberFind, relabelFind, renderFindRights, resetFind } from "./member-find.js";
import { may, refusalFor } from "./operator.js";

const FIELDS = [
  "cards-uid",
  "cards-new-uid",
  "cards-type",
  "cards-name",
  "cards-phone",
  "cards-birthday",
  "cards-member-id",
  "cards-daily-limit",
  "cards-per-txn-limit",
  "cards-pin",
  "cards-note",
];
const state = { op: "issue", memberKind: "new", busy: false, last: null, request: null, key: null };
const seenTypes = new Set();

export function initCards() {
  for (const b of document.querySelectorAll("[data-card-op]"))
    b.addEventListener("click", () => setOp(b.dataset.cardOp));
  for (const b of document.querySelectorAll("[data-member-kind]")) {
    b.addEventListener("click", () => setMemberKind(b.dataset.memberKind));
  }
  $("cards-form").addEventListener("submit", (e) => {
    e.preventDefault();
    submit();
  });
  $("cards-yes").addEventListener("click", send);
  $("cards-no").addEventListener("click", () => confirming(false));
  // A changed form is a new request: it must not reuse the last one's idempotency key.
  for (const id of FIELDS) {
    $(id).addEventListener("input", () => {
      state.key = null;
      confirming(false);
      if (id === "cards-uid") forgetChoice();
    });
  }
  initMemberFind({ onCard: chooseCard, onMember: chooseMember });
}

/** Ops that take the card field, in the order a card found for a member is most likely wanted. */
const CARD_FIELD_OPS = ["loss", "freeze", "unloss", "unfreeze", "replace", "level", "recycle", "subcard"];

/** A card found by the member's phone or read by a tap (member-find.js) fills the card field. */
function chooseCard(cardUid) {
  if (!CARD_OPS[state.op].uid) {
    const op = CARD_FIELD_OPS.find((o) => may(CARD_OPS[o].permission));
    if (op) setOp(op);
  }
  $("cards-uid").value = cardUid;
  state.key = null;
  confirming(false);
}

/** A found member gets a new card: issue to an existing member, their number filled in. */
function chooseMember(memberId) {
  if (state.op !== "issue") setOp("issue");
  setMemberKind("existing");
  $("cards-member-id").value = memberId;
  state.key = null;
}

export function openCards() {
  const allowed = Object.keys(CARD_OPS).filter((op) => may(CARD_OPS[op].permission));
  setOp(allowed.includes(state.op) ? state.op : (allowed[0] ?? state.op));
  void offerCardTypes();
}

/** The policy's card types (card-types.js) as choices: the id typed, the name shown. */
async function offerCardTypes() {
  // Without the list the field still takes a typed id, and replies add the types they name.
  for (const c of await loadCardTypes()) rememberType(c.id, c.name);
}

export function resetCards() {
  state.last = null;
  state.key = null;
  for (const id of FIELDS) $(id).value = "";
  resetFind();
  $("cards-result").replaceChildren();
  $("cards-result").className = "card result";
}

export function relabelCards() {
  setOp(state.op, { keep: true });
  relabelFind();
  if (state.last) renderCardResult($("cards-result"), state.last.op, state.last.reply);
}

function setOp(op, { keep = false } = {}) {
  state.op = op;
  const spec = CARD_OPS[op];
  for (const b of document.querySelectorAll("[data-card-op]")) b.setAttribute("aria-pressed", b.dataset.cardOp === op);
  for (const el of document.querySelectorAll("#cards-form [data-ops]")) {
    const forOp = el.dataset.ops.split(" ").includes(op);
    show(el, forOp && (!el.dataset.member || el.dataset.member === state.memberKind));
  }
  if (spec.uid) $("cards-uid-label").textContent = t(spec.uid);
  if (spec.newUid) $("cards-new-uid-label").textContent = t(spec.newUid);
  if (spec.type) $("cards-type-label").textContent = t(spec.type);
  $("cards-heading").textContent = t(`cards.op.${op}`);
  $("cards-explain").textContent = t(`cards.explain.${op}`);
  $("cards-go").textContent = t(`cards.go.${op}`);
  setMemberKind(state.memberKind, { relayout: false });
  renderRights();
  if (!keep) {
    $("cards-message").textContent = "";
    confirming(false);
    state.key = null;
  }
}

function setMemberKind(kind, { relayout = true } = {}) {
  state.memberKind = kind;
  for (const b of document.querySelectorAll("[data-member-kind]")) {
    b.setAttribute("aria-pressed", b.dataset.memberKind === kind);
  }
  if (!relayout) return;
  state.key = null;
  for (const el of document.querySelectorAll("#cards-form [data-member]")) {
    show(el, state.op === "issue" && el.dataset.member === kind);
  }
}

/** Grey out what this operator may not do, and say why in one line. */
function renderRights() {
  const denied = [];
  for (const b of document.querySelectorAll("[data-card-op]")) {
    const allowed = may(CARD_OPS[b.dataset.cardOp].permission);
    b.disabled = !allowed;
    if (!allowed) denied.push(t(`cards.op.${b.dataset.cardOp}`));
  }
  show($("cards-rights"), denied.length > 0);
  $("cards-rights").textContent = denied.length ? refusalFor(denied.join(t("cards.listSep"))) : "";
  $("cards-go").disabled = state.busy || !may(CARD_OPS[state.op].permission);
  renderFindRights();
}

function confirming(on) {
  show($("cards-confirm"), on);
  show($("cards-go"), !on);
}

function submit() {
  if (state.busy) return;
  const request = buildCardRequest(state.op, (id) => $(id).value.trim(), state.memberKind);
  $("cards-message").textContent = request.message ?? "";
  if (request.message) return;
  state.request = request;
  if (!CARD_OPS[state.op].confirm) return send();
  $("cards-confirm-text").textContent = t(`cards.confirm.${state.op}`, {
    card: $("cards-uid").value.trim(),
    newCard: $("cards-new-uid").value.trim() || t("cards.byTap"),
  });
  $("cards-yes").textContent = t(`cards.go.${state.op}`);
  confirming(true);
  $("cards-yes").focus();
}

async function send() {
  const { op, request } = state;
  if (state.busy || !request) return;
  state.key ??= newKey();
  state.busy = true;
  confirming(false);
  renderRights();
  const panel = $("cards-result");
  const waitsForTap = CARD_OPS[op].newUid && $("cards-new-uid").value.trim() === "";
  panel.className = "card result waiting";
  panel.replaceChildren(h("div", { class: "verdict" }, t(waitsForTap ? "cards.waitingTap" : "till.working")));
  try {
    const reply = await call("POST", request.path, request.body, { "idempotency-key": state.key });
    state.last = { op, reply };
    // No definite answer (the connection or the server dropped): keep the key, so pressing
    // again asks about the same request instead of making a second one.
    if (reply.status !== 0 && reply.status < 500) state.key = null;
    if (reply.ok && reply.body.card?.cardType) rememberType(reply.body.card.cardType);
    renderCardResult(panel, op, reply);
    if (reply.ok && reply.body.ok) clearAfterSuccess();
  } finally {
    state.busy = false;
    renderRights();
  }
}

function clearAfterSuccess() {
  for (const id of FIELDS) if (id !== "cards-uid" && id !== "cards-type") $(id).value = "";
}

/** A card type offered as a choice: from the policy's list, or met in a reply. */
function rememberType(type, name) {
  if (seenTypes.has(type)) return;
  seenTypes.add(type);
  $("cards-type-list").append(h("option", { value: type, label: name ? `${name} (${type})` : undefined }));
}

function newKey() {
  if (crypto.randomUUID) return `console-${crypto.randomUUID()}`;
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return `console-${Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("")}`;
}
