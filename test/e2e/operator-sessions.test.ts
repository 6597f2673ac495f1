/**
 * Operator sessions at the till through the local API, with the real server and
 * broker behind the agent: log-in by operator card (its uid, or a tap on the reader), a
 * card that is no operator's refused, the idle time-out (a short api.idleTimeout in the
 * config), activity keeping a session alive, log-out, and five wrong PINs locking.
 */
import t from "tap";
import { BUILT_IN_ROLES } from "../../rules/roles.js";
import { OPERATOR_CARDS, type Reply, startTillRig, type TillRig } from "./till-rig.js";

const IDLE_MS = 1_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Taps `uid` on the rig's reader until the request waiting for a tap has answered. */
async function tapUntilAnswered(rig: TillRig, pending: Promise<Reply>, uid: string): Promise<Reply> {
  let answered = false;
  const done = pending.finally(() => {
    answered = true;
  });
  while (!answered) {
    await sleep(100);
    if (!answered) rig.reader.tap(uid);
  }
  return done;
}

t.test("log-in by operator card, idle time-out, log-out and PIN lock-out", async (t) => {
  const rig = await startTillRig(t, { idleTimeoutMs: IDLE_MS, tapTimeoutMs: 1_500 });
  const { call } = rig;
  const current = (session: string) => call("GET", "/api/v1/sessions/current", undefined, session);

  // Operator card by its uid, and by a tap on the reader.
  const byUid = await call("POST", "/api/v1/sessions", { cardUid: OPERATOR_CARDS.supervisor });
  t.match(byUid, {
    status: 200,
    body: { operator: { id: "900", role: "supervisor" }, idleTimeoutS: 1 },
  });
  t.ok(byUid.body.permissions.includes("cardManage"), "a supervisor manages cards");
  const byTap = await tapUntilAnswered(rig, call("POST", "/api/v1/sessions", { tap: true }), OPERATOR_CARDS.cashier);
  t.match(
    byTap,
    { status: 200, body: { operator: { id: "001", role: "cashier" } } },
    "the tapped operator card logs in",
  );
  t.same(byTap.body.permissions, BUILT_IN_ROLES.cashier, "a cashier's permissions (no policy or config roles here)");
  t.match(await current(byTap.body.session), { status: 200, body: { operator: { id: "001" } } });

  // A card that is no operator's, by uid and by tap; no tap at all.
  const member = { status: 401, body: { code: "CT_LOGIN_FAILED" } };
  t.match(await call("POST", "/api/v1/sessions", { cardUid: "04A1B2C3" }), member, "a member's card is refused");
  t.match(await tapUntilAnswered(rig, call("POST", "/api/v1/sessions", { tap: true }), "04A1B2C3"), member);
  t.match(await call("POST", "/api/v1/sessions", { tap: true }), { status: 409, body: { code: "CT_NO_TAP" } });

  // Activity keeps a session alive past the idle time-out; idleness ends it.
  // (The sessions above have idled through the tap time-out already: a fresh one.)
  const session = (await call("POST", "/api/v1/sessions", { cardUid: OPERATOR_CARDS.supervisor })).body
    .session as string;
  const started = Date.now();
  while (Date.now() - started < IDLE_MS * 2.5) {
    t.equal((await current(session)).status, 200, "in use: still logged in");
    await sleep(IDLE_MS / 4);
  }
  await sleep(IDLE_MS * 1.5);
  const idle = await current(session);
  t.match(idle, { status: 401, body: { code: "CT_UNAUTHORIZED", message: /timed out/ } }, "idle too long: logged out");
  t.match(await call("POST", `/api/v1/cards/04A1B2C3/loss`, {}, session), { status: 401 }, "and it can do nothing");

  // Log-out ends a session at once.
  const pin = await rig.login("900");
  t.equal((await call("DELETE", "/api/v1/sessions/current", undefined, pin)).status, 204);
  t.match(await current(pin), { status: 401, body: { code: "CT_UNAUTHORIZED" } });

  // Five wrong PINs lock the operator, even against the right PIN; another operator is not locked.
  for (let i = 1; i <= 5; i++) {
    t.match(await call("POST", "/api/v1/sessions", { operatorId: "001", pin: "0000" }), member, `wrong PIN ${i}`);
  }
  t.match(await call("POST", "/api/v1/sessions", { operatorId: "001", pin: "1234" }), {
    status: 401,
    body: { code: "CT_LOGIN_FAILED", message: /locked/ },
  });
  t.equal((await call("POST", "/api/v1/sessions", { operatorId: "900", pin: "9999" })).status, 200);
});
