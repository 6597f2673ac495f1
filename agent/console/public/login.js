// Operator log-in (POST /api/v1/sessions) and log-out: on the button, and after
// idleTimeoutS with no touch or key, so a till left alone does not stay open.

import { call, hasSession, setSession } from "./api.js";
import { $, show } from "./dom.js";
import { t } from "./i18n.js";

const ACTIVITY = ["pointerdown", "keydown", "wheel", "touchstart"];
let idleTimer;
let idleMs = 0;
let onIn = () => {};
let onOut = () => {};

/** in(operator | null) after a log-in; out(messageKey) after a log-out of any kind. */
export function initLogin(handlers) {
  onIn = handlers.in;
  onOut = handlers.out;
  $("login-form").addEventListener("submit", (e) => {
    e.preventDefault();
    logIn();
  });
  $("login-skip").addEventListener("click", () => onIn(null));
  $("logout").addEventListener("click", () => logOut());
  for (const type of ACTIVITY) document.addEventListener(type, armIdle, { passive: true });
}

async function logIn() {
  const operatorId = $("login-operator").value.trim();
  const pin = $("login-pin").value;
  $("login-message").textContent = "";
  const reply = await call("POST", "/api/v1/sessions", { operatorId, pin });
  $("login-pin").value = "";
  if (reply.ok) {
    setSession(reply.body.session);
    const idleS = Number(reply.body.idleTimeoutS);
    idleMs = (idleS > 0 ? idleS : 300) * 1000;
    armIdle();
    return onIn({ ...reply.body.operator, permissions: reply.body.permissions ?? [] });
  }
  const e = reply.body;
  const unavailable = reply.status === 404 && e.code !== "CT_LOGIN_FAILED";
  $("login-message").textContent =
    e.code === "CT_LOGIN_FAILED" ? `${t("login.failed")} (${e.code})` : `${e.code}: ${e.message}`;
  // An agent without sessions yet leaves its API open anyway: the console lets the cashier
  // in rather than lock them out, and says so.
  show($("login-skip"), unavailable);
  if (unavailable) $("login-message").textContent += ` — ${t("login.unavailable")}`;
}

/** End the session on the agent (best effort) and go back to the log-in screen. */
export async function logOut(messageKey) {
  clearTimeout(idleTimer);
  idleMs = 0;
  if (hasSession()) await call("DELETE", "/api/v1/sessions/current");
  setSession(null);
  onOut(messageKey);
}

function armIdle() {
  if (!idleMs || !hasSession()) return;
  clearTimeout(idleTimer);
  idleTimer = setTimeout(() => logOut("login.idle"), idleMs);
}
