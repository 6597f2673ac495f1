// The till's result panel: approved or declined at a glance (colour, word and sign), then
// what the cashier tells the member — name, masked card, what was charged, balance after —
// and the receipt preview when the printer keeps one. A balance shows the points and count
// packages with a button each to use them in a sale (till.js gives the `offers`).

import { blobUrl } from "./api.js";
import { cardTypeName } from "./card-types.js";
import { h, kvTable } from "./dom.js";
import { t } from "./i18n.js";
import { formatFen } from "./money.js";

/**
 * Render one reply into panel; kind is sale | topup | refund | void | balance. offers:
 * { usePackage(pkg), usePoints(points) } for a balance's buttons (none: no buttons).
 */
export function renderResult(panel, kind, reply, offers = null) {
  panel.replaceChildren();
  panel.className = "card result";
  if (!reply.ok) return renderError(panel, reply.body);
  if (kind === "balance") return renderBalance(panel, reply.body, offers);
  return renderDecision(panel, kind, reply.body);
}

export function renderError(panel, error) {
  panel.className = "card result declined";
  // The agent's message is English for the technician; the cashier gets the common ones in their words.
  const plain = errorText(error.code);
  panel.append(
    h("div", { class: "verdict", id: "result-verdict" }, "✕ ", t("result.error")),
    h("p", { class: "reason", id: "result-reason" }, plain ?? (error.message || error.code)),
  );
  if (plain && error.message) panel.append(h("p", { class: "code" }, error.message));
  panel.append(h("p", { class: "code" }, `${t("error.code")}: ${error.code}`));
}

/** The cashier's words for an error code, or null when there are none. */
export function errorText(code) {
  const key = `error.${code}`;
  const text = t(key);
  return text === key ? null : text;
}

function renderDecision(panel, kind, r) {
  panel.classList.add(r.approved ? "approved" : "declined");
  panel.append(
    h(
      "div",
      { class: "verdict", id: "result-verdict" },
      r.approved ? "✓ " : "✕ ",
      t(r.approved ? (kind === "void" ? "void.approved" : "result.approved") : "result.declined"),
      h("span", { class: "mode" }, t(`mode.${r.mode}`)),
    ),
  );
  if (!r.approved) {
    panel.append(h("p", { class: "reason", id: "result-reason" }, r.reason ?? r.code ?? ""));
    if (r.code) panel.append(h("p", { class: "code" }, `${t("error.code")}: ${r.code}`));
  }
  panel.append(kvTable(decisionRows(kind, r)));
  if (r.receipt) panel.append(receiptBlock(r.receipt));
}

function decisionRows(kind, r) {
  const rows = cardRows(r.card);
  const x = r.transaction;
  if (x && kind === "topup") {
    rows.push([t("result.gross"), formatFen(x.gross)], [t("result.bonus"), formatFen(x.bonus ?? 0)]);
    rows.push([t("result.credited"), formatFen(x.net)]);
  } else if (x && kind === "refund") {
    rows.push([t("kind.refund"), formatFen(x.net)]);
  } else if (x && kind === "void") {
    rows.push([t("void.voided"), h("strong", { id: "result-voided" }, formatFen(x.net))]);
    if (x.bonus) rows.push([t("result.bonus"), formatFen(x.bonus)]);
  } else if (x) {
    rows.push([t("result.gross"), formatFen(x.gross)]);
    if (x.discount) rows.push([t("result.discount"), formatFen(x.discount)]);
    if (x.pointsRedeemed) {
      const worth = `${x.pointsRedeemed} · ${formatFen(x.redeemedMinor ?? 0)}`;
      rows.push([t("result.redeemed"), h("span", { id: "result-redeemed" }, worth)]);
    }
    rows.push([t("result.net"), formatFen(x.net)]);
    if (x.countUse) {
      const left = t("result.usesLeft", { n: x.countUse.remainingUses });
      rows.push([t("result.countUse"), h("span", { id: "result-count-use" }, `${x.countUse.service} · ${left}`)]);
    }
  }
  if (x && x.pointsEarned !== undefined) rows.push([t("result.points"), String(x.pointsEarned)]);
  if (r.balanceAfter !== undefined && r.balanceAfter !== null) {
    rows.push([t("result.balanceAfter"), h("strong", { id: "result-balance" }, formatFen(r.balanceAfter))]);
  }
  rows.push([t("result.txn"), x?.seq !== undefined ? `#${x.seq} · ${r.txnId}` : r.txnId]);
  return rows;
}

