// The console's client for the agent's local API. Every failure comes back as
// { ok: false, status, body: { code, message } } — the API's own error shape, or one made
// here for a route that does not exist yet (HTTP_404) or a dropped connection — so every
// screen can show the code and message instead of breaking.

const auth = { token: null, session: null };
// The session outlives a page reload in this tab (sessionStorage), not a new tab or a
// browser restart; the agent still decides whether it is live (GET /api/v1/sessions/current).
const SESSION_KEY = "cardterm.console.session";
const recentErrors = [];
let onUnauthorized = () => {};

export function setToken(token) {
  auth.token = token;
}

export function setSession(session) {
  auth.session = session;
  try {
    if (session) sessionStorage.setItem(SESSION_KEY, session);
    else sessionStorage.removeItem(SESSION_KEY);
  } catch {
    // storage refused (a locked-down browser): the session lasts until the next reload
  }
}

/** The session this tab held before a reload, or null. */
export function storedSession() {
  try {
    return sessionStorage.getItem(SESSION_KEY);
  } catch {
    return null;
  }
}

export function hasSession() {
  return auth.session !== null;
}

/** Called when the API says the session is gone (expired on the agent, logged out elsewhere). */
export function whenUnauthorized(fn) {
  onUnauthorized = fn;
}

/** Forget the newest error with this code: one the console caused on purpose (a cancelled tap wait). */
export function forgetError(code) {
  const i = recentErrors.findIndex((e) => e.code === code);
  if (i >= 0) recentErrors.splice(i, 1);
}

/** The last errors this console saw, newest first, for the technician's status screen. */
export function errorsSeen() {
  return recentErrors.slice();
}

function headers(json) {
  const out = {};
  if (json) out["content-type"] = "application/json";
  if (auth.token) out.authorization = `Bearer ${auth.token}`;
  if (auth.session) out["x-cardterm-session"] = auth.session;
  return out;
}

function remember(method, path, status, body) {
  recentErrors.unshift({ at: new Date().toISOString(), method, path, status, code: body.code, message: body.message });
  recentErrors.length = Math.min(recentErrors.length, 20);
}

async function errorBody(res) {
  let body = null;
  try {
    body = await res.json();
  } catch {
    // not JSON: a proxy's page or an empty reply
  }
  if (body && typeof body.code === "string") return { code: body.code, message: String(body.message ?? "") };
  // Fastify's own 404 for a route not built yet says { message, error, statusCode }.
  return { code: `HTTP_${res.status}`, message: body?.message ?? res.statusText };
}

/** One JSON request; `extra` headers beside the token and session (e.g. Idempotency-Key). */
export async function call(method, path, body, extra = {}) {
  let res;
  try {
    res = await fetch(path, {
      method,
      headers: { ...headers(body !== undefined), ...extra },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (err) {
    const e = { code: "CT_NETWORK", message: String(err?.message ?? err) };
    remember(method, path, 0, e);
    return { ok: false, status: 0, body: e };
  }
  if (res.status === 204) return { ok: true, status: 204, body: null };
  if (!res.ok) {
    const e = await errorBody(res);
    remember(method, path, res.status, e);
    if (res.status === 401 && auth.session !== null && !path.startsWith("/api/v1/sessions")) onUnauthorized(e);
    return { ok: false, status: res.status, body: e };
  }
  return { ok: true, status: res.status, body: await res.json() };
}

/** A file the API guards with the token (receipt previews, close exports) as an object URL, or null. */
export async function blobUrl(path) {
  try {
    const res = await fetch(path, { headers: headers(false) });
    if (!res.ok) {
      remember("GET", path, res.status, await errorBody(res));
      return null;
    }
    return URL.createObjectURL(await res.blob());
  } catch {
    return null;
  }
}

/**
 * Server-Sent Events from /api/v1/events, read with fetch (EventSource cannot send the
 * Authorization header). Reconnects with a growing pause; stops for good on a 404 (an
 * agent without the stream) and reports it through onState.
 */
export function events(onEvent, onState) {
  const ctl = new AbortController();
  let pause = 1000;
  const loop = async () => {
    while (!ctl.signal.aborted) {
      try {
        const res = await fetch("/api/v1/events", { headers: headers(false), signal: ctl.signal });
        if (res.status === 404) return onState("unavailable");
        if (!res.ok || !res.body) throw new Error(`HTTP ${res.status}`);
        onState("live");
        pause = 1000;
        await readStream(res.body, onEvent);
      } catch {
        if (ctl.signal.aborted) return;
      }
      onState("reconnecting");
      await new Promise((r) => setTimeout(r, pause));
      pause = Math.min(pause * 2, 30_000);
    }
  };
  loop();
  return () => ctl.abort();
}

async function readStream(stream, onEvent) {
  const reader = stream.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += value.replaceAll("\r\n", "\n");
    let end = buffer.indexOf("\n\n");
    while (end >= 0) {
      dispatch(buffer.slice(0, end), onEvent);
      buffer = buffer.slice(end + 2);
      end = buffer.indexOf("\n\n");
    }
  }
}

function dispatch(block, onEvent) {
  let type = "message";
  const data = [];
  for (const line of block.split("\n")) {
    if (line.startsWith("event:")) type = line.slice(6).trim();
    else if (line.startsWith("data:")) data.push(line.slice(5).trimStart());
  }
  if (data.length === 0) return;
  let payload = data.join("\n");
  try {
    payload = JSON.parse(payload);
  } catch {
    // plain text data stays text
  }
  onEvent(type, payload);
}
