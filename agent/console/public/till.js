// The till screen: choose sale / top-up / refund / balance, type the amount (keyboard or
// the on-screen keypad), tap the card — or type its number, the simulated reader's tap —
// and read the result. A refund starts from the day's list of sales.

import { call } from "./api.js";
import { $, clock, dayQuery, h, show, table } from "./dom.js";
import { t } from "./i18n.js";
import { formatFen, parseYuan } from "./money.js";
import { renderResult } from "./result.js";

const ENDPOINTS = {
  sale: "/api/v1/sales",
  topup: "/api/v1/topups",
  refund: "/api/v1/refunds",
  balance: "/api/v1/balance",
};

const state = { mode: "sale", payment: "cash", picked: null, busy: false, last: null };

export function initTill() {
  for (const b of document.querySelectorAll("[data-mode]")) b.addEventListener("click", () => setMode(b.dataset.mode));
  for (const b of document.querySelectorAll("[data-key]")) b.addEventListener("click", () => keypad(b.dataset.key));
  for (const b of document.querySelectorAll("[data-payment]")) {
    b.addEventListener("click", () => setPayment(b.dataset.payment));
  }
  $("till-form").addEventListener("submit", (e) => {
    e.preventDefault();
    submit();
  });
  $("refund-day").addEventListener("change", loadRefundable);
  setMode("sale");
}

/** After a language switch: labels that depend on the mode, and the last result again. */
export function relabelTill() {
  setMode(state.mode, { keep: true });
  if (state.last) renderResult($("result"), state.last.kind, state.last.reply);
}

export function resetTill() {
  state.last = null;
  $("result").replaceChildren();
  $("result").className = "card result";
  setMode("sale");
}

function setMode(mode, { keep = false } = {}) {
  state.mode = mode;
  for (const b of document.querySelectorAll("[data-mode]")) b.setAttribute("aria-pressed", b.dataset.mode === mode);
  show($("amount-field"), mode !== "balance");
  show($("keypad"), mode !== "balance");
  show($("payment-field"), mode === "topup");
  show($("card-field"), mode !== "refund");
  show($("refund-pick"), mode === "refund");
  $("amount-label").textContent = t(mode === "refund" ? "till.refundAmount" : "till.amount");
  $("till-go").textContent = t(`till.go.${mode}`);
  setPayment(state.payment);
  if (!keep) {
    $("till-message").textContent = "";
    show($("pin-field"), false);
    $("member-pin").value = "";
    if (mode === "refund") loadRefundable();
  } else if (mode === "refund") {
    renderRefundable(state.refundable);
  }
}

function setPayment(payment) {
  state.payment = payment;
  for (const b of document.querySelectorAll("[data-payment]")) {
    b.setAttribute("aria-pressed", b.dataset.payment === payment);
  }
}

function keypad(key) {
  const input = $("amount");
  if (key === "back") input.value = input.value.slice(0, -1);
  else if (key === "clear") input.value = "";
  else input.value += key;
  input.focus();
}

async function loadRefundable() {
  state.picked = null;
  const reply = await call("GET", `/api/v1/transactions${dayQuery($("refund-day").value)}`);
  state.refundable = reply;
  renderRefundable(reply);
}

function renderRefundable(reply) {
  const list = $("refund-list");
  if (!reply) return list.replaceChildren();
  if (!reply.ok) {
    return list.replaceChildren(h("p", { class: "message" }, `${reply.body.code}: ${reply.body.message}`));
  }
  const sales = (reply.body.transactions ?? []).filter((x) => x.kind === "sale" && x.refundable > 0);
  if (sales.length === 0) return list.replaceChildren(h("p", { class: "muted" }, t("till.noRefundable")));
  const rows = sales.map((x) => [
    h("input", {
      type: "radio",
      name: "refund-txn",
      value: x.txnId,
      "aria-label": `#${x.seq}`,
      checked: state.picked === x.txnId,
      onchange: () => {
        state.picked = x.txnId;
      },
    }),
    `#${x.seq}`,
    clock(x.at),
    x.card?.memberName ? `${x.card.memberName} ${x.card.id ?? ""}` : (x.card?.id ?? x.card ?? ""),
    formatFen(x.net),
    formatFen(x.refundable),
  ]);
  const headers = ["", "#", "", t("result.card"), t("result.net"), t("till.go.refund")];
  list.replaceChildren(table(headers, rows, { id: "refund-table" }));
}

/** The request for the current mode, or a message for the cashier when the form is not right. */
function buildRequest() {
  const body = {};
  const amountText = $("amount").value.trim();
  if (state.mode === "refund") {
    if (!state.picked) return { message: t("till.pickFirst") };
    body.originalTxnId = state.picked;
    if (amountText !== "") {
      const amount = parseYuan(amountText);
      if (amount === null) return { message: t("till.amountBad") };
      body.amount = amount;
    }
    return { body };
  }
  if (state.mode !== "balance") {
    const amount = parseYuan(amountText);
    if (amount === null) return { message: t("till.amountBad") };
    body.amount = amount;
  }
  const cardUid = $("card-uid").value.trim();
  if (cardUid) body.cardUid = cardUid;
  if (state.mode === "topup") body.payment = state.payment;
  const pin = $("member-pin").value;
  if (state.mode === "sale" && pin) body.pin = pin;
  return { body };
}

async function submit() {
  if (state.busy) return;
  const { body, message } = buildRequest();
  $("till-message").textContent = message ?? "";
  if (!body) return;
  const mode = state.mode;
  const waitsForTap = mode !== "refund" && body.cardUid === undefined;
  state.busy = true;
  $("till-go").disabled = true;
  const panel = $("result");
  panel.className = "card result waiting";
  panel.replaceChildren(h("div", { class: "verdict" }, t(waitsForTap ? "till.waiting" : "till.working")));
  try {
    const reply = await call("POST", ENDPOINTS[mode], body);
    state.last = { kind: mode, reply };
    renderResult(panel, mode, reply);
    afterReply(mode, reply);
  } finally {
    state.busy = false;
    $("till-go").disabled = false;
  }
}

function afterReply(mode, reply) {
  const code = reply.ok ? reply.body.code : undefined;
  // The card type asks for the member's PIN above its threshold: ask, and let them try again.
  const needsPin = code === "PIN_REQUIRED" || code === "PIN_WRONG";
  show($("pin-field"), needsPin);
  if (needsPin) $("member-pin").focus();
  else $("member-pin").value = "";
  if (reply.ok && reply.body.approved) {
    $("amount").value = "";
    if (mode === "refund") loadRefundable();
  }
}
