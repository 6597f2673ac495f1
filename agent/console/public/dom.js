// Tiny DOM helpers: the console builds its dynamic parts with these and never with
// innerHTML, so text from the API (member names, reasons) can never become markup.

export const $ = (id) => document.getElementById(id);

/** h("td", { class: "num" }, "¥25.00") — attributes, then children (strings become text). */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
    else el.setAttribute(k, v === true ? "" : String(v));
  }
  for (const c of children.flat()) {
    if (c !== undefined && c !== null && c !== false) el.append(c instanceof Node ? c : String(c));
  }
  return el;
}

export function show(el, visible) {
  el.hidden = !visible;
}

/** A two-column table of [label, value] rows. */
export function kvTable(rows) {
  return h("table", { class: "kv" }, ...rows.map(([k, v]) => h("tr", {}, h("th", {}, k), h("td", {}, v))));
}

/** A table with a header row; cells are strings or nodes. */
export function table(headers, rows, attrs = {}) {
  return h(
    "table",
    { class: "grid", ...attrs },
    h("thead", {}, h("tr", {}, ...headers.map((x) => h("th", {}, x)))),
    h("tbody", {}, ...rows.map((r) => h("tr", {}, ...r.map((c) => h("td", {}, c))))),
  );
}

/**
 * "?day=2026-11-22" for a day the user picked, "" for today: the agent knows its business
 * day (the terminal's time zone), which the browser's calendar day need not be.
 */
export function dayQuery(day, more = "") {
  const params = new URLSearchParams(more);
  if (day) params.set("day", day);
  const text = params.toString();
  return text ? `?${text}` : "";
}

// The store's time zone (bootstrap.json, terminal.timeZone): every clock on the console
// shows it, as the receipts and the daily close do — a browser set to another zone (a
// laptop at head office, a box left on UTC) must not show the cashier another time.
let storeZone;

export function setTimeZone(zone) {
  try {
    new Intl.DateTimeFormat("en-GB", { timeZone: zone });
    storeZone = zone;
  } catch {
    storeZone = undefined; // not a zone this browser knows: its own, rather than nothing
  }
}

/** The store's time "14:03:22" from an ISO string, or "—". */
export function clock(iso) {
  if (!iso) return "—";
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return String(iso);
  return d.toLocaleTimeString("en-GB", { hour12: false, timeZone: storeZone });
}