function cardRows(card) {
  const rows = [];
  if (card?.memberName) rows.push([t("result.member"), h("strong", { id: "result-member" }, card.memberName)]);
  if (card?.id) rows.push([t("result.card"), h("span", { id: "result-card" }, card.id)]);
  if (card?.cardType) {
    rows.push([t("result.cardType"), h("span", { id: "result-card-type" }, cardTypeName(card.cardType))]);
  }
  return rows;
}

function renderBalance(panel, b, offers) {
  panel.classList.add("approved");
  panel.append(h("div", { class: "verdict", id: "result-verdict" }, t("result.balance")));
  const rows = cardRows(b.card);
  rows.push([t("result.balance"), h("strong", { id: "result-balance" }, formatFen(b.balance))]);
  const usable = offers && b.card?.status === "active";
  const points = String(b.points ?? "—");
  const usePoints =
    usable && b.points > 0
      ? h(
          "button",
          { type: "button", class: "inline", onclick: () => offers.usePoints(b.points) },
          t("result.usePoints"),
        )
      : null;
  rows.push([t("result.points"), h("span", {}, points, " ", usePoints)]);
  if (b.card?.status) rows.push([t("result.status"), t(`cardStatus.${b.card.status}`)]);
  if (b.source) rows.push([t("result.source"), t(`source.${b.source}`)]);
  panel.append(kvTable(rows));
  if (Array.isArray(b.packages)) panel.append(packagesBlock(b.packages, usable ? offers : null));
}

/** The account's count packages (次卡) with uses left, each with "use 1" for the next sale. */
function packagesBlock(packages, offers) {
  if (packages.length === 0) return h("p", { id: "result-packages", class: "muted" }, t("result.noPackages"));
  const rows = packages.map((p) => {
    const left = t("result.usesLeft", { n: p.remainingUses });
    const until = p.expiresOn ? ` · ${t("result.expires", { day: p.expiresOn })}` : "";
    const use =
      offers && p.remainingUses > 0
        ? h(
            "button",
            { type: "button", "data-use-package": p.packageId, onclick: () => offers.usePackage(p) },
            t("result.usePackage"),
          )
        : "";
    return h(
      "li",
      {},
      h("span", {}, `${p.service} · ${left}${until} `, h("span", { class: "muted" }, p.packageId)),
      use,
    );
  });
  return h(
    "div",
    { id: "result-packages", class: "packages" },
    h("h2", {}, t("result.packages")),
    h("ul", {}, ...rows),
  );
}

/** The receipt's print state and its preview image (when the printer keeps one). */
export function receiptBlock(receipt, previewId = "receipt-preview") {
  const line = `${t("result.receipt")}: ${t(`receipt.${receiptState(receipt)}`)}`;
  return h(
    "div",
    { class: "receipt" },
    h("p", {}, line, receipt.error ? ` — ${receipt.error}` : ""),
    receiptPreview(receipt, previewId),
  );
}

/** printed | queued (the printer is away; it prints when it is back) | failed. */
export function receiptState(receipt) {
  return receipt?.printed === true ? "printed" : receipt?.printed === "queued" ? "queued" : "failed";
}

/** The preview image, or null when the printer keeps none. */
export function receiptPreview(receipt, id) {
  const name = previewName(receipt?.previewPng);
  if (!name) return null;
  const img = h("img", { id, alt: t("result.receipt") });
  // Fetched with the token rather than as a plain <img src>, which cannot carry it.
  blobUrl(`/console/receipts/${encodeURIComponent(name)}`).then((url) => {
    if (url) img.src = url;
    else img.remove();
  });
  return img;
}

/** The preview's file name: the API reports the path on the till, the console serves it by name. */
function previewName(path) {
  if (typeof path !== "string" || path === "") return null;
  return path.split(/[\\/]/).pop() || null;
}
