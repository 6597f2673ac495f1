/**
 * The agent's local API as a POS app calls it: a bearer token when the till has one, the
 * operator's session in `x-cardterm-session`, JSON both ways. One client for every e2e
 * test and rig, so a change to the API's headers is made here once.
 */
import { DEMO_OPERATOR_PINS } from "../../agent/demo/demo-operators.js";

export interface Reply {
  status: number;
  // biome-ignore lint/suspicious/noExplicitAny: replies are checked field by field with t.match
  body: any;
  headers: Headers;
}

/** What the tests read from GET /api/v1/status (the agent sends more). */
export interface TillStatus {
  broker: { connected: boolean };
  policy: { policy: number | null };
  journal: { pending: number; nextSeq: number };
  readers: { id: string; state: string }[];
  printer: { state: string; queue: { pending: number } };
}

export interface TillApi {
  /** The agent's origin, e.g. http://127.0.0.1:41234. */
  url: string;
  call(
    method: string,
    path: string,
    body?: unknown,
    session?: string,
    headers?: Record<string, string>,
  ): Promise<Reply>;
  status(): Promise<TillStatus>;
  /** Logs in by PIN (a demo operator's unless `pin` is given); returns the session token. */
  login(operatorId: string, pin?: string): Promise<string>;
  /** Opens the event stream (GET /api/v1/events), read in the background. */
  events(): Promise<EventStream>;
}

export interface EventStream {
  /** Everything the stream sent so far, as text. */
  text(): string;
  /** Stops reading; safe to call twice. */
  close(): Promise<void>;
}

export function tillApi(url: string, token?: string | null): TillApi {
  const call: TillApi["call"] = async (method, path, body, session, headers = {}) => {
    const h: Record<string, string> = { ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers };
    if (body !== undefined) h["content-type"] = "application/json";
    if (session) h["x-cardterm-session"] = session;
    const res = await fetch(`${url}${path}`, {
      method,
      headers: h,
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const text = await res.text();
    const json = res.headers.get("content-type")?.includes("json") && text ? JSON.parse(text) : text;
    return { status: res.status, body: json, headers: res.headers };
  };
  return {
    url,
    call,
    status: async () => (await call("GET", "/api/v1/status")).body as TillStatus,
    async login(operatorId, pin) {
      const known = DEMO_OPERATOR_PINS as Record<string, string>;
      const r = await call("POST", "/api/v1/sessions", { operatorId, pin: pin ?? known[operatorId] });
      if (r.status !== 200) throw new Error(`log-in of ${operatorId} failed: ${JSON.stringify(r.body)}`);
      return r.body.session as string;
    },
    async events() {
      const stream = await fetch(`${url}/api/v1/events`, {
        headers: token ? { authorization: `Bearer ${token}` } : {},
      });
      if (!stream.body) throw new Error(`the event stream answered ${stream.status} without a body`);
      const reader = stream.body.getReader();
      const chunks: string[] = [];
      void (async () => {
        for (;;) {
          const { value, done } = await reader.read().catch(() => ({ value: undefined, done: true }));
          if (done) return;
          chunks.push(new TextDecoder().decode(value));
        }
      })();
      return { text: () => chunks.join(""), close: () => reader.cancel().catch(() => {}) };
    },
  };
}

/** True once the till is connected to the broker and holds the server's policy. */
export async function tillReady(api: TillApi): Promise<boolean> {
  const s = await api.status();
  return s.broker?.connected === true && s.policy?.policy !== null && s.policy?.policy !== undefined;
}
