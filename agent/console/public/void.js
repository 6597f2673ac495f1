// The void screen (撤销): today's sales and top-ups, newest first; pick one, confirm, and
// the agent asks the server to cancel it whole (server/till/reversals.ts: today only,
// once, nothing of it refunded). What cannot be voided says why, as the agent's list does. A supervisor's operation: anyone else sees why not
// before trying, and the agent's own 403 is shown if they try anyway.

import { call } from "./api.js";
import { $, clock, h, show, table } from "./dom.js";
import { t } from "./i18n.js";
import { formatFen } from "./money.js";
import { may, refusalText } from "./operator.js";
import { renderResult } from "./result.js";

const state = { reply: null, picked: null, busy: false, last: null };

export function initVoid() {
  $("void-refresh").addEventListener("click", load);
  $("void-go").addEventListener("click", askToConfirm);
  $("void-yes").addEventListener("click", confirmVoid);
  $("void-no").addEventListener("click", () => confirming(false));
}

export function openVoid() {
  state.last = null;
  $("void-result").replaceChildren();
  $("void-result").className = "card result";
  load();
}

export function relabelVoid() {
  render();
  if (state.last) renderResult($("void-result"), "void", state.last);
}

/** The read-back replaces the void button while it is open: one red button to press, not two. */
function confirming(on) {
  show($("void-confirm"), on);
  show($("void-go"), !on);
}

async function load() {
  state.picked = null;
  confirming(false);
  $("void-message").textContent = "";
  state.reply = await call("GET", "/api/v1/transactions");
  render();
}

/**
 * Today's sales and top-ups, newest first, each with whether it can still be voided: the
 * agent says so from its journal by the server's rules (voidable, and notVoidable: voided,
 * refunded, otherDay, notSynced — agent/till/reversibility.ts). The server has the last
 * word (a top-up already spent cannot be voided).
 */
export function voidCandidates(transactions) {
  return transactions
    .filter((x) => x.kind === "sale" || x.kind === "topup")
    .map((x) => ({ ...x, open: x.voidable === true }))
    .sort((a, b) => b.seq - a.seq);
}

function render() {
  const allowed = may("void");
  show($("void-rights"), !allowed);
  $("void-rights").textContent = allowed ? "" : refusalText("void.action");
  $("void-go").disabled = !allowed || state.busy;
  const list = $("void-list");
  const reply = state.reply;
  if (!reply) return list.replaceChildren();
  if (!reply.ok) {
    return list.replaceChildren(h("p", { class: "message" }, `${reply.body.code}: ${reply.body.message}`));
  }
  const rows = voidCandidates(reply.body.transactions ?? []);
  if (rows.length === 0) return list.replaceChildren(h("p", { class: "muted", id: "void-empty" }, t("void.none")));
  const headers = ["", "#", t("void.time"), t("close.kind"), t("result.card"), t("void.amount"), t("close.operator")];
  const grid = table(headers, rows.map(row), { id: "void-table" });
  // The whole row is the touch target, not just the small radio button.
  for (const tr of grid.tBodies[0].rows) {
    const radio = tr.querySelector("input[type=radio]");
    if (radio) tr.addEventListener("click", () => radio.click());
    else tr.classList.add("done");
  }
  list.replaceChildren(grid);
}

function row(x) {
  const pick = x.open
    ? h("input", {
        type: "radio",
        name: "void-txn",
        value: x.txnId,
        "aria-label": `#${x.seq}`,
        checked: state.picked?.txnId === x.txnId,
        onchange: () => {
          state.picked = x;
          confirming(false);
        },
      })
    : h("span", { class: "badge", "data-why": x.notVoidable ?? "" }, whyNot(x.notVoidable));
  const amount = x.kind === "topup" && x.bonus ? `${formatFen(x.net)} + ${formatFen(x.bonus)}` : formatFen(x.net);
  return [pick, `#${x.seq}`, clock(x.at), t(`kind.${x.kind}`), cardText(x.card), amount, x.operatorId ?? ""];
}

/** Why a row cannot be picked, in words: voided, refunded, not today, not uploaded yet. */
function whyNot(reason) {
  const key = `void.why.${reason}`;
  const text = t(key);
  return text === key ? t("void.done") : text;
}

function cardText(card) {
  if (!card) return "";
  if (typeof card === "string") return card;
  return card.memberName ? `${card.memberName} ${card.id ?? ""}` : (card.id ?? "");
}

/** The cashier reads back what is about to be cancelled before anything is sent. */
function askToConfirm() {
  const x = state.picked;
  $("void-message").textContent = x ? "" : t("void.pickFirst");
  if (!x) return;
  const key = x.kind === "topup" ? "void.confirmTopup" : "void.confirmSale";
  $("void-confirm-text").textContent = t(key, {
    seq: x.seq,
    amount: formatFen(x.net),
    bonus: formatFen(x.bonus ?? 0),
    card: cardText(x.card),
  });
  confirming(true);
  $("void-yes").focus();
}

async function confirmVoid() {
  const x = state.picked;
  if (!x || state.busy) return;
  state.busy = true;
  $("void-yes").disabled = true;
  $("void-go").disabled = true;
  const panel = $("void-result");
  panel.className = "card result waiting";
  panel.replaceChildren(h("div", { class: "verdict" }, t("till.working")));
  try {
    const reply = await call("POST", "/api/v1/voids", { originalTxnId: x.txnId });
    state.last = reply;
    renderResult(panel, "void", reply);
    if (reply.ok && reply.body.approved) await load();
    else confirming(false);
  } finally {
    state.busy = false;
    $("void-yes").disabled = false;
    render();
  }
}
