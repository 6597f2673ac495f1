// Operator log-in (POST /api/v1/sessions) by number and PIN or by a tap of the operator's
// card, and log-out: on the button, and after idleTimeoutS with no touch or key, so a till
// left alone does not stay open. A session the agent ended (its own idle time-out) comes
// back as a 401 on the next request, and app.js returns here with a message.

import { call, hasSession, setSession, storedSession } from "./api.js";
import { $, show } from "./dom.js";
import { t } from "./i18n.js";
import { errorText } from "./result.js";

const ACTIVITY = ["pointerdown", "keydown", "wheel", "touchstart"];
let idleTimer;
let idleMs = 0;
let busy = false;
let onIn = () => {};
let onOut = () => {};

/** in(operator | null) after a log-in; out(messageKey) after a log-out of any kind. */
export function initLogin(handlers) {
  onIn = handlers.in;
  onOut = handlers.out;
  $("login-form").addEventListener("submit", (e) => {
    e.preventDefault();
    logInWithPin();
  });
  $("login-tap").addEventListener("click", logInWithCard);
  $("login-skip").addEventListener("click", () => onIn(null));
  $("logout").addEventListener("click", () => logOut());
  for (const type of ACTIVITY) document.addEventListener(type, armIdle, { passive: true });
}

function logInWithPin() {
  const operatorId = $("login-operator").value.trim();
  const pin = $("login-pin").value;
  $("login-pin").value = "";
  return attempt({ operatorId, pin }, "", "login.failed");
}

/** The agent waits for the next tap on any reader and logs in the operator whose card it is. */
function logInWithCard() {
  return attempt({ tap: true }, t("login.tapNow"), "login.cardUnknown");
}

/** One log-in request; failedKey words a refusal (CT_LOGIN_FAILED) for this way of logging in. */
async function attempt(body, waitingText, failedKey) {
  if (busy) return;
  busy = true;
  setBusy(true, waitingText);
  try {
    const reply = await call("POST", "/api/v1/sessions", body);
    if (reply.ok) return finish(reply.body);
    showFailure(reply, failedKey);
  } finally {
    busy = false;
    setBusy(false);
  }
}

/**
 * After a page reload: the tab's session again, if the agent still knows it (it may have
 * timed out or been ended meanwhile). Resolves true when logged in, false at the log-in.
 */
export async function resumeSession() {
  const session = storedSession();
  if (!session) return false;
  setSession(session);
  const reply = await call("GET", "/api/v1/sessions/current");
  if (reply.ok) {
    finish({ ...reply.body, session });
    return true;
  }
  setSession(null);
  onOut(reply.status === 401 ? "login.expired" : undefined);
  if (reply.status !== 401) $("login-message").textContent = `${reply.body.code}: ${reply.body.message}`;
  return false;
}

function setBusy(on, waitingText = "") {
  for (const id of ["login-submit", "login-tap"]) $(id).disabled = on;
  if (on) {
    $("login-message").textContent = "";
    $("login-message").className = "message";
  }
  $("login-waiting").textContent = waitingText;
  show($("login-waiting"), on && waitingText !== "");
}

function finish(body) {
  setSession(body.session);
  const idleS = Number(body.idleTimeoutS);
  idleMs = (idleS > 0 ? idleS : 300) * 1000;
  armIdle();
  onIn({ ...body.operator, permissions: body.permissions ?? [] });
}

function showFailure(reply, failedKey) {
  const e = reply.body;
  const unavailable = reply.status === 404 && e.code !== "CT_LOGIN_FAILED";
  const plain = e.code === "CT_LOGIN_FAILED" ? t(failedKey) : errorText(e.code);
  $("login-message").textContent = plain ? `${plain} (${e.code})` : `${e.code}: ${e.message}`;
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
