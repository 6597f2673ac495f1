// The till screen: choose sale / top-up / refund / balance, type the amount (keyboard or
// the on-screen keypad), tap the card — or type its number, the simulated reader's tap —
// and read the result. A sale may use points and a count package (次卡), offered by the
// balance query's result; the wait for a tap counts down and can be cancelled. A refund
// starts from the day's list of sales, and a cashier is told before trying that it needs
// a supervisor.

import { call, forgetError } from "./api.js";
import { $, clock, dayQuery, h, show, table } from "./dom.js";
import { t } from "./i18n.js";
import { formatFen, parseYuan } from "./money.js";
import { may } from "./operator.js";
import { renderResult } from "./result.js";
import { renderCancelled, showTapWait } from "./tap-wait.js";

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
  if (state.last) render(state.last.kind, state.last.reply);
}

export function resetTill() {
  state.last = null;
  $("result").replaceChildren();
  $("result").className = "card result";
  for (const id of ["redeem-points", "count-package", "card-uid", "amount"]) $(id).value = "";
  $("count-package-list").replaceChildren();
  setMode("sale");
}

// What the balance result offers: a count package or the points, for a sale on the same card.
const offers = {
  usePackage(pkg) {
    setMode("sale", { keepCard: true });
    $("count-package").value = pkg.packageId;
    $("amount").value = "0";
    $("till-go").focus();
  },
  usePoints(points) {
    setMode("sale", { keepCard: true });
    $("redeem-points").value = String(points);
    $("amount").focus();
  },
};

function render(kind, reply) {
  renderResult($("result"), kind, reply, offers);
  if (kind === "balance" && reply.ok) offerPackages(reply.body.packages ?? []);
}

/** The packages of the card just queried, as choices for the package field. */
function offerPackages(packages) {
  $("count-package-list").replaceChildren(
    ...packages.map((p) => h("option", { value: p.packageId, label: `${p.service} · ${p.remainingUses}` })),
  );
}

function setMode(mode, { keep = false, keepCard = false } = {}) {
  const card = $("card-uid").value;
  state.mode = mode;
  for (const b of document.querySelectorAll("[data-mode]")) b.setAttribute("aria-pressed", b.dataset.mode === mode);
  show($("amount-field"), mode !== "balance");
  show($("keypad"), mode !== "balance");
  show($("payment-field"), mode === "topup");
  show($("sale-extras"), mode === "sale");
  show($("card-field"), mode !== "refund");
  show($("refund-pick"), mode === "refund");
  // Refunds are a supervisor's (permissions.ts): said on the button and the screen, not after a 403.
  const refundRefused = !may("refund");
  show($("refund-needs"), refundRefused);
  show($("refund-rights"), mode === "refund" && refundRefused);
  $("till-go").disabled = state.busy || (mode === "refund" && refundRefused);
  $("amount-label").textContent = t(mode === "refund" ? "till.refundAmount" : "till.amount");
  $("till-go").textContent = t(`till.go.${mode}`);
  setPayment(state.payment);
  if (keepCard) $("card-uid").value = card;
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
  const packageId = state.mode === "sale" ? $("count-package").value.trim() : "";
  if (packageId) body.countUse = { packageId };
  if (state.mode !== "balance") {
    // A count use alone charges nothing: "0" (or nothing typed) is its amount.
    const useAlone = packageId !== "" && (amountText === "" || /^0+(\.0{1,2})?$/.test(amountText));
    const amount = useAlone ? 0 : parseYuan(amountText);
    if (amount === null) return { message: t("till.amountBad") };
    body.amount = amount;
  }
  const pointsText = state.mode === "sale" ? $("redeem-points").value.trim() : "";
  if (pointsText !== "") {
    if (!/^[1-9][0-9]{0,8}$/.test(pointsText)) return { message: t("till.pointsBad") };
    body.redeemPoints = Number(pointsText);
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
  const wait = waitsForTap ? showTapWait(panel) : null;
  if (!wait) {
    panel.className = "card result waiting";
    panel.replaceChildren(h("div", { class: "verdict" }, t("till.working")));
  }
  try {
    const reply = await call("POST", ENDPOINTS[mode], body);
    wait?.stop();
    // The cashier's own cancel ends the wait with CT_NO_TAP: not an error, nothing was charged.
    if (wait?.cancelled() && !reply.ok && reply.body.code === "CT_NO_TAP") {
      state.last = null;
      forgetError("CT_NO_TAP"); // the cashier's own choice, not a fault to show the technician
      renderCancelled(panel);
      return;
    }
    state.last = { kind: mode, reply };
    render(mode, reply);
    afterReply(mode, reply);
  } finally {
    wait?.stop();
    state.busy = false;
    $("till-go").disabled = state.mode === "refund" && !may("refund");
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
    $("redeem-points").value = "";
    $("count-package").value = "";
    if (mode === "refund") loadRefundable();
  }
}
