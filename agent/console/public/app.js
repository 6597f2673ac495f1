// The web console's entry: fetch the bootstrap (token and language) from the agent,
// show the log-in, then the till, void, card, status and daily close screens.

import { call, setToken, whenUnauthorized } from "./api.js";
import { loadCardTypes } from "./card-types.js";
import { initCards, openCards, relabelCards, resetCards } from "./cards.js";
import { initClose, openClose, relabelClose } from "./close.js";
import { $, setTimeZone, show } from "./dom.js";
import { language, setLanguage, t, translatePage } from "./i18n.js";
import { initLogin, logOut, resumeSession } from "./login.js";
import { currentOperator, describeOperator, setOperator } from "./operator.js";
import { closeStatus, initStatus, openStatus, relabelStatus } from "./status.js";
import { setTapTimeout } from "./tap-wait.js";
import { initTill, relabelTill, resetTill } from "./till.js";
import { initVoid, openVoid, relabelVoid } from "./void.js";

const SCREENS = ["login", "till", "void", "cards", "status", "close"];
const LANG_KEY = "cardterm.console.language";
let screen = "login";

async function start() {
  const boot = await call("GET", "/console/bootstrap.json");
  // The cashier's own choice outlives a reload; the agent's configured language is the default.
  setLanguage(localStorage.getItem(LANG_KEY) ?? (boot.ok ? boot.body.language : "zh-CN"));
  translatePage();
  if (!boot.ok) {
    $("login-message").textContent = `${boot.body.code}: ${boot.body.message}`;
    return;
  }
  setToken(boot.body.apiToken);
  setTimeZone(boot.body.timeZone);
  setTapTimeout(boot.body.tapTimeoutS);
  initLogin({ in: loggedIn, out: loggedOut });
  initTill();
  initStatus();
  initClose();
  initVoid();
  initCards();
  whenUnauthorized(() => logOut("login.expired"));
  for (const b of document.querySelectorAll("[data-screen]")) b.addEventListener("click", () => go(b.dataset.screen));
  $("lang").addEventListener("click", switchLanguage);
  // A reload keeps the cashier logged in (login.js resumeSession); otherwise the log-in.
  if (!(await resumeSession())) go("login");
}

function go(name) {
  if (screen === "status" && name !== "status") closeStatus();
  screen = name;
  for (const s of SCREENS) show($(`screen-${s}`), s === name);
  for (const b of document.querySelectorAll("[data-screen]")) b.setAttribute("aria-current", b.dataset.screen === name);
  show($("nav"), name !== "login");
  if (name === "status") openStatus();
  if (name === "close") openClose();
  if (name === "void") openVoid();
  if (name === "cards") openCards();
  if (name === "login") $("login-operator").focus();
}

function loggedIn(who) {
  setOperator(who);
  void loadCardTypes(); // 金卡 rather than "gold" in every result
  renderWho();
  show($("logout"), who !== null);
  resetTill();
  resetCards();
  go("till");
}

function loggedOut(messageKey) {
  setOperator(null);
  renderWho();
  show($("logout"), false);
  $("login-message").textContent = messageKey ? t(messageKey) : "";
  // Logged out by time, not by a mistake: a note, not an error.
  $("login-message").className = messageKey ? "notice" : "message";
  resetTill();
  resetCards();
  go("login");
}

function switchLanguage() {
  setLanguage(language() === "zh-CN" ? "en" : "zh-CN");
  localStorage.setItem(LANG_KEY, language());
  translatePage();
  relabelTill();
  relabelStatus();
  relabelClose();
  relabelVoid();
  relabelCards();
  renderWho();
}

function renderWho() {
  const operator = currentOperator();
  $("who").textContent = operator ? `${t("login.as")}: ${describeOperator(operator)}` : "";
}

start();
