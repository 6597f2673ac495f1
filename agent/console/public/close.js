// The daily close (日结) screen: the figures of one business day from
// GET /api/v1/close?format=json (agent/close/close-report.ts is the shape), the CSV and
// XLSX downloads, and the printed 日结单.

import { blobUrl, call } from "./api.js";
import { $, clock, dayQuery, h, kvTable, table } from "./dom.js";
import { t } from "./i18n.js";
import { formatFen } from "./money.js";
import { may, refusalText } from "./operator.js";
import { errorText, receiptPreview, receiptState } from "./result.js";

let last = null;
let lastPrint = null;

export function initClose() {
  $("close-form").addEventListener("submit", (e) => {
    e.preventDefault();
    load();
  });
  for (const format of ["csv", "xlsx"]) {
    $(`close-${format}`).addEventListener("click", () => download(format));
  }
  $("close-print").addEventListener("click", print);
}

export function openClose() {
  lastPrint = null;
  $("close-printed").replaceChildren();
  $("close-printed").className = "print-result";
  load();
}

export function relabelClose() {
  if (last) render();
  if (lastPrint) renderPrint(lastPrint);
}

/**
 * The 日结单 to the receipt printer (POST /api/v1/close/print) for the day on screen. The
 * answer says printed, or queued when the printer is away (it prints when it is back).
 */
async function print() {
  const button = $("close-print");
  button.disabled = true;
  const day = $("close-day").value;
  $("close-printed").className = "print-result busy";
  $("close-printed").replaceChildren(t("close.printing"));
  try {
    lastPrint = await call("POST", "/api/v1/close/print", day ? { day } : {});
    renderPrint(lastPrint);
  } finally {
    button.disabled = false;
  }
}

function renderPrint(reply) {
  const box = $("close-printed");
  if (!reply.ok) {
    const e = reply.body;
    box.className = "print-result declined";
    return box.replaceChildren(h("p", {}, "✕ ", errorText(e.code) ?? e.message, ` (${e.code})`));
  }
  const r = reply.body;
  const state = receiptState(r.printed);
  box.className = `print-result ${state === "printed" ? "approved" : state === "queued" ? "waiting" : "declined"}`;
  // No emoji: the till's fonts have none (a queued slip is told by its colour and words).
  const icon = state === "printed" ? "✓ " : state === "queued" ? "" : "✕ ";
  const headline = h(
    "strong",
    { id: "close-print-state" },
    icon,
    t("close.printed", { day: r.day ?? "" }),
    ": ",
    t(`receipt.${state}`),
  );
  // Why it did not print is for the technician: small, under the headline.
  const detail = r.printed?.error ? h("p", { class: "detail" }, r.printed.error) : null;
  // The slip itself folds away: the day's figures below are what the supervisor came for.
  const preview = receiptPreview(r.printed, "close-preview");
  const summary = preview
    ? h("details", {}, h("summary", {}, headline, h("span", { class: "muted" }, t("close.preview"))), preview)
    : headline;
  box.replaceChildren(...[summary, detail].filter(Boolean));
}

async function load() {
  last = await call("GET", `/api/v1/close${dayQuery($("close-day").value, "format=json")}`);
  // Show which day "today" was on the agent, so a download takes the same one.
  if (last.ok && last.body.businessDay) $("close-day").value = last.body.businessDay;
  render();
}

/** Downloads go through fetch (they carry the token), then a click on a blob link. */
async function download(format) {
  const day = $("close-day").value;
  const url = await blobUrl(`/api/v1/close${dayQuery(day, `format=${format}`)}`);
  if (!url) {
    $("close-message").textContent = `${t("result.error")}: ${format.toUpperCase()}`;
    return;
  }
  const a = h("a", { href: url, download: `close-${day || "today"}.${format}` });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

function render() {
  const body = $("close-body");
  $("close-message").textContent = "";
  // The close is a supervisor's (agent/operators/permissions.ts): say so instead of a bare 403.
  const allowed = may("close");
  for (const id of ["close-print", "close-csv", "close-xlsx"]) $(id).disabled = !allowed;
  if (!last.ok) {
    const e = last.body;
    const refused = e.code === "CT_FORBIDDEN" && !allowed;
    const why = refused ? refusalText("close.action") : (errorText(e.code) ?? e.message);
    body.replaceChildren(h("p", { class: refused ? "notice" : "message", id: "close-error" }, why, ` (${e.code})`));
    return;
  }
  const r = last.body;
  if (!r.total || r.total.count === 0) {
    body.replaceChildren(h("p", { class: "muted", id: "close-empty" }, t("close.empty")));
    return;
  }
  body.replaceChildren(
    h("section", { class: "card panel" }, h("h2", {}, t("close.total")), summary(r)),
    h("section", { class: "card panel" }, h("h2", {}, t("close.kind")), byKind(r)),
    h("section", { class: "card panel" }, h("h2", {}, t("close.payment")), byPayment(r)),
    h("section", { class: "card panel" }, h("h2", {}, t("close.operator")), byOperator(r)),
  );
}

function summary(r) {
  return kvTable([
    [t("status.terminal"), `${r.terminalId} · ${r.businessDay}`],
    [t("close.period"), `${clock(r.firstTxnAt)} – ${clock(r.lastTxnAt)}`],
    [t("close.count"), String(r.total.count)],
    [t("close.online"), tally(r.byMode?.online)],
    [t("close.offline"), tally(r.byMode?.offline)],
    [t("close.unsynced"), tally(r.unsynced)],
    [t("close.bonusGiven"), formatFen(r.bonusGiven)],
  ]);
}

/** Kinds mixed: the count and the signed change of members' stored value (a sale and its void net to 0). */
function tally(x) {
  return x ? `${x.count} · ${t("close.svChange")} ${formatFen(x.balanceChange)}` : "—";
}

function byKind(r) {
  const rows = (r.byKind ?? []).map((k) => [
    t(`kind.${k.kind}`),
    String(k.count),
    formatFen(k.gross),
    formatFen(k.discount),
    formatFen(k.net),
    formatFen(k.bonus),
  ]);
  const headers = ["close.kind", "close.count", "result.gross", "result.discount", "result.net", "result.bonus"];
  return table(
    headers.map((x) => t(x)),
    rows,
    { id: "close-kinds" },
  );
}

function byPayment(r) {
  const rows = (r.byPayment ?? []).map((p) => [
    t(`pay.${p.payment}`),
    String(p.takings?.count ?? 0),
    formatFen(p.takings?.paid ?? 0),
  ]);
  if (rows.length === 0) return h("p", { class: "muted" }, t("status.none"));
  return table([t("close.payment"), t("close.count"), t("close.paid")], rows);
}

function byOperator(r) {
  const rows = (r.byOperator ?? []).map((o) => [o.operatorId, String(o.total.count), formatFen(o.total.balanceChange)]);
  return table([t("close.operator"), t("close.count"), t("close.svChange")], rows);
}
