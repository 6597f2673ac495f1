// Waiting for a card at the till: the seconds left of the agent's tap time-out counted down,
// and 取消, which asks the agent to stop waiting (DELETE /api/v1/taps/waiting) so that a
// card tapped afterwards — the next customer's — pays for nothing.

import { call } from "./api.js";
import { h } from "./dom.js";
import { t } from "./i18n.js";

let tapTimeoutS = 30;

/** From bootstrap.json (tapTimeoutS, the config's tapTimeout). */
export function setTapTimeout(seconds) {
  if (Number.isInteger(seconds) && seconds > 0) tapTimeoutS = seconds;
}

/**
 * Show the wait in `panel`; returns { cancelled(), stop() }. cancelled() is true once the
 * cashier pressed 取消 — the waiting request then ends with CT_NO_TAP, which is not an error.
 */
export function showTapWait(panel) {
  const started = Date.now();
  let cancelled = false;
  const seconds = h("span", { id: "tap-countdown", class: "countdown" }, String(tapTimeoutS));
  const cancel = h("button", { type: "button", id: "tap-cancel", class: "big" }, t("till.cancel"));
  cancel.addEventListener("click", async () => {
    cancelled = true;
    cancel.disabled = true;
    await call("DELETE", "/api/v1/taps/waiting");
  });
  panel.className = "card result waiting";
  panel.replaceChildren(
    h("div", { class: "verdict" }, t("till.waiting")),
    h("p", { class: "tap-left" }, seconds, " ", t("till.secondsLeft")),
    cancel,
  );
  const timer = setInterval(() => {
    const left = Math.max(0, tapTimeoutS - Math.floor((Date.now() - started) / 1000));
    seconds.textContent = String(left);
  }, 250);
  return {
    cancelled: () => cancelled,
    stop: () => clearInterval(timer),
  };
}

/** The panel after a cancel: nothing charged, and a late tap will not charge either. */
export function renderCancelled(panel) {
  panel.className = "card result cancelled";
  panel.replaceChildren(
    h("div", { class: "verdict", id: "result-verdict" }, t("till.cancelled")),
    h("p", { class: "muted" }, t("till.cancelledNote")),
  );
}
