// The technician's status screen: devices, links, journal, versions, the errors this
// console saw, and live events. Read from GET /api/v1/status every few seconds while the
// screen is open, and from the event stream when the agent has one.

import { call, errorsSeen, events } from "./api.js";
import { $, clock, h, kvTable, table } from "./dom.js";
import { t } from "./i18n.js";
import { formatFen } from "./money.js";

const REFRESH_MS = 5000;
const liveEvents = [];
let timer;
let stopEvents;
let streamState = "";
let last = null;

export function initStatus() {
  $("status-refresh").addEventListener("click", refresh);
}

export function openStatus() {
  refresh();
  clearInterval(timer);
  timer = setInterval(refresh, REFRESH_MS);
  stopEvents ??= events(onEvent, (s) => {
    streamState = s;
    render();
  });
}

export function closeStatus() {
  clearInterval(timer);
  stopEvents?.();
  stopEvents = undefined;
}

export function relabelStatus() {
  if (last) render();
}

async function refresh() {
  last = await call("GET", "/api/v1/status");
  render();
}

function onEvent(type, data) {
  liveEvents.unshift({ at: new Date().toISOString(), type, data });
  liveEvents.length = Math.min(liveEvents.length, 30);
  render();
}

function render() {
  const body = $("status-body");
  if (!last) return;
  if (!last.ok) {
    body.replaceChildren(
      section("status.title", h("p", { class: "message" }, `${last.body.code}: ${last.body.message}`)),
    );
    return body.append(errorsSection(), eventsSection());
  }
  const s = last.body;
  body.replaceChildren(
    section("status.devices", devicesTable(s), { id: "status-devices" }),
    section("status.links", linksTable(s)),
    section("status.journal", journalTable(s), { id: "status-journal" }),
    section("status.versions", versionsTable(s)),
    errorsSection(),
    eventsSection(),
  );
}

function section(titleKey, content, attrs = {}) {
  return h("section", { class: "card panel", ...attrs }, h("h2", {}, t(titleKey)), content);
}

// Device states (drivers/readers/card-reader.ts, drivers/printer/receipt-printer.ts) that
// need nobody; "starting", "silent" and "paper-near-end" are worth a look, the rest need a hand.
const GOOD = ["present", "ready"];
const WATCH = ["starting", "silent", "paper-near-end", "unknown"];

function stateBadge(state, label = state) {
  const tone = GOOD.includes(state) ? "good" : WATCH.includes(state) ? "watch" : "bad";
  return h("span", { class: `badge ${tone}` }, String(label ?? "—"));
}

function devicesTable(s) {
  const rows = (s.readers ?? []).map((r) => [
    `reader:${r.id}`,
    r.type,
    stateBadge(r.state),
    clock(r.lastEventAt),
    r.detail ?? "",
  ]);
  if (s.printer) {
    const p = s.printer;
    const queued = p.queue?.pending ? ` · ${t("status.queue")}: ${p.queue.pending}` : "";
    rows.push([
      `printer:${p.id ?? ""}`,
      p.type ?? "",
      stateBadge(p.state),
      clock(p.lastPrintAt),
      (p.detail ?? "") + queued,
    ]);
  }
  const headers = ["status.device", "status.type", "status.state", "status.lastEvent", "status.detail"].map((k) =>
    t(k),
  );
  return table(headers, rows);
}

function linksTable(s) {
  const b = s.broker ?? {};
  return kvTable([
    [
      t("status.broker"),
      stateBadge(b.connected ? "ready" : "offline", t(b.connected ? "status.connected" : "status.disconnected")),
    ],
    [t("status.since"), clock(b.since)],
    [t("status.lastError"), b.lastError ?? t("status.none")],
    [t("status.server"), clock(s.server?.lastContactAt)],
  ]);
}

/** "FAILED #3: entry #3 was edited…": where the journal failed, when it is one entry's (issue 13 defect 5). */
function integrityText(integrity) {
  const at = typeof integrity.failedSeq === "number" ? ` #${integrity.failedSeq}` : "";
  return `${t("status.bad")}${at}: ${integrity.problem ?? ""}`;
}

function journalTable(s) {
  const j = s.journal ?? {};
  const integrity = j.integrity ?? {};
  const exposure = s.offlineExposure;
  const rows = [
    [t("status.pending"), String(j.pending ?? "—")],
    [t("status.nextSeq"), String(j.nextSeq ?? "—")],
    [t("status.ackedSeq"), String(j.ackedSeq ?? "—")],
    [t("status.lastSync"), clock(j.lastSyncAt)],
    [t("status.integrity"), integrity.ok === false ? integrityText(integrity) : t("status.ok")],
  ];
  if (exposure && typeof exposure === "object") {
    rows.push([t("status.exposure"), `${exposure.count ?? "—"} · ${formatFen(exposure.minor)}`]);
  }
  return kvTable(rows);
}

function versionsTable(s) {
  return kvTable([
    [t("status.agent"), s.version ?? "—"],
    [t("status.terminal"), s.terminalId ?? "—"],
    [t("status.policy"), String(s.policy?.policy ?? "—")],
    [t("status.hotlist"), String(s.policy?.hotlist ?? "—")],
  ]);
}

function errorsSection() {
  const seen = errorsSeen().map((e) => [clock(e.at), `${e.method} ${e.path}`, e.code, e.message]);
  const content = seen.length
    ? table(["", "", t("error.code"), ""], seen)
    : h("p", { class: "muted" }, t("status.none"));
  return section("status.errors", content, { id: "status-errors" });
}

function eventsSection() {
  const stateText =
    streamState === "unavailable"
      ? t("status.eventsOff")
      : streamState === "live"
        ? t("status.eventsLive")
        : t("status.eventsRetry");
  const rows = liveEvents.map((e) => [
    clock(e.at),
    e.type,
    typeof e.data === "string" ? e.data : JSON.stringify(e.data),
  ]);
  return section(
    "status.events",
    h("div", {}, h("p", { class: "muted" }, stateText), rows.length ? table(["", "", ""], rows) : ""),
  );
}
