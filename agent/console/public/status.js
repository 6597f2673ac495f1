// The technician's status screen: devices, links, journal, versions, the errors this
// console saw, and live events. Read from GET /api/v1/status every few seconds while the
// screen is open, and from the event stream when the agent has one.

import { call, errorsSeen, events } from "./api.js";
import { $, clock, h, kvTable, table } from "./dom.js";
import { t } from "./i18n.js";
import { formatFen } from "./money.js";
import { errorText } from "./result.js";

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
  // The agent's time of the event (replayed ones arrive late), else when it came.
  const at = typeof data?.at === "string" ? data.at : new Date().toISOString();
  liveEvents.unshift({ at, type, data });
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
    section("status.links", linksTable(s), { id: "status-links" }),
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

function stateBadge(state, label = word("deviceState", state)) {
  const tone = GOOD.includes(state) ? "good" : WATCH.includes(state) ? "watch" : "bad";
  return h("span", { class: `badge ${tone}` }, String(label ?? "—"));
}

/** The console's word for a driver's term (deviceType.pcsc, deviceState.paper-out), or the term itself. */
function word(group, term) {
  const key = `${group}.${term}`;
  const text = t(key);
  return text === key ? String(term ?? "—") : text;
}

/**
 * What a state means for the person at the till, in their words; the driver's own detail
 * (English, for the technician and the logs) folded away under it.
 */
function detailCell(state, detail, extra = "") {
  const help = word("deviceHelp", state);
  const plain = help === String(state) ? "" : help;
  const folded = detail
    ? h("details", { class: "driver-detail" }, h("summary", {}, t("status.driverDetail")), detail)
    : "";
  return h("div", {}, plain + extra, folded);
}

function devicesTable(s) {
  const rows = (s.readers ?? []).map((r) => [
    `${t("device.reader")} ${r.id}`,
    word("deviceType", r.type),
    stateBadge(r.state),
    clock(r.lastEventAt),
    detailCell(r.state, r.detail),
  ]);
  if (s.printer) {
    const p = s.printer;
    const queued = p.queue?.pending ? ` · ${t("status.queue")}: ${p.queue.pending}` : "";
    rows.push([
      `${t("device.printer")} ${p.id ?? ""}`,
      word("deviceType", p.type ?? ""),
      stateBadge(p.state),
      clock(p.lastPrintAt),
      detailCell(p.state, p.detail, queued),
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

/** "FAILED #3: entry #3 was edited…": where the journal failed, when it is one entry's (docs/reconciliation.md). */
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
  // The cashier's words for a known code; the agent's own (English) message otherwise.
  const seen = errorsSeen().map((e) => [clock(e.at), `${e.method} ${e.path}`, e.code, errorText(e.code) ?? e.message]);
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
  const rows = liveEvents.map((e) => [clock(e.at), word("event", e.type), eventText(e)]);
  return section(
    "status.events",
    h("div", {}, h("p", { class: "muted" }, stateText), rows.length ? table(["", "", ""], rows) : ""),
    { id: "status-events" },
  );
}

/** One event in words: a device's states, a tapped card, a decision. */
function eventText(e) {
  const d = e.data;
  if (typeof d !== "object" || d === null) return String(d ?? "");
  if (e.type === "device") {
    return Object.entries(d)
      .filter(([device]) => device !== "at")
      .map(([device, state]) => `${deviceLabel(device)}: ${word("deviceState", state)}`)
      .join(" · ");
  }
  if (e.type === "decision") {
    const verdict = d.approved ? t("event.approved") : t("event.declined");
    const net = d.transaction?.net;
    return [verdict, d.card?.memberName, net !== undefined ? formatFen(net) : "", d.reason].filter(Boolean).join(" · ");
  }
  return [d.card, d.memberName, d.balance !== undefined ? formatFen(d.balance) : ""].filter(Boolean).join(" · ");
}

/** "reader:sim" → "读卡器 sim"; "broker" → its word. */
function deviceLabel(device) {
  const [kind, id] = String(device).split(":");
  if (id === undefined) return kind === "broker" ? t("status.broker") : kind;
  return `${t(`device.${kind}`)} ${id}`;
}
